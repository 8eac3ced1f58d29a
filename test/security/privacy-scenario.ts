/**
 * The privacy scenario both back ends run (privacy.test.ts on a SQLite file, privacy.pg.test.ts on PostgreSQL):
 * real customers through the widget API of the real app on loopback, a real webhook receiver, then search, export,
 * erasure, the conversation.erased webhook, the audit, the retention job, the masked inbox and its reveal.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newConversationState } from '../../src/domain/conversation';
import { deskNotesKey } from '../../src/domain/desk';
import { chatwootBackKey, chatwootLinkKey } from '../../src/domain/settings';
import { Privacy } from '../../src/privacy/service';
import { startApp, type StartedApp } from '../support/app';

export const EDITOR = 'editor-token-privacy-0123456789';
export const ADMIN = 'admin-token-privacy-0123456789';
export const ALICE_EMAIL = 'alice.martin@example.com';
export const CAROL_TEXT = 'FR76 3000 6000 0112 3456 7890 189 zut 4970 1012 3456 7890 carol@example.org';
const DAY = 86_400_000;

export interface Customer {
  conversationId: string;
  token: string;
}

/** The running app, its receiver and the customers, filled by `setUp`. */
export interface Scenario {
  running: StartedApp;
  base: string;
  /** Webhook bodies the receiver got, in order. */
  received: string[];
  alice: Customer;
  /** Alice again, another day: only her phone number, written differently. */
  alice2: Customer;
  /** Bob is in the order-tracking dialog: his order number is a dialog answer. */
  bob: Customer;
  /** Carol's unanswered question holds an IBAN, a card number and an email (the inbox masks them). */
  carol: Customer;
}

export async function newCustomer(base: string): Promise<Customer> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lang: 'fr' }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Customer;
}

export async function say(base: string, c: Customer, text: string): Promise<string[]> {
  const res = await fetch(`${base}/api/conversations/${c.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { replies: { source: { kind: string } }[] }).replies.map((r) => r.source.kind);
}

export const call = (base: string, method: string, path: string, token?: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** Starts a receiver and the app with `env`, and writes the customers' conversations. */
export async function setUp(env: Record<string, string>): Promise<Scenario & { receiver: Server }> {
  const received: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  const running = await startApp({
    ADMIN_TOKENS: `eve:editor:${EDITOR},ada:admin:${ADMIN}`,
    HANDOFF_TRIGGERS: '',
    HANDOFF_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
    ...env,
  });
  const { base, app } = running;
  const alice = await newCustomer(base);
  expect(await say(base, alice, `zorglub frobnique ${ALICE_EMAIL}`)).toEqual(['fallback']);
  // Not understood twice: a person is asked for, the handoff carries her contact details and the transcript.
  expect(await say(base, alice, 'wibble wobble plonk, rappelez-moi au +33 6 12 34 56 78')).toEqual([
    'handoff',
    'handoff',
  ]);
  // Her handoff could not be delivered: a dead letter. And she wrote from Teams too: a channel reference.
  const [requested] = await app.store.events(alice.conversationId);
  await app.store.markDead(requested!.id, 9, 'receiver down');
  await app.store.linkChannel({
    conversationId: alice.conversationId,
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    conversation: { id: `a:alice-${alice.conversationId}` },
    bot: { id: '28:bot' },
    user: { id: '29:alice', name: 'Alice Martin' },
    updatedAt: new Date().toISOString(),
  });
  // An agent wrote her email in an internal note on the desk; Chatwoot linked her conversation (ids both ways).
  await app.engine.addNote(alice.conversationId, 'Ion', `a rappelé, écrire à ${ALICE_EMAIL}`);
  const handoffId = (await app.store.get(alice.conversationId))!.handoff!.id;
  await app.store.setSetting(
    chatwootLinkKey(alice.conversationId),
    JSON.stringify({ handoffId, conversationId: 9041 }),
  );
  await app.store.setSetting(chatwootBackKey(9041), alice.conversationId);
  const alice2 = await newCustomer(base);
  expect(await say(base, alice2, 'quux plonk 06.12.34.56.78')).toEqual(['fallback']);
  const bob = await newCustomer(base);
  expect(await say(base, bob, 'où est ma commande ?')).toEqual(['dialog']);
  expect(new Set(await say(base, bob, 'MV-4810044'))).toEqual(new Set(['dialog']));
  const carol = await newCustomer(base);
  expect(await say(base, carol, `frobnique ${CAROL_TEXT}`)).toEqual(['fallback']);
  return { running, base, received, alice, alice2, bob, carol, receiver };
}

/** An old conversation (last activity `days` ago) written to the store directly, as it was then. */
export async function oldConversation(s: Scenario, days: number, text: string): Promise<string> {
  const at = new Date(Date.now() - days * DAY).toISOString();
  const state = newConversationState({
    id: `old-${days}-${Math.random().toString(36).slice(2)}`,
    at,
    channel: 'widget',
  });
  await s.running.app.store.create(state);
  await s.running.app.store.append(state.id, [{ at, from: 'customer', text }]);
  return state.id;
}

/** The retention job over the app's store, on an injected clock. */
export const retentionAt = (s: Scenario, now: Date) =>
  new Privacy(s.running.app.store, { retentionDays: 365, outboxTranscriptDays: 30, now: () => now });

export { DAY };

type Json = Record<string, unknown>;
const json = async (res: Response) => (await res.json()) as Json;

/**
 * The tests both back ends run, in order, on the scenario `get()` returns. `afterErase` checks what is back-end
 * specific once Alice is erased (the SQLite file's bytes).
 */
export function privacyTests(get: () => Scenario, afterErase?: () => Promise<void>): void {
  const api = (method: string, path: string, token: string | undefined, body?: unknown) =>
    call(get().base, method, path, token, body);

  test('only the admin role may search, export, erase, read the audit or reveal', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/api/admin/privacy/search', { email: ALICE_EMAIL }],
      ['POST', '/api/admin/privacy/export', { email: ALICE_EMAIL }],
      ['POST', '/api/admin/privacy/erase', { email: ALICE_EMAIL }],
      ['GET', '/api/admin/privacy/audit'],
      ['POST', '/api/admin/inbox/Ymxh/reveal', { conversationId: 'x', at: 'y' }],
    ];
    for (const [method, path, body] of routes) {
      const editor = await api(method, path, EDITOR, body);
      expect([path, editor.status]).toEqual([path, 403]);
      expect(((await editor.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
      expect([path, (await api(method, path, undefined, body)).status]).toEqual([path, 401]);
    }
    // Nothing was erased by the refused calls.
    expect(await get().running.app.store.get(get().alice.conversationId)).toBeDefined();
  });

  test('a customer is found by email, by phone (however written) and by order number (a dialog answer)', async () => {
    const { alice, alice2, bob } = get();
    const find = async (q: Json) =>
      (await json(await api('POST', '/api/admin/privacy/search', ADMIN, q))).conversations;
    expect(await find({ email: 'Alice.Martin@EXAMPLE.com' })).toEqual([alice.conversationId]);
    expect(await find({ phone: '0612345678' })).toEqual([alice.conversationId, alice2.conversationId].sort());
    expect(await find({ phone: '+33 (0)6-12-34-56-79' })).toEqual([]);
    expect(await find({ order: 'mv 4810044' })).toEqual([bob.conversationId]);
    expect(await find({ conversationId: bob.conversationId })).toEqual([bob.conversationId]);
    expect(await find({ email: 'nobody@example.com' })).toEqual([]);
    const bad = await api('POST', '/api/admin/privacy/search', ADMIN, { phone: '12' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/phone "12"/);
    expect((await api('POST', '/api/admin/privacy/search', ADMIN, {})).status).toBe(400);
    expect((await api('POST', '/api/admin/privacy/search', ADMIN, { name: 'Alice' })).status).toBe(400);
  });

  test('export: every conversation of the customer as JSON, messages, dialog answers, handoffs, attachments', async () => {
    const { alice, alice2, bob } = get();
    const res = await api('POST', '/api/admin/privacy/export', ADMIN, { phone: '+33612345678' });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { conversations: Json[]; exportedAt: string };
    expect(out.conversations.map((c) => c.conversationId)).toEqual(
      [alice.conversationId, alice2.conversationId].sort(),
    );
    const a = out.conversations.find((c) => c.conversationId === alice.conversationId)!;
    const texts = (a.messages as { from: string; text: string }[]).filter((m) => m.from === 'customer');
    expect(texts.map((m) => m.text)).toEqual([
      `zorglub frobnique ${ALICE_EMAIL}`,
      'wibble wobble plonk, rappelez-moi au +33 6 12 34 56 78',
    ]);
    expect(a.handoffs).toEqual([
      expect.objectContaining({
        reason: 'misunderstood',
        contact: { email: ALICE_EMAIL, phone: '+33612345678' },
        status: 'dead',
      }),
    ]);
    expect(a.channelReference).toMatchObject({ channelId: 'msteams', user: { name: 'Alice Martin' } });
    expect(a.internalNotes).toEqual([
      { at: expect.any(String), agent: 'Ion', text: `a rappelé, écrire à ${ALICE_EMAIL}` },
    ]);
    expect(a.attachments).toEqual([]);
    const order = (await json(await api('POST', '/api/admin/privacy/export', ADMIN, { order: 'MV-4810044' })))
      .conversations as Json[];
    expect(order.map((c) => c.conversationId)).toEqual([bob.conversationId]);
    expect(order[0]!.dialog).toMatchObject({ dialogId: 'order-tracking', answers: { orderNumber: 'MV-4810044' } });
  });

  test('the inbox masks emails, phones, IBANs and cards; an admin reveals one example, audited', async () => {
    const { carol } = get();
    const res = await api('GET', '/api/admin/inbox?since=1d', EDITOR);
    expect(res.status).toBe(200);
    const body = await res.text();
    for (const raw of [ALICE_EMAIL, 'carol@example.org', 'FR76 3000', '4970 1012', '06.12.34.56.78', '+33 6 12'])
      expect([raw, body.includes(raw)]).toEqual([raw, false]);
    const groups = JSON.parse(body) as {
      groups: { key: string; examples: { text: string; conversationId: string; at: string }[] }[];
    };
    const example = groups.groups
      .flatMap((g) => g.examples.map((x) => ({ ...x, key: g.key })))
      .find((x) => x.conversationId === carol.conversationId)!;
    expect(example.text).toBe('frobnique [iban] zut [card] [email]');
    const path = `/api/admin/inbox/${example.key}/reveal?since=1d`;
    const who = { conversationId: example.conversationId, at: example.at };
    expect((await api('POST', path, EDITOR, who)).status).toBe(403);
    const revealed = await api('POST', path, ADMIN, who);
    expect(revealed.status).toBe(200);
    expect(await revealed.json()).toMatchObject({
      text: `frobnique ${CAROL_TEXT}`,
      conversationId: carol.conversationId,
    });
    expect((await api('POST', path, ADMIN, { ...who, at: '2000-01-01T00:00:00.000Z' })).status).toBe(404);
    const audit = await json(await api('GET', '/api/admin/privacy/audit?limit=1', ADMIN));
    expect(audit.entries).toEqual([
      expect.objectContaining({ by: 'ada', action: 'reveal', conversationIds: [carol.conversationId] }),
    ]);
    expect(JSON.stringify(audit)).not.toContain('carol@example.org');
  });

  test('erase: everything of the customer is gone, a conversation.erased webhook goes out, the audit has counts only', async () => {
    const s = get();
    const { app } = s.running;
    const id = s.alice.conversationId;
    const figures = async () => {
      const f = await json(await api('GET', '/api/admin/figures?since=1d', ADMIN));
      return { conversations: f.conversations, customerMessages: f.customerMessages, handoffs: f.handoffs };
    };
    const before = await figures();
    const res = await api('POST', '/api/admin/privacy/erase', ADMIN, { email: ALICE_EMAIL });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      conversations: [id],
      counts: {
        conversations: 1,
        messages: 5,
        outboxEvents: 0,
        deadLetters: 1,
        channelRefs: 1,
        dialogStates: 0,
        attachments: 0,
      },
    });
    // Messages, dialog state, outbox and dead letters, the channel reference: gone; the conversation is unknown.
    expect(await app.store.get(id)).toBeUndefined();
    expect((await app.store.transcript(id)).map((m) => m.text)).toEqual(['', '', '', '', '']);
    expect(await app.store.channelRef(id)).toBeUndefined();
    // The desk's notes and the Chatwoot link (both ways) went with it.
    for (const key of [deskNotesKey(id), chatwootLinkKey(id), chatwootBackKey(9041)])
      expect([key, await app.store.getSetting(key)]).toEqual([key, undefined]);
    // The figures still count her conversation, its messages and its handoff: counts only.
    expect(await figures()).toEqual(before);
    expect(await app.store.channelRefByExternal('msteams', `a:alice-${id}`)).toBeUndefined();
    expect((await app.store.listDead()).filter((e) => e.conversationId === id)).toEqual([]);
    const [erased, ...more] = await app.store.events(id);
    expect(more).toEqual([]);
    expect(erased).toMatchObject({ type: 'conversation.erased', status: 'pending' });
    expect(JSON.parse(erased!.body)).toEqual({
      type: 'conversation.erased',
      timestamp: expect.any(String),
      data: { conversationId: id, seq: erased!.seq },
    });
    // The widget refuses the conversation; the inbox no longer shows it; it is found no more.
    const widget = await fetch(`${s.base}/api/conversations/${id}/messages`, {
      headers: { authorization: `Bearer ${s.alice.token}` },
    });
    expect(widget.status).toBe(401);
    expect(await (await api('GET', '/api/admin/inbox?since=1d', ADMIN)).text()).not.toContain(id);
    expect(
      (await json(await api('POST', '/api/admin/privacy/search', ADMIN, { email: ALICE_EMAIL }))).conversations,
    ).toEqual([]);
    // The helpdesk is told (the erased event is the only one of the conversation left).
    await app.delivery.runOnce();
    const told = s.received.map((b) => JSON.parse(b) as Json).filter((b) => b.type === 'conversation.erased');
    expect(told).toEqual([
      { type: 'conversation.erased', timestamp: expect.any(String), data: { conversationId: id, seq: erased!.seq } },
    ]);
    const audit = await json(await api('GET', '/api/admin/privacy/audit?limit=5', ADMIN));
    expect(audit.entries).toContainEqual(
      expect.objectContaining({
        by: 'ada',
        action: 'erase',
        conversationIds: [id],
        counts: expect.objectContaining({ messages: 5 }),
      }),
    );
    const text = JSON.stringify(audit);
    for (const raw of [ALICE_EMAIL, '0612345678', '+33612345678', 'Alice Martin']) expect(text).not.toContain(raw);
    await afterErase?.();
  });

  test('retention: an idle conversation is erased, a recent one kept; delivered bodies lose transcript and contact after 30 days', async () => {
    const s = get();
    const { app } = s.running;
    const now = new Date();
    const old = await oldConversation(s, 400, 'ancien message de dora@example.net');
    const recent = await oldConversation(s, 300, 'message récent de eve@example.net');
    // Two handoffs delivered, one 31 days ago, one yesterday.
    const [longAgo, lately] = [await newCustomer(s.base), await newCustomer(s.base)];
    for (const c of [longAgo, lately]) {
      await say(s.base, c, 'zorglub quux frob fred@example.net');
      await say(s.base, c, 'wibble wobble plonk');
    }
    const requested = async (c: Customer) =>
      (await app.store.events(c.conversationId)).find((e) => e.type === 'handoff.requested')!;
    await app.store.markDelivered((await requested(longAgo)).id, new Date(now.getTime() - 31 * DAY));
    await app.store.markDelivered((await requested(lately)).id, new Date(now.getTime() - 1 * DAY));

    const r = await retentionAt(s, now).retention();
    expect(r.erased).toEqual([old]);
    expect(r.strippedEvents).toBe(1);
    expect(await app.store.get(old)).toBeUndefined();
    expect((await app.store.transcript(old)).map((m) => m.text)).toEqual(['']);
    expect((await app.store.transcript(recent)).map((m) => m.text)).toEqual(['message récent de eve@example.net']);
    const stripped = JSON.parse((await requested(longAgo)).body) as { data: Json };
    expect(stripped.data).not.toHaveProperty('transcript');
    expect(stripped.data).not.toHaveProperty('contact');
    expect(stripped.data).toMatchObject({
      conversationId: longAgo.conversationId,
      queue: 'general',
      reason: 'misunderstood',
    });
    expect(JSON.stringify(stripped)).not.toContain('fred@example.net');
    const kept = JSON.parse((await requested(lately)).body) as { data: Json };
    expect(kept.data).toMatchObject({ contact: { email: 'fred@example.net' }, transcript: expect.any(Array) });
    const [line] = await app.store.listPrivacyAudit(1);
    expect(line).toMatchObject({ by: 'retention', action: 'retention', conversationIds: [old] });
    expect(line!.counts).toMatchObject({ conversations: 1, messages: 1, strippedEvents: 1 });
    // A second run has nothing left to do.
    expect(await retentionAt(s, now).retention()).toMatchObject({ erased: [], strippedEvents: 0 });
  });
}
