/**
 * Chatwoot's translation, without I/O: its webhooks (fixtures from its source, test/fixtures/chatwoot/) as what the
 * bot does, our events as the texts posted there, the signature check and the CHATWOOT_* settings.
 */
import { createHmac } from 'node:crypto';
import { checkSignature } from '../../src/channels/chatwoot/channel';
import { customerText, transcriptNote } from '../../src/channels/chatwoot/note';
import { translateWebhook } from '../../src/channels/chatwoot/translate';
import { loadConfig } from '../../src/config';
import { AppError } from '../../src/domain/errors';
import { ChatwootApi } from '../../src/channels/chatwoot/api';
import { ChatwootLinks } from '../../src/channels/chatwoot/links';
import { ChatwootSender } from '../../src/channels/chatwoot/sender';
import type { OutboxEvent } from '../../src/domain/handoff';
import { MemoryConversationStore } from '../../src/storage/memory';
import {
  AGENT,
  INBOX,
  contactCreated,
  conversationCreated,
  messageCreated,
  messageCreatedAnswer,
  statusChanged,
  typingOn,
} from '../fixtures/chatwoot/payloads';

const ATTR = 'savbot_conversation_id';
const t = (body: unknown) => translateWebhook(body, INBOX.id, ATTR);

describe('translateWebhook', () => {
  test("an agent's public outgoing message is an agent message with the agent's name and the message id", () => {
    expect(t(messageCreated({ id: 51, conversationId: 9, content: ' Bonjour ! ' }))).toEqual({
      kind: 'message',
      conversation: 9,
      messageId: 51,
      agent: AGENT.name,
      text: 'Bonjour !',
    });
  });

  test('the conversation attribute we set comes along (fallback lookup)', () => {
    const m = messageCreated({ id: 52, conversationId: 9, content: 'x', attributes: { [ATTR]: 'conv-1' } });
    expect(t(m)).toMatchObject({ kind: 'message', attribute: 'conv-1' });
  });

  test('file links of an agent message follow its text', () => {
    const m = messageCreated({
      id: 53,
      conversationId: 9,
      content: 'Voici le bon',
      attachments: [
        { id: 1, file_type: 'file', data_url: 'https://desk.example/rails/active_storage/blobs/x/bon.pdf' },
      ],
    });
    expect(t(m)).toMatchObject({ text: 'Voici le bon\nhttps://desk.example/rails/active_storage/blobs/x/bon.pdf' });
  });

  test.each([
    ['a private note', { private: true }],
    [
      'our own incoming post',
      { messageType: 'incoming' as const, sender: { id: 4, name: 'Customer', type: 'contact' } },
    ],
    ['an activity', { messageType: 'activity' as const, sender: null }],
    ['a template', { messageType: 'template' as const }],
    ['a CSAT form', { contentType: 'input_csat' }],
    ['another inbox', { inboxId: INBOX.id + 1 }],
  ])('%s is ignored', (_what, extra) => {
    expect(t(messageCreated({ id: 60, conversationId: 9, content: 'texte', ...extra })).kind).toBe('ignored');
  });

  test('an empty message is ignored', () => {
    expect(t(messageCreated({ id: 61, conversationId: 9, content: null })).kind).toBe('ignored');
  });

  test('typing: public typing is passed on, typing a private note is not', () => {
    expect(t(typingOn(9))).toEqual({ kind: 'typing', conversation: 9, agent: AGENT.name });
    expect(t(typingOn(9, true)).kind).toBe('ignored');
  });

  test('status changed: resolved hands back to the bot, other statuses do nothing', () => {
    expect(t(statusChanged(9, 'resolved'))).toEqual({ kind: 'resolved', conversation: 9 });
    expect(t(statusChanged(9, 'pending')).kind).toBe('ignored');
    expect(t(statusChanged(9, 'open')).kind).toBe('ignored');
  });

  test('other events and malformed bodies are ignored', () => {
    expect(t({ ...statusChanged(9, 'resolved'), event: 'conversation_updated' }).kind).toBe('ignored');
    expect(t({ event: 'message_created' }).kind).toBe('ignored');
    expect(t(null).kind).toBe('ignored');
    expect(t('message_created').kind).toBe('ignored');
  });

  test('an agent without a name is "Agent"; a long name is cut', () => {
    const m = (sender: Record<string, unknown>) => messageCreated({ id: 62, conversationId: 9, content: 'x', sender });
    expect(t(m({ id: 1, type: 'user', name: '' }))).toMatchObject({ agent: 'Agent' });
    expect(t(m({ id: 1, type: 'user', name: 'N'.repeat(300) }))).toMatchObject({ agent: 'N'.repeat(100) });
  });
});

describe('texts posted to Chatwoot', () => {
  test('the transcript note has the reason, the lines with their times and who wrote them, the links', () => {
    const note = transcriptNote({
      handoffId: 'h1',
      reason: 'angry',
      queue: 'returns',
      language: 'fr',
      channel: 'widget',
      contact: { email: 'ana@example.com' },
      transcript: [
        { at: '2026-12-01T10:00:00.000Z', from: 'customer', text: 'mon colis' },
        {
          at: '2026-12-01T10:00:01.000Z',
          from: 'customer',
          text: '',
          attachments: [{ name: 'photo.jpg', size: 2048, url: 'https://bot.example/f/1?sig=x' }],
        },
        { at: '2026-12-01T10:00:02.000Z', from: 'bot', text: 'Je vous passe un conseiller.' },
      ],
      transcriptTotal: 60,
      transcriptUrl: 'https://bot.example/api/handoff/transcripts/c1?expires=1&signature=s',
      attachments: [{ name: 'photo.jpg', size: 2048, url: 'https://bot.example/f/1?sig=x' }],
    });
    expect(note).toContain('reason angry, queue returns, language fr, channel widget');
    expect(note).toContain('Email: ana@example.com');
    expect(note).toContain('[2026-12-01 10:00:00 UTC] Customer: mon colis');
    expect(note).toContain('[file] photo.jpg (2 KB): https://bot.example/f/1?sig=x');
    expect(note).toContain('[2026-12-01 10:00:02 UTC] Bot: Je vous passe un conseiller.');
    expect(note).toContain('last 3 of 60 messages');
    expect(note).toContain('Transcript: https://bot.example/api/handoff/transcripts/c1?expires=1&signature=s');
    expect(note).toMatch(/Attachments:\n- photo\.jpg/);
  });

  test("a customer's message: its text, then its files", () => {
    expect(customerText({ handoffId: 'h', text: 'voici', attachments: [{ name: 'a.pdf', url: 'https://b/a' }] })).toBe(
      'voici\n[file] a.pdf: https://b/a',
    );
    expect(customerText({ handoffId: 'h', text: '' })).toBe('(empty message)');
  });
});

describe('checkSignature (X-Chatwoot-Signature)', () => {
  const secret = 'inbox-secret';
  const body = Buffer.from('{"event":"message_created"}');
  const now = new Date('2026-12-01T12:00:00Z');
  const ts = String(now.getTime() / 1000);
  const sig = `sha256=${createHmac('sha256', secret).update(`${ts}.${body.toString()}`).digest('hex')}`;
  const refused = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return e instanceof AppError ? e.status : 0;
    }
    return undefined;
  };

  test('"sha256=" + HMAC-SHA256 of "<timestamp>.<body>" is accepted', () => {
    expect(
      refused(() => checkSignature(secret, { 'x-chatwoot-timestamp': ts, 'x-chatwoot-signature': sig }, body, now)),
    ).toBeUndefined();
  });

  test('missing, wrong, for another body or too old: 401', () => {
    expect(refused(() => checkSignature(secret, {}, body, now))).toBe(401);
    expect(
      refused(() =>
        checkSignature(secret, { 'x-chatwoot-timestamp': ts, 'x-chatwoot-signature': 'sha256=00' }, body, now),
      ),
    ).toBe(401);
    expect(
      refused(() =>
        checkSignature(secret, { 'x-chatwoot-timestamp': ts, 'x-chatwoot-signature': sig }, Buffer.from('{}'), now),
      ),
    ).toBe(401);
    const later = new Date(now.getTime() + 301_000);
    expect(
      refused(() => checkSignature(secret, { 'x-chatwoot-timestamp': ts, 'x-chatwoot-signature': sig }, body, later)),
    ).toBe(401);
  });
});

describe('CHATWOOT_* settings', () => {
  const all = {
    CHATWOOT_URL: 'https://desk.example.com/',
    CHATWOOT_ACCOUNT_ID: '1',
    CHATWOOT_INBOX_ID: '7',
    CHATWOOT_API_TOKEN: 'agent-access-token',
    CHATWOOT_WEBHOOK_TOKEN: 'a-long-webhook-token-1234',
  };

  test('none: Chatwoot is off', () => {
    expect(loadConfig({}).chatwoot).toBeUndefined();
  });

  test('all five: on, the URL without its trailing slash, the ids as numbers', () => {
    expect(loadConfig(all).chatwoot).toEqual({
      url: 'https://desk.example.com',
      accountId: 1,
      inboxId: 7,
      apiToken: 'agent-access-token',
      webhookToken: 'a-long-webhook-token-1234',
    });
    expect(loadConfig({ ...all, CHATWOOT_WEBHOOK_SECRET: 's3cret' }).chatwoot?.webhookSecret).toBe('s3cret');
  });

  test('a partial set is an error naming what is missing', () => {
    const { CHATWOOT_API_TOKEN: _t, CHATWOOT_INBOX_ID: _i, ...partial } = all;
    expect(() => loadConfig(partial)).toThrow(/missing CHATWOOT_INBOX_ID, CHATWOOT_API_TOKEN/);
    expect(() => loadConfig({ CHATWOOT_WEBHOOK_SECRET: 'x' })).toThrow(/CHATWOOT_WEBHOOK_SECRET is set/);
  });

  test('bad values name the variable', () => {
    expect(() => loadConfig({ ...all, CHATWOOT_WEBHOOK_TOKEN: 'short' })).toThrow(
      /CHATWOOT_WEBHOOK_TOKEN must be at least 16/,
    );
    expect(() => loadConfig({ ...all, CHATWOOT_URL: 'desk.example.com' })).toThrow(/CHATWOOT_URL="desk.example.com"/);
    expect(() => loadConfig({ ...all, CHATWOOT_INBOX_ID: 'seven' })).toThrow(/CHATWOOT_INBOX_ID="seven"/);
  });
});

describe('ChatwootSender', () => {
  /** A Chatwoot answering from fixtures through an injected fetch; `failNote` makes the first note a 503. */
  function desk(failNote: boolean) {
    const calls: string[] = [];
    let failed = false;
    const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
      const path = new URL(String(input)).pathname.replace('/api/v1/accounts/1', '');
      calls.push(`${init?.method} ${path}`);
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
      if (path === '/contacts') return json(200, contactCreated(21, 'src-21'));
      if (path === '/conversations') return json(200, conversationCreated(31, {}));
      if (failNote && !failed) {
        failed = true;
        return json(503, { error: 'down' }, { 'retry-after': '7' });
      }
      return json(200, messageCreatedAnswer(41, 31, 'x', 1, true));
    }) as typeof fetch;
    const store = new MemoryConversationStore();
    const sender = new ChatwootSender({
      api: new ChatwootApi({ url: 'https://desk.example', accountId: 1, apiToken: 'tok', fetch: fetchFn }),
      links: new ChatwootLinks(store),
      inboxId: INBOX.id,
      endpoint: 'chatwoot test',
      now: () => new Date('2026-12-01T12:00:00Z'),
    });
    return { calls, sender, links: new ChatwootLinks(store) };
  }
  const event = (type: OutboxEvent['type'], data: Record<string, unknown>, id = 1): OutboxEvent => ({
    id,
    target: 'chatwoot',
    webhookId: `msg_${id}`,
    conversationId: 'conv-1',
    seq: id,
    type,
    body: JSON.stringify({
      type,
      timestamp: '2026-12-01T12:00:00Z',
      data: { conversationId: 'conv-1', seq: id, ...data },
    }),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: '2026-12-01T12:00:00Z',
    createdAt: '2026-12-01T12:00:00Z',
  });
  const handoff = event('handoff.requested', { handoffId: 'h1', reason: 'customer-request', transcript: [] });

  test('a retried handoff resumes after the last step done: one contact, one conversation, one note', async () => {
    const { calls, sender, links } = desk(true);
    expect(await sender.send(handoff)).toMatchObject({ ok: false, status: 503, retryAfterMs: 7000 });
    expect(await sender.send(handoff)).toEqual({ ok: true });
    expect(calls).toEqual([
      'POST /contacts',
      'POST /conversations',
      'POST /conversations/31/messages',
      'POST /conversations/31/messages',
    ]);
    expect(await links.get('conv-1')).toEqual({
      handoffId: 'h1',
      contactId: 21,
      sourceId: 'src-21',
      conversationId: 31,
      noted: true,
    });
    expect(await links.ours(31)).toBe('conv-1');
  });

  test('a new handoff of the same conversation keeps the contact and opens a new Chatwoot conversation', async () => {
    const { calls, sender, links } = desk(false);
    await sender.send(handoff);
    calls.length = 0;
    expect(await sender.send(event('handoff.requested', { handoffId: 'h2', transcript: [] }, 2))).toEqual({ ok: true });
    expect(calls).toEqual(['POST /conversations', 'POST /conversations/31/messages']);
    expect(await links.get('conv-1')).toMatchObject({ handoffId: 'h2', contactId: 21 });
  });

  test('a customer message before its conversation exists is a failed attempt (retried), not a lost message', async () => {
    const { sender } = desk(false);
    const msg = event('conversation.message', { handoffId: 'h1', text: 'bonjour' }, 2);
    expect(await sender.send(msg)).toMatchObject({
      ok: false,
      error: expect.stringContaining('no Chatwoot conversation'),
    });
  });
});

describe('ChatwootLinks', () => {
  test("a new handoff's link deletes the way back of the Chatwoot conversation it supersedes", async () => {
    const store = new MemoryConversationStore();
    const links = new ChatwootLinks(store);
    await links.save('ours-1', { handoffId: 'h1', conversationId: 41 });
    expect(await links.ours(41)).toBe('ours-1');
    await links.save('ours-1', { handoffId: 'h2' });
    expect(await store.getSetting('chatwoot.cw:41')).toBeUndefined();
    await links.save('ours-1', { handoffId: 'h2', conversationId: 42 });
    await links.save('ours-1', { handoffId: 'h2', conversationId: 42, noted: true });
    expect([await links.ours(41), await links.ours(42)]).toEqual([undefined, 'ours-1']);
    expect(await store.getSetting('chatwoot.cw:42')).toBe('ours-1');
  });
});
