import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';
import { AppError, ConfigError } from '../../src/domain/errors';
import { WEBHOOK_DISABLED_SETTING, enableEndpoint } from '../../src/handoff/delivery';
import {
  newConversationState,
  type ChannelRef,
  type ConversationState,
  type NewMessage,
} from '../../src/domain/conversation';
import type { HandoffState, OutboxEvent, QueueName } from '../../src/domain/handoff';
import { stripEventBody } from '../../src/domain/privacy';
import { deskClaimKey, deskNotesKey } from '../../src/domain/desk';
import { emailThreadKey } from '../../src/domain/handoff';
import { chatwootBackKey, chatwootLinkKey, queueToldKey, welcomeKey } from '../../src/domain/settings';
import { MemoryConversationStore } from '../../src/storage/memory';
import type { ConversationStore, Store, StoreChange } from '../../src/storage/ports';
import type { PgChangeFeed } from '../../src/storage/sql/changes';
import { SqlConversationStore, createStore } from '../../src/storage/sql/store';
import { PG_ADMIN_URL } from '../support/postgres';

/**
 * One contract, three stores. PostgreSQL is the one at TEST_POSTGRES_URL (this machine's, in CI too), or an embedded
 * one when none answers there (support/postgres-setup.ts): a fresh database is created for the run and dropped at
 * the end. If it cannot be reached the PostgreSQL tests fail; they never skip.
 */
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'savbot-store-'));
const pgDbName = `savbot_test_${randomBytes(6).toString('hex')}`;
const pgUrl = (() => {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${pgDbName}`;
  return u.toString();
})();

let pgCreated: Promise<void> | undefined;
/** Creates the run's PostgreSQL database once (a rejected promise fails every test that needs it). */
function ensurePgDatabase(): Promise<void> {
  pgCreated ??= withPgAdmin((c) => c.query(`CREATE DATABASE ${pgDbName}`)).then(() => undefined);
  return pgCreated;
}

async function withPgAdmin<T>(fn: (c: Client) => Promise<T>, url = PG_ADMIN_URL): Promise<T> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

afterAll(async () => {
  fs.rmSync(tmpDir, { recursive: true, force: true });
  if (
    pgCreated &&
    (await pgCreated.then(
      () => true,
      () => false,
    ))
  ) {
    await withPgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${pgDbName} WITH (FORCE)`));
  }
});

interface Backend {
  name: string;
  open(): Promise<ConversationStore>;
}

interface SqlBackend extends Backend {
  open(): Promise<SqlConversationStore>;
  /** Names of the applied migrations and of the indexes on `messages`, read without the store. */
  inspect(): Promise<{ migrations: string[]; indexes: string[] }>;
}

const sqliteFile = path.join(tmpDir, 'nested', 'dir', 'conversations.db');

const sqlite: SqlBackend = {
  name: 'SQLite',
  open: () => SqlConversationStore.open({ sqliteFile }),
  async inspect() {
    const db = new BetterSqlite3(sqliteFile, { readonly: true });
    try {
      const migrations = db.prepare('select name from kysely_migration order by name').pluck().all() as string[];
      const indexes = db
        .prepare("select name from sqlite_master where type = 'index' and tbl_name = 'messages'")
        .pluck()
        .all() as string[];
      return { migrations, indexes };
    } finally {
      db.close();
    }
  },
};

const postgres: SqlBackend = {
  name: 'PostgreSQL',
  async open() {
    await ensurePgDatabase();
    return SqlConversationStore.open({ url: pgUrl });
  },
  async inspect() {
    await ensurePgDatabase();
    return withPgAdmin(async (c) => {
      const migrations = (await c.query('select name from kysely_migration order by name')).rows.map(
        (r) => r.name as string,
      );
      const indexes = (await c.query("select indexname from pg_indexes where tablename = 'messages'")).rows.map(
        (r) => r.indexname as string,
      );
      return { migrations, indexes };
    }, pgUrl);
  },
};

const memory: Backend = { name: 'memory', open: async () => new MemoryConversationStore() };

let seq = 0;
/** A conversation id unique to the run (the SQL stores are shared by all the tests of a backend). */
const newId = () => `conv-${process.pid}-${++seq}-${randomBytes(3).toString('hex')}`;

const minimalState = (id = newId()): ConversationState =>
  newConversationState({ id, channel: 'widget', at: '2026-03-01T10:00:00.000Z' });

const fullState = (id = newId()): ConversationState => ({
  id,
  channel: 'widget',
  tokenHash: 'a3f5c0e1b2d4967788aa00ffee11223344556677889900aabbccddeeff001122',
  lang: 'ro',
  createdAt: '2026-03-01T10:00:00.000Z',
  updatedAt: '2026-03-01T10:05:42.123Z',
  misunderstandings: 2,
  dialog: {
    dialogId: 'return-request',
    step: 3,
    slots: { orderNumber: 'CMD-2026-0042', reason: 'défectueux — écran « cassé » 💥', empty: '' },
    attempts: 1,
    pending: { kind: 'switch', text: 'Unde este coletul meu?' },
  },
  awaitingCsat: true,
  csat: { score: 4, at: '2026-03-01T10:06:00.000Z' },
  handoff: {
    id: 'h-1',
    queue: 'returns',
    lang: 'ro',
    reason: 'angry',
    status: 'active',
    requestedAt: '2026-03-01T10:04:00.000Z',
    joinedAt: '2026-03-01T10:05:00.000Z',
    agentName: 'Ioana',
  },
  offered: [
    { label: 'Da « sigur »', value: 'yes' },
    { label: 'Nu', value: 'no' },
  ],
  email: { address: 'ioana@exemplu.ro', consentAt: '2026-03-01T10:05:30.000Z', replies: true, offeredFor: 'h-1' },
});

const customer = (text: string, extra: Partial<NewMessage> = {}): NewMessage => ({
  at: '2026-03-01T10:01:00.000Z',
  from: 'customer',
  text,
  ...extra,
});
const bot = (text: string): NewMessage => ({
  at: '2026-03-01T10:01:00.500Z',
  from: 'bot',
  text,
  source: { kind: 'faq', id: 'warranty-duration', confidence: 0.8734512 },
  kbVersion: 'kb-2026-03-01-abc123',
});

describe.each([memory, sqlite, postgres])('conversation store contract: $name', (backend) => {
  let store: ConversationStore;

  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store?.close();
  });

  test('create then get returns every field exactly, optional fields absent', async () => {
    const full = fullState();
    const minimal = minimalState();
    await store.create(full);
    await store.create(minimal);
    expect(await store.get(full.id)).toStrictEqual(full);
    const got = await store.get(minimal.id);
    expect(got).toStrictEqual(minimal);
    expect(Object.keys(got!)).not.toEqual(expect.arrayContaining(['tokenHash']));
    expect(got).not.toHaveProperty('lang');
  });

  test('get returns undefined for an unknown id', async () => {
    expect(await store.get('no-such-conversation')).toBeUndefined();
  });

  test('a duplicate create is rejected and the first one kept', async () => {
    const s = fullState();
    await store.create(s);
    await expect(store.create({ ...minimalState(s.id), channel: 'other' })).rejects.toThrow(/already exists/);
    expect(await store.get(s.id)).toStrictEqual(s);
  });

  test('append returns records with increasing ids, which the transcript returns unchanged', async () => {
    const s = minimalState();
    await store.create(s);
    const first = await store.append(s.id, [customer('Bonjour'), customer('Garantie', { action: 'topic:warranty' })]);
    const second = await store.append(s.id, [
      bot('La garantie est de 2 ans.'),
      { at: '2026-03-01T10:02:00.000Z', from: 'agent', text: 'Ici Marie.' },
    ]);
    const all = [...first, ...second];
    const ids = all.map((m) => m.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(4);

    expect(first[0]).toStrictEqual({
      id: ids[0],
      conversationId: s.id,
      at: '2026-03-01T10:01:00.000Z',
      from: 'customer',
      text: 'Bonjour',
    });
    expect(first[1]).toStrictEqual({
      id: ids[1],
      conversationId: s.id,
      at: '2026-03-01T10:01:00.000Z',
      from: 'customer',
      text: 'Garantie',
      action: 'topic:warranty',
    });
    expect(second[0]).toStrictEqual({ id: ids[2], conversationId: s.id, ...bot('La garantie est de 2 ans.') });
    expect(await store.transcript(s.id)).toStrictEqual(all);
    expect(await store.append(s.id, [])).toEqual([]);
  });

  test('append to an unknown conversation is rejected', async () => {
    await expect(store.append('no-such-conversation', [customer('hello')])).rejects.toThrow(/not found/);
    expect(await store.transcript('no-such-conversation')).toEqual([]);
  });

  test('transcript after an id returns only the later messages, oldest first', async () => {
    const a = minimalState();
    const b = minimalState();
    await store.create(a);
    await store.create(b);
    const m1 = await store.append(a.id, [customer('a1'), customer('a2')]);
    await store.append(b.id, [customer('b1')]);
    const m2 = await store.append(a.id, [customer('a3')]);
    expect((await store.transcript(a.id)).map((m) => m.text)).toEqual(['a1', 'a2', 'a3']);
    expect((await store.transcript(a.id, m1[0]!.id)).map((m) => m.text)).toEqual(['a2', 'a3']);
    expect((await store.transcript(a.id, m1[1]!.id)).map((m) => m.text)).toEqual(['a3']);
    expect(await store.transcript(a.id, m2[0]!.id)).toEqual([]);
    expect((await store.transcript(b.id, 0)).map((m) => m.text)).toEqual(['b1']);
  });

  test('messagesPage: at most limit messages between after and before, oldest first; newest takes the last ones', async () => {
    const a = minimalState();
    const b = minimalState();
    await store.create(a);
    await store.create(b);
    const first = await store.append(a.id, [customer('a1'), customer('a2'), customer('a3')]);
    await store.append(b.id, [customer('b1')]);
    const rest = await store.append(a.id, [customer('a4'), customer('a5')]);
    const ids = [...first, ...rest].map((m) => m.id);
    const texts = async (q: Parameters<ConversationStore['messagesPage']>[1]) =>
      (await store.messagesPage(a.id, q)).map((m) => m.text);
    expect(await store.messagesPage(a.id, { limit: 2 })).toStrictEqual(first.slice(0, 2));
    expect(await texts({ limit: 10 })).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(await texts({ after: ids[1], limit: 2 })).toEqual(['a3', 'a4']);
    expect(await texts({ after: ids[4], limit: 2 })).toEqual([]);
    expect(await texts({ before: ids[3], limit: 2 })).toEqual(['a1', 'a2']);
    expect(await texts({ before: ids[3], limit: 2, newest: true })).toEqual(['a2', 'a3']);
    expect(await texts({ limit: 2, newest: true })).toEqual(['a4', 'a5']);
    expect(await texts({ after: ids[0], before: ids[4], limit: 10 })).toEqual(['a2', 'a3', 'a4']);
    expect(await texts({ after: ids[0], before: ids[4], limit: 2, newest: true })).toEqual(['a3', 'a4']);
    expect(await store.messagesPage('no-such-conversation', { limit: 5 })).toEqual([]);
    expect(await store.messageCount(a.id)).toBe(5);
    expect(await store.messageCount(b.id)).toBe(1);
    expect(await store.messageCount('no-such-conversation')).toBe(0);
  });

  test('pages of 1,000 messages put back together are the whole transcript, once each', async () => {
    const s = minimalState();
    await store.create(s);
    await store.append(
      s.id,
      Array.from({ length: 1000 }, (_, i) => customer(`m${i}`)),
    );
    const forward: number[] = [];
    for (let after = 0; ;) {
      const page = await store.messagesPage(s.id, { after, limit: 128 });
      if (!page.length) break;
      forward.push(...page.map((m) => m.id));
      after = page[page.length - 1]!.id;
    }
    const backward: number[] = [];
    for (let before: number | undefined; ;) {
      const page = await store.messagesPage(s.id, { ...(before ? { before } : {}), limit: 128, newest: true });
      if (!page.length) break;
      backward.unshift(...page.map((m) => m.id));
      before = page[0]!.id;
    }
    const all = (await store.transcript(s.id)).map((m) => m.id);
    expect(forward).toEqual(all);
    expect(backward).toEqual(all);
    expect(all).toHaveLength(1000);
  });

  test("customerMessage finds the customer's message by its client id, in its conversation only", async () => {
    const a = minimalState();
    const b = minimalState();
    await store.create(a);
    await store.create(b);
    const [, sent] = await store.append(a.id, [customer('a1'), customer('a2', { clientId: 'wc-1' })]);
    await store.append(b.id, [customer('b1', { clientId: 'wc-2' })]);
    expect(await store.customerMessage(a.id, 'wc-1')).toStrictEqual(sent);
    expect(await store.customerMessage(a.id, 'wc-2')).toBeUndefined();
    expect(await store.customerMessage(b.id, 'wc-1')).toBeUndefined();
    expect(await store.customerMessage(a.id, 'nope')).toBeUndefined();
  });

  test('messageCount counts the messages of one conversation (its quota)', async () => {
    const a = minimalState();
    const b = minimalState();
    await store.create(a);
    await store.create(b);
    expect(await store.messageCount(a.id)).toBe(0);
    await store.append(a.id, [customer('a1'), bot('a2')]);
    await store.saveTurn(a, [bot('a3')]);
    await store.append(b.id, [customer('b1')]);
    expect(await store.messageCount(a.id)).toBe(3);
    expect(await store.messageCount(b.id)).toBe(1);
    expect(await store.messageCount('nope')).toBe(0);
  });

  test('saveTurn stores the new state and appends the messages', async () => {
    const s = minimalState();
    await store.create(s);
    const before = await store.append(s.id, [customer('Je veux retourner un produit')]);
    const next: ConversationState = {
      ...fullState(s.id),
      createdAt: s.createdAt,
      updatedAt: '2026-03-01T10:03:00.000Z',
      dialog: { dialogId: 'return-request', step: 0, slots: {}, attempts: 0 },
    };
    const saved = await store.saveTurn(next, [bot('Quel est le numéro de commande ?')]);
    expect(saved).toHaveLength(1);
    expect(saved[0]!.id).toBeGreaterThan(before[0]!.id);
    expect(await store.get(s.id)).toStrictEqual(next);
    expect(await store.transcript(s.id)).toStrictEqual([...before, ...saved]);

    // And back: optional fields removed, dialog and csat cleared, awaitingCsat false.
    const cleared = { ...minimalState(s.id), misunderstandings: 5, updatedAt: '2026-03-01T10:04:00.000Z' };
    expect(await store.saveTurn(cleared, [])).toEqual([]);
    expect(await store.get(s.id)).toStrictEqual(cleared);
  });

  test('saveTurn for an unknown conversation is rejected and stores nothing', async () => {
    const ghost = minimalState();
    await expect(store.saveTurn(ghost, [customer('hello')])).rejects.toThrow(/not found/);
    expect(await store.get(ghost.id)).toBeUndefined();
    expect(await store.transcript(ghost.id)).toEqual([]);
  });

  test('saveTurn is atomic: an invalid second message leaves neither the state nor the first message', async () => {
    const s = fullState();
    await store.create(s);
    const kept = await store.append(s.id, [customer('avant')]);
    const changed: ConversationState = {
      ...s,
      misunderstandings: 9,
      awaitingCsat: false,
      dialog: null,
      csat: null,
      updatedAt: '2026-03-02T00:00:00.000Z',
    };
    const invalid = { at: '2026-03-02T00:00:00.000Z', from: 'robot', text: 'not a sender' } as unknown as NewMessage;
    // Not `.rejects.toThrow()`: better-sqlite3 creates its errors from the SqliteError class of the first test file
    // that loaded it in this Jest worker, so they may fail Jest's Error check. Memory, SQLite and PostgreSQL messages
    // all name the sender.
    await expect(store.saveTurn(changed, [bot('first, valid'), invalid])).rejects.toMatchObject({
      message: expect.stringMatching(/sender/),
    });
    expect(await store.get(s.id)).toStrictEqual(s);
    expect(await store.transcript(s.id)).toStrictEqual(kept);
    // The store still works afterwards (no transaction left open).
    const ok = await store.saveTurn(changed, [bot('after')]);
    expect(await store.transcript(s.id)).toStrictEqual([...kept, ...ok]);
  });

  test('concurrent saveTurn calls on two conversations keep each transcript whole and ordered', async () => {
    const a = minimalState();
    const b = minimalState();
    await store.create(a);
    await store.create(b);
    const turns = 15;
    const turn = (s: ConversationState, i: number) =>
      store.saveTurn({ ...s, misunderstandings: i, updatedAt: `2026-03-01T11:00:${String(i).padStart(2, '0')}.000Z` }, [
        customer(`${s.id} q${i}`),
        bot(`${s.id} r${i}`),
      ]);
    const results = await Promise.all(Array.from({ length: turns }, (_, i) => [turn(a, i), turn(b, i)]).flat());
    const ids = results.flat().map((m) => m.id);
    expect(new Set(ids).size).toBe(turns * 4);
    for (const s of [a, b]) {
      const t = await store.transcript(s.id);
      expect(t).toHaveLength(turns * 2);
      expect(t.every((m) => m.conversationId === s.id && m.text.startsWith(s.id))).toBe(true);
      expect(t.map((m) => m.id)).toEqual([...t.map((m) => m.id)].sort((x, y) => x - y));
      // Each turn's question is followed by its own reply.
      for (let k = 0; k < t.length; k += 2) expect(t[k + 1]!.text).toBe(t[k]!.text.replace(/ q(\d+)$/, ' r$1'));
      expect(new Set(t.map((m) => m.text)).size).toBe(turns * 2);
      const got = await store.get(s.id);
      expect(got!.misunderstandings).toBeGreaterThanOrEqual(0);
      expect(got!.misunderstandings).toBeLessThan(turns);
    }
  });

  test('1,000 messages in a conversation read back in order', async () => {
    const s = minimalState();
    await store.create(s);
    const messages = Array.from({ length: 1000 }, (_, i) => (i % 2 ? bot(`reply ${i}`) : customer(`message ${i}`)));
    const appended = await store.append(s.id, messages.slice(0, 600));
    for (let i = 600; i < 1000; i += 100) appended.push(...(await store.append(s.id, messages.slice(i, i + 100))));
    const t = await store.transcript(s.id);
    expect(t).toHaveLength(1000);
    expect(t).toStrictEqual(appended);
    expect(t.map((m) => m.text)).toEqual(messages.map((m) => m.text));
    for (let i = 1; i < t.length; i++) expect(t[i]!.id).toBeGreaterThan(t[i - 1]!.id);
    expect(await store.transcript(s.id, t[989]!.id)).toStrictEqual(t.slice(990));
  });
});

/** Due times a little after the events' creation time (the stores stamp new events with the real clock). */
const later = (ms = 0) => new Date(Date.now() + 1000 + ms);

describe.each([memory, sqlite, postgres])('outbox contract: $name', (backend) => {
  let store: ConversationStore;

  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store?.close();
  });

  /** A new conversation with `n` events queued in one turn. */
  async function withEvents(n: number, s = minimalState()): Promise<OutboxEvent[]> {
    if (!(await store.get(s.id))) await store.create(s);
    await store.saveTurn(s, [], {
      events: Array.from({ length: n }, (_, i) => ({ type: 'conversation.message' as const, data: { text: `m${i}` } })),
    });
    return store.events(s.id);
  }

  /** The claimed events of the given conversations (the SQL stores are shared by the tests of a backend). */
  const claim = async (conversations: string[], at: Date, limit = 1000, leaseMs = 60_000) =>
    (await store.claimDue(at, limit, leaseMs))
      .filter((e) => conversations.includes(e.conversationId))
      .map((e) => [e.conversationId, e.seq] as const);

  test('hasHandoffRequest: true once a handoff.requested event is queued (any target), for that conversation only', async () => {
    const [asked, other] = [minimalState(), minimalState()];
    await withEvents(2, asked);
    await withEvents(1, other);
    expect(await store.hasHandoffRequest(asked.id)).toBe(false);
    await store.saveTurn(asked, [], {
      events: [{ type: 'handoff.requested', data: { handoffId: 'h' }, target: 'chatwoot' }],
    });
    expect(await store.hasHandoffRequest(asked.id)).toBe(true);
    expect(await store.hasHandoffRequest(other.id)).toBe(false);
    expect(await store.hasHandoffRequest(newId())).toBe(false);
  });

  test('saveTurn numbers events 1, 2, 3 per conversation in order, each with its own webhook id and exact body', async () => {
    const s = minimalState();
    const other = minimalState();
    await store.create(s);
    await store.create(other);
    const pendingBefore = await store.pendingCount();
    await store.saveTurn(s, [bot('Je vous passe un conseiller.')], {
      events: [
        { type: 'handoff.requested', data: { queue: 'returns', reason: 'angry', text: 'écran « cassé » 💥' } },
        { type: 'conversation.message', data: { from: 'customer', text: 'allô ?' } },
      ],
    });
    await store.saveTurn(other, [], { events: [{ type: 'csat.received', data: { score: 5 } }] });
    await store.saveTurn(s, [], { events: [{ type: 'conversation.closed', data: {} }] });

    const evs = await store.events(s.id);
    expect(evs.map((e) => [e.seq, e.type])).toEqual([
      [1, 'handoff.requested'],
      [2, 'conversation.message'],
      [3, 'conversation.closed'],
    ]);
    for (const e of evs) {
      expect(e).toStrictEqual({
        id: e.id,
        target: 'webhook',
        webhookId: e.webhookId,
        conversationId: s.id,
        seq: e.seq,
        type: e.type,
        body: e.body,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: e.createdAt,
        createdAt: e.createdAt,
      });
      expect(e.webhookId).toMatch(/^msg_[A-Za-z0-9_-]{16,}$/);
      expect(Number.isNaN(Date.parse(e.createdAt))).toBe(false);
    }
    expect(evs.map((e) => e.id)).toEqual([...evs.map((e) => e.id)].sort((a, b) => a - b));
    expect(JSON.parse(evs[0]!.body)).toStrictEqual({
      type: 'handoff.requested',
      timestamp: evs[0]!.createdAt,
      data: { conversationId: s.id, seq: 1, queue: 'returns', reason: 'angry', text: 'écran « cassé » 💥' },
    });
    expect(JSON.parse(evs[2]!.body)).toStrictEqual({
      type: 'conversation.closed',
      timestamp: evs[2]!.createdAt,
      data: { conversationId: s.id, seq: 3 },
    });

    const otherEvs = await store.events(other.id);
    expect(otherEvs.map((e) => [e.seq, e.type])).toEqual([[1, 'csat.received']]);
    expect(new Set([...evs, ...otherEvs].map((e) => e.webhookId)).size).toBe(4);
    expect(await store.pendingCount()).toBe(pendingBefore + 4);
  });

  test('a rejected saveTurn queues no event and uses no sequence number', async () => {
    const s = minimalState();
    await store.create(s);
    await withEvents(1, s);
    const invalid = { at: '2026-03-02T00:00:00.000Z', from: 'robot', text: 'not a sender' } as unknown as NewMessage;
    await expect(
      store.saveTurn(s, [invalid], { events: [{ type: 'conversation.message', data: {} }] }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/sender/) });
    expect((await store.events(s.id)).map((e) => e.seq)).toEqual([1]);
    await store.saveTurn(s, [], { events: [{ type: 'conversation.closed', data: {} }] });
    expect((await store.events(s.id)).map((e) => e.seq)).toEqual([1, 2]);
  });

  test('claimDue returns only the earliest pending event of each conversation, and leases it', async () => {
    const a = await withEvents(3);
    const b = await withEvents(1);
    const convs = [a[0]!.conversationId, b[0]!.conversationId];
    const t0 = later().getTime();

    const first = (await store.claimDue(new Date(t0), 1000, 60_000)).filter((e) => convs.includes(e.conversationId));
    expect(first.sort((x, y) => x.id - y.id)).toStrictEqual([a[0], b[0]]);
    // Leased: a second claim before the lease ends gets neither (nor a's later events).
    expect(await claim(convs, new Date(t0 + 1))).toEqual([]);
    expect(await claim(convs, new Date(t0 + 59_000))).toEqual([]);
    // The lease ran out (the worker died): claimable again.
    expect((await claim(convs, new Date(t0 + 61_000))).sort()).toEqual([...convs.map((c) => [c, 1] as const)].sort());

    // Delivered: the next event of the conversation becomes due (b's is still leased).
    await store.markDelivered(a[0]!.id, new Date(t0 + 62_000));
    await store.markDelivered(b[0]!.id, new Date(t0 + 62_000));
    expect(await claim(convs, new Date(t0 + 62_000))).toEqual([[convs[0], 2]]);

    // A retry is not due before next_attempt_at, and it still blocks the events after it.
    await store.markRetry(a[1]!.id, 1, new Date(t0 + 200_000), 'HTTP 500');
    expect(await claim(convs, new Date(t0 + 199_999))).toEqual([]);
    expect(await claim(convs, new Date(t0 + 200_000))).toEqual([[convs[0], 2]]);
    const evs = await store.events(convs[0]!);
    expect(evs.map((e) => [e.seq, e.status, e.attempts])).toEqual([
      [1, 'delivered', 0],
      [2, 'pending', 1],
      [3, 'pending', 0],
    ]);
    expect(evs[0]!.deliveredAt).toBe(new Date(t0 + 62_000).toISOString());
    expect(evs[1]).toMatchObject({ nextAttemptAt: new Date(t0 + 200_000).toISOString(), lastError: 'HTTP 500' });
  });

  test('claimDue takes at most `limit` events, and a second claimer gets the others', async () => {
    const evs = [...(await withEvents(1)), ...(await withEvents(1)), ...(await withEvents(1))];
    const convs = evs.map((e) => e.conversationId);
    const at = later();
    const taken: number[] = [];
    // Bounded: a store that ignored its own leases would hand out the same events forever.
    for (let round = 0; ; round++) {
      expect(round).toBeLessThan(1000);
      const got = await store.claimDue(at, 1, 60_000);
      expect(got.length).toBeLessThanOrEqual(1);
      if (!got.length) break;
      taken.push(...got.filter((e) => convs.includes(e.conversationId)).map((e) => e.id));
    }
    expect(taken.sort((x, y) => x - y)).toEqual(evs.map((e) => e.id));
  });

  test('each target claims only its own events, in order within the target, and not before notBefore', async () => {
    const s = minimalState();
    await store.create(s);
    const t0 = later().getTime();
    const held = new Date(t0 + 30_000).toISOString();
    await store.saveTurn(s, [], {
      events: [
        { type: 'handoff.requested', data: { n: 1 } },
        { type: 'handoff.requested', data: { n: 1 }, target: 'chatwoot' },
        { type: 'conversation.message', data: { n: 2 } },
        { type: 'conversation.message', data: { n: 2 }, target: 'chatwoot' },
        { type: 'conversation.message', data: { n: 3 }, target: 'email', notBefore: held },
      ],
    });
    const evs = await store.events(s.id);
    expect(evs.map((e) => [e.seq, e.target])).toEqual([
      [1, 'webhook'],
      [2, 'chatwoot'],
      [3, 'webhook'],
      [4, 'chatwoot'],
      [5, 'email'],
    ]);
    expect(evs[4]!.nextAttemptAt).toBe(held);
    const mine = async (target: 'webhook' | 'chatwoot' | 'email', at: number) =>
      (await store.claimDue(new Date(at), 1000, 1_000, target))
        .filter((e) => e.conversationId === s.id)
        .map((e) => [e.seq, e.target]);
    // A pending webhook event does not hold Chatwoot's back, and the other way round.
    expect(await mine('webhook', t0)).toEqual([[1, 'webhook']]);
    expect(await mine('chatwoot', t0)).toEqual([[2, 'chatwoot']]);
    expect(await mine('email', t0)).toEqual([]);
    expect(await mine('email', t0 + 30_000)).toEqual([[5, 'email']]);
    await store.markDelivered(evs[1]!.id, new Date(t0));
    expect(await mine('chatwoot', t0 + 2_000)).toEqual([[4, 'chatwoot']]);
    expect(await mine('webhook', t0 + 2_000)).toEqual([[1, 'webhook']]);
  });

  test('markRetry, markDead, listDead and replay', async () => {
    const [e1, e2] = await withEvents(2);
    const conv = e1!.conversationId;
    const t0 = later().getTime();
    await store.markRetry(e1!.id, 1, new Date(t0 + 5_000), 'HTTP 500 Internal Server Error');
    expect((await store.events(conv))[0]).toStrictEqual({
      ...e1!,
      attempts: 1,
      nextAttemptAt: new Date(t0 + 5_000).toISOString(),
      lastError: 'HTTP 500 Internal Server Error',
    });
    expect((await store.listDead()).filter((e) => e.conversationId === conv)).toEqual([]);

    await store.markDead(e1!.id, 9, 'timeout after 10000 ms');
    const dead = (await store.events(conv))[0]!;
    expect(dead).toMatchObject({
      status: 'dead',
      attempts: 9,
      lastError: 'timeout after 10000 ms',
      webhookId: e1!.webhookId,
      body: e1!.body,
    });
    expect((await store.listDead()).filter((e) => e.conversationId === conv)).toStrictEqual([dead]);
    const pending = await store.pendingCount();
    // A dead letter no longer holds up its conversation.
    expect(await claim([conv], new Date(t0 + 10_000))).toEqual([[conv, 2]]);

    expect(await store.replay(e2!.id, new Date(t0))).toBe(false); // not dead
    expect(await store.replay(987_654_321, new Date(t0))).toBe(false); // unknown
    const replayAt = new Date(t0 + 20_000);
    expect(await store.replay(e1!.id, replayAt)).toBe(true);
    expect(await store.replay(e1!.id, replayAt)).toBe(false); // no longer dead
    expect((await store.events(conv))[0]).toMatchObject({
      status: 'pending',
      attempts: 0,
      nextAttemptAt: replayAt.toISOString(),
      webhookId: e1!.webhookId,
      body: e1!.body,
      seq: 1,
    });
    expect((await store.listDead()).filter((e) => e.conversationId === conv)).toEqual([]);
    expect(await store.pendingCount()).toBe(pending + 1);
    // Replayed, it is the earliest pending event of the conversation again, and due at once.
    expect(await claim([conv], replayAt)).toEqual([[conv, 1]]);
  });

  test('rememberInbound is true the first time a webhook id is seen, false afterwards', async () => {
    const id = `msg_${newId()}`;
    const at = new Date('2026-03-01T10:00:00.000Z');
    expect(await store.rememberInbound(id, at)).toBe(true);
    expect(await store.rememberInbound(id, at)).toBe(false);
    expect(await store.rememberInbound(id, new Date('2026-03-02T10:00:00.000Z'))).toBe(false);
    expect(await store.rememberInbound(`${id}-other`, at)).toBe(true);
  });

  test('queuePosition counts the earlier queued handoffs of the queue; recentJoinDelays lists the newest first', async () => {
    // Only this test uses the billing and delivery queues.
    const handoff = (
      queue: QueueName,
      requestedAt: string,
      status: HandoffState['status'] = 'queued',
    ): HandoffState => ({
      id: `h-${newId()}`,
      queue,
      lang: 'fr',
      reason: 'customer-request',
      status,
      requestedAt,
    });
    const put = async (h: HandoffState | null) => {
      const s = minimalState();
      await store.create(s);
      const next = { ...s, handoff: h };
      await store.saveTurn(next, []);
      return next;
    };
    const a = await put(handoff('billing', '2026-03-02T10:00:00.000Z'));
    const b = await put(handoff('billing', '2026-03-02T10:01:00.000Z'));
    const c = await put(handoff('billing', '2026-03-02T10:02:00.000Z'));
    const d = await put(handoff('delivery', '2026-03-02T09:00:00.000Z'));
    await put(handoff('billing', '2026-03-02T09:30:00.000Z', 'active'));
    await put(null);
    const pos = (s: ConversationState) => store.queuePosition(s.handoff!.queue, s.handoff!.requestedAt, s.id);
    expect([await pos(a), await pos(b), await pos(c), await pos(d)]).toEqual([1, 2, 3, 1]);
    expect(await store.queuePosition('billing', '2026-03-02T10:01:30.000Z', 'not-saved-yet')).toBe(3);
    expect(await store.queuePosition('general', '2026-03-02T10:01:30.000Z', 'not-saved-yet')).toBe(1);

    expect(await store.recentJoinDelays('billing', 10)).toEqual([]);
    // An agent takes a (5 min after the request), then b (2 min after).
    const join = async (s: ConversationState, joinedAt: string) => {
      const h = s.handoff!;
      await store.saveTurn({ ...s, handoff: { ...h, status: 'active', joinedAt, agentName: 'Marie' } }, [], {
        joined: { queue: h.queue, requestedAt: h.requestedAt, joinedAt },
      });
    };
    await join(a, '2026-03-02T10:05:00.000Z');
    expect([await pos(b), await pos(c)]).toEqual([1, 2]);
    await join(b, '2026-03-02T10:03:00.000Z');
    expect(await pos(c)).toBe(1);
    expect(await store.recentJoinDelays('billing', 10)).toEqual([120_000, 300_000]);
    expect(await store.recentJoinDelays('billing', 1)).toEqual([120_000]);
    expect(await store.recentJoinDelays('delivery', 10)).toEqual([]);
    // c gives up: out of the queue, d is unaffected.
    await store.saveTurn({ ...c, handoff: null }, []);
    expect(await store.queuePosition('billing', '2026-03-02T10:04:00.000Z', 'not-saved-yet')).toBe(1);
    expect(await pos(d)).toBe(1);
  });

  test('handedOff: conversations with a person, oldest request first, at most the limit; erased ones left out', async () => {
    // Requests older than any other test's, so that they come first in the shared store.
    const put = async (requestedAt: string, status: HandoffState['status']) => {
      const s = minimalState();
      await store.create(s);
      const h: HandoffState = { id: `h-${newId()}`, queue: 'repair', lang: 'ro', reason: 'angry', status, requestedAt };
      await store.saveTurn({ ...s, handoff: status === 'active' ? { ...h, agentName: 'Ion' } : h }, []);
      return s.id;
    };
    const second = await put('1999-01-01T10:02:00.000Z', 'active');
    const first = await put('1999-01-01T10:01:00.000Z', 'queued');
    const erased = await put('1999-01-01T10:00:00.000Z', 'queued');
    const third = await put('1999-01-01T10:03:00.000Z', 'queued');
    const bot = minimalState();
    await store.create(bot);
    await (store as Store).eraseConversation(erased, new Date());
    const listed = await store.handedOff(3);
    expect(listed.map((s) => s.id)).toEqual([first, second, third]);
    expect(listed[1]!.handoff).toMatchObject({ status: 'active', agentName: 'Ion', queue: 'repair', lang: 'ro' });
    expect((await store.handedOff(1000)).map((s) => s.id)).not.toContain(bot.id);
  });

  test('settings: set, overwrite, get, clear', async () => {
    const key = `test.${newId()}`;
    expect(await store.getSetting(key)).toBeUndefined();
    await store.setSetting(key, 'one');
    expect(await store.getSetting(key)).toBe('one');
    await store.setSetting(key, 'two « deux »');
    expect(await store.getSetting(key)).toBe('two « deux »');
    await store.setSetting(key, null);
    expect(await store.getSetting(key)).toBeUndefined();
    await store.setSetting(key, null); // clearing twice is harmless
    expect(await store.getSetting(key)).toBeUndefined();

    await store.setSetting(WEBHOOK_DISABLED_SETTING, 'https://agents.example/hook (410 at 2026-03-01T10:00:00.000Z)');
    expect(await store.getSetting(WEBHOOK_DISABLED_SETTING)).toBe(
      'https://agents.example/hook (410 at 2026-03-01T10:00:00.000Z)',
    );
    await enableEndpoint(store);
    expect(await store.getSetting(WEBHOOK_DISABLED_SETTING)).toBeUndefined();
  });
  test('swapSetting: insert-if-absent, then compare-and-set against the stored value', async () => {
    const key = `swap.${newId()}`;
    expect(await store.swapSetting(key, undefined, 'first')).toBe(true);
    expect(await store.swapSetting(key, undefined, 'second')).toBe(false); // present: kept
    expect(await store.getSetting(key)).toBe('first');
    expect(await store.swapSetting(key, 'stale', 'third')).toBe(false); // not the stored value
    expect(await store.getSetting(key)).toBe('first');
    expect(await store.swapSetting(key, 'first', 'fourth « quatre »')).toBe(true);
    expect(await store.getSetting(key)).toBe('fourth « quatre »');
    expect(await store.swapSetting(`swap.${newId()}`, 'anything', 'x')).toBe(false); // absent, expected a value
    // Concurrent sets of one key all succeed (instances writing the /ready heartbeat at once).
    await Promise.all(['s1', 's2', 's3', 's4'].map((v) => store.setSetting(`${key}.set`, v)));
    expect(['s1', 's2', 's3', 's4']).toContain(await store.getSetting(`${key}.set`));
    // Of concurrent swaps from the same value, exactly one wins.
    const wins = await Promise.all(['a', 'b', 'c', 'd'].map((v) => store.swapSetting(key, 'fourth « quatre »', v)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(['a', 'b', 'c', 'd']).toContain(await store.getSetting(key));
  });
});

describe('change feed', () => {
  test('memory and SQLite have none (one process writes: in-process events)', async () => {
    const mem = await memory.open();
    const lite = await sqlite.open();
    try {
      expect(mem.changes).toBeUndefined();
      expect(lite.changes).toBeUndefined();
    } finally {
      await mem.close();
      await lite.close();
    }
  });

  test('PostgreSQL: another store hears committed appends and turns and signals, never its own or a rollback', async () => {
    const one = await postgres.open();
    const two = await postgres.open();
    const heardByTwo: StoreChange[] = [];
    const heardByOne: StoreChange[] = [];
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    try {
      const stopTwo = two.changes!.watch((c) => heardByTwo.push(c));
      one.changes!.watch((c) => heardByOne.push(c));
      await until(() => (two.changes as PgChangeFeed).listening && (one.changes as PgChangeFeed).listening);
      const s = minimalState();
      await one.create(s);
      await one.append(s.id, [customer('bonjour')]);
      await until(() => heardByTwo.length >= 1);
      expect(heardByTwo).toEqual([{ conversationId: s.id }]);
      // A failed write (unknown conversation) notifies nobody: the NOTIFY is in its rolled-back transaction.
      await expect(one.append('no-such-conversation', [customer('x')])).rejects.toThrow();
      await one.saveTurn(s, [bot('réponse')]);
      await one.changes!.signal({ conversationId: s.id, typing: 'Ioana' });
      await until(() => heardByTwo.length >= 3);
      expect(heardByTwo).toEqual([
        { conversationId: s.id },
        { conversationId: s.id },
        { conversationId: s.id, typing: 'Ioana' },
      ]);
      expect(heardByOne).toEqual([]); // its own changes are told in-process
      await two.append(s.id, [customer('encore')]);
      await until(() => heardByOne.length >= 1);
      expect(heardByOne).toEqual([{ conversationId: s.id }]);
      stopTwo();
      await one.append(s.id, [customer('après')]);
      await two.append(s.id, [customer('sync')]); // heard by one: by then, one's append was long delivered
      await until(() => heardByOne.length >= 2);
      expect(heardByTwo).toHaveLength(3);
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('PostgreSQL: the listener reconnects after its connection is killed and says "*" (look again)', async () => {
    const one = await postgres.open();
    const two = await postgres.open();
    const heard: StoreChange[] = [];
    const feed = two.changes as PgChangeFeed;
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 800 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    try {
      feed.watch((c) => heard.push(c));
      await until(() => feed.listening);
      await withPgAdmin(
        (c) =>
          c.query(
            "select pg_terminate_backend(pid) from pg_stat_activity where query = 'LISTEN sav_changes' and datname = $1",
            [pgDbName],
          ),
        pgUrl,
      );
      await until(() => heard.some((c) => c.conversationId === '*'));
      expect(heard).toContainEqual({ conversationId: '*' });
      const s = minimalState();
      await one.create(s);
      await one.append(s.id, [customer('après la coupure')]);
      await until(() => heard.some((c) => c.conversationId === s.id));
      expect(heard).toContainEqual({ conversationId: s.id });
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('outbox: PostgreSQL concurrency', () => {
  test('concurrent claimDue calls (two stores, several connections) never return the same event', async () => {
    const one = await postgres.open();
    const two = await postgres.open();
    try {
      const convs = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const s = minimalState();
        convs.add(s.id);
        await one.create(s);
        await one.saveTurn(s, [], {
          events: [
            { type: 'conversation.message', data: { i } },
            { type: 'conversation.message', data: { i, second: true } },
          ],
        });
      }
      const at = later();
      const claimers = [one, two, one, two, one, two];
      const claimed = await Promise.all(
        claimers.map(async (store) => {
          const got: OutboxEvent[] = [];
          for (let round = 0; round < 1000; round++) {
            const batch = await store.claimDue(at, 3, 60_000);
            if (!batch.length) return got;
            got.push(...batch);
          }
          throw new Error('claimDue kept returning events: leases are not respected');
        }),
      );
      const mine = claimed.flat().filter((e) => convs.has(e.conversationId));
      const ids = mine.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length); // no event handed out twice
      expect(mine).toHaveLength(30); // every conversation's first event, once
      expect(mine.every((e) => e.seq === 1)).toBe(true); // and never a second one while the first is pending
      expect(new Set(mine.map((e) => e.conversationId)).size).toBe(30);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe.each([memory, sqlite, postgres])('channel references: $name', (backend) => {
  let store: ConversationStore;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store.close();
  });

  const teamsRef = (conversationId: string, externalId: string): ChannelRef => ({
    conversationId,
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    conversation: {
      id: externalId,
      conversationType: 'channel',
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      isGroup: true,
    },
    bot: { id: '28:6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e', name: 'SAV « Bot »' },
    user: { id: '29:1Xb-user', name: 'Ioana Popescu', aadObjectId: '0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9' },
    locale: 'ro-RO',
    updatedAt: '2026-03-01T10:00:00.000Z',
  });

  test('stores a reference and reads it back by conversation and by channel conversation id', async () => {
    const s = minimalState();
    await store.create(s);
    const external = `19:${newId()}@thread.tacv2;messageid=1700000000000`;
    const ref = teamsRef(s.id, external);
    expect(await store.linkChannel(ref)).toStrictEqual(ref);
    expect(await store.channelRef(s.id)).toStrictEqual(ref);
    expect(await store.channelRefByExternal('msteams', external)).toStrictEqual(ref);
    expect(await store.channelRefByExternal('webchat', external)).toBeUndefined();
    expect(await store.channelRef(newId())).toBeUndefined();
  });

  test('a second link of the same channel conversation keeps the first conversation and updates the address', async () => {
    const first = minimalState();
    const second = minimalState();
    await store.create(first);
    await store.create(second);
    const external = `a:1Xb${newId()}`;
    await store.linkChannel(teamsRef(first.id, external));
    const moved = {
      ...teamsRef(second.id, external),
      serviceUrl: 'https://smba.trafficmanager.net/amer/',
      locale: 'fr-FR',
      updatedAt: '2026-03-02T08:00:00.000Z',
    };
    const linked = await store.linkChannel(moved);
    expect(linked).toStrictEqual({ ...moved, conversationId: first.id });
    expect(await store.channelRef(first.id)).toStrictEqual({ ...moved, conversationId: first.id });
    expect(await store.channelRef(second.id)).toBeUndefined();
  });
});

// A customer's data (PrivacyStore). The SQL stores are shared by every test of a backend: each test writes its own
// unique needles, and old dates (2001) that no other test uses, so that its searches and cut-offs see only its rows.
describe.each([memory, sqlite, postgres])('privacy contract: $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = (await backend.open()) as Store;
  });
  afterAll(async () => {
    await store.close();
  });

  const tag = () => randomBytes(4).toString('hex');
  const handoffEvent = (email: string) => ({
    type: 'handoff.requested' as const,
    data: { queue: 'general', reason: 'misunderstood', contact: { email }, transcript: [{ text: `je suis ${email}` }] },
  });

  test('search: case-insensitive in messages, dialog answers and webhook bodies; digits without separators', async () => {
    const t = tag();
    const [inText, inDialog, inOutbox, other] = [minimalState(), fullState(), minimalState(), minimalState()];
    for (const s of [inText, inDialog, inOutbox, other]) await store.create(s);
    await store.append(inText.id, [customer(`écrivez à Jean.${t}@Example.com ou au 06 12 ${t.slice(0, 2)} 34 56`)]);
    await store.saveTurn({ ...inDialog, dialog: { ...inDialog.dialog!, slots: { orderNumber: `MV-${t}` } } }, []);
    await store.saveTurn(inOutbox, [], { events: [handoffEvent(`jean.${t}@example.com`)] });
    await store.append(other.id, [customer('100% de réduction_ ?')]);
    const find = (needles: string[], digits: string[] = []) => store.searchConversations({ needles, digits });
    expect(await find([`JEAN.${t}@EXAMPLE.COM`])).toEqual([inText.id, inOutbox.id].sort());
    expect(await find([`mv-${t}`])).toEqual([inDialog.id]);
    expect(await find([], [`0612${t.slice(0, 2)}3456`])).toEqual([inText.id]);
    expect(await find([], [`mv${t}`])).toEqual([inDialog.id]);
    // LIKE's wildcards are the customer's characters, not patterns.
    expect(await find([`%${t}%`, `_${t}`])).toEqual([]);
    expect(await find([], [])).toEqual([]);
  });

  test('conversationData: state, messages, events and channel reference; undefined when unknown', async () => {
    const s = fullState();
    await store.create(s);
    const [m] = await store.saveTurn(s, [customer('hello')], { events: [handoffEvent('a@example.com')] });
    const ref: ChannelRef = {
      conversationId: s.id,
      channelId: 'msteams',
      serviceUrl: 'https://smba.trafficmanager.net/emea/',
      conversation: { id: `ext-${s.id}` },
      bot: { id: '28:bot' },
      user: { id: '29:user', name: 'Ana' },
      updatedAt: '2026-03-01T10:00:00.000Z',
    };
    await store.linkChannel(ref);
    const d = await store.conversationData(s.id);
    expect(d).toStrictEqual({
      state: s,
      messages: [m],
      events: await store.events(s.id),
      channelRef: ref,
      attachments: [],
      notes: [],
    });
    expect(d!.events.map((e) => e.type)).toEqual(['handoff.requested']);
    expect(await store.conversationData(newId())).toBeUndefined();
  });

  test('desk notes: exported with the conversation, searched like its messages', async () => {
    const t = tag();
    const [noted, other] = [minimalState(), minimalState()];
    for (const s of [noted, other]) await store.create(s);
    const notes = [
      { at: '2026-03-01T10:02:00.000Z', agent: 'Ion', text: `called back on 07 22 12 ${t.slice(0, 2)} 45` },
      { at: '2026-03-01T10:03:00.000Z', agent: 'Ana', text: `her other order is MV-${t}, mail Rita.${t}@Example.org` },
    ];
    await store.setSetting(deskNotesKey(noted.id), JSON.stringify(notes));
    await store.setSetting(deskNotesKey(other.id), 'not json');
    expect((await store.conversationData(noted.id))!.notes).toEqual(notes);
    expect((await store.conversationData(other.id))!.notes).toEqual([]);
    const find = (needles: string[], digits: string[] = []) => store.searchConversations({ needles, digits });
    expect(await find([`rita.${t}@example.org`])).toEqual([noted.id]);
    expect(await find([], [`mv${t}`])).toEqual([noted.id]);
    expect(await find([], [`072212${t.slice(0, 2)}45`])).toEqual([noted.id]);
    // The settings' keys are not searched, nor another key's value.
    expect(await find([noted.id])).toEqual([]);
    await store.eraseConversation(noted.id, new Date());
    expect(await find([`rita.${t}@example.org`])).toEqual([]);
  });

  test('erase: no setting stays keyed by the conversation (notes, claims, mail thread, Chatwoot link both ways)', async () => {
    const s = fullState();
    const keep = minimalState();
    for (const c of [s, keep]) await store.create(c);
    // Two handoffs: an older one (named by its events) and the current one (h-1, in the state).
    await store.saveTurn(s, [], {
      events: [
        { type: 'handoff.requested', data: { handoffId: 'h-0', queue: 'general', reason: 'angry' } },
        { type: 'conversation.closed', data: { handoffId: 'h-0', reason: 'completed' } },
      ],
    });
    const cw = 700_000 + Math.floor(Math.random() * 100_000);
    const mine = [
      deskNotesKey(s.id),
      deskClaimKey(s.id, 'h-0'),
      deskClaimKey(s.id, 'h-1'),
      emailThreadKey(s.id),
      welcomeKey(s.id),
      queueToldKey(s.id),
      chatwootLinkKey(s.id),
      chatwootBackKey(cw),
    ];
    for (const key of mine) await store.setSetting(key, key === chatwootBackKey(cw) ? s.id : '{"x":1}');
    await store.setSetting(chatwootLinkKey(s.id), JSON.stringify({ handoffId: 'h-1', conversationId: cw }));
    // Another conversation's rows stay, even a way back that now names it.
    const theirs = [
      deskNotesKey(keep.id),
      emailThreadKey(keep.id),
      chatwootLinkKey(keep.id),
      deskClaimKey(keep.id, 'h-1'),
    ];
    for (const key of theirs) await store.setSetting(key, 'kept');
    await store.setSetting(chatwootBackKey(cw + 1), keep.id);
    expect(await store.eraseConversation(s.id, new Date())).toBeDefined();
    for (const key of mine) expect([key, await store.getSetting(key)]).toEqual([key, undefined]);
    for (const key of theirs) expect([key, await store.getSetting(key)]).toEqual([key, 'kept']);
    expect(await store.getSetting(chatwootBackKey(cw + 1))).toBe(keep.id);
  });

  test('erase: a Chatwoot way back that names another conversation is kept', async () => {
    const [s, other] = [minimalState(), minimalState()];
    for (const c of [s, other]) await store.create(c);
    const cw = 800_000 + Math.floor(Math.random() * 100_000);
    await store.setSetting(chatwootLinkKey(s.id), JSON.stringify({ handoffId: 'h', conversationId: cw }));
    await store.setSetting(chatwootBackKey(cw), other.id);
    await store.eraseConversation(s.id, new Date());
    expect(await store.getSetting(chatwootLinkKey(s.id))).toBeUndefined();
    expect(await store.getSetting(chatwootBackKey(cw))).toBe(other.id);
  });

  test('erase: messages, events, dead letters, reference and dialog gone, an erased event queued; then unknown', async () => {
    const t = tag();
    const s = fullState();
    await store.create(s);
    await store.saveTurn(s, [customer(`mail ${t}@example.com`), bot('ok')], {
      events: [handoffEvent(`${t}@example.com`), { type: 'conversation.message', data: { text: 'x' } }],
    });
    const [first] = await store.events(s.id);
    await store.markDead(first!.id, 9, 'down');
    await store.linkChannel({
      conversationId: s.id,
      channelId: 'webchat',
      serviceUrl: 'https://webchat.botframework.com/',
      conversation: { id: `ext-${t}` },
      bot: { id: 'bot' },
      user: { id: 'user' },
      updatedAt: '2026-03-01T10:00:00.000Z',
    });
    // The agent desk's internal notes of the conversation go with it; another conversation's stay.
    await store.setSetting(deskNotesKey(s.id), JSON.stringify([{ at: s.createdAt, agent: 'Ion', text: `${t} note` }]));
    await store.setSetting(deskNotesKey(`${s.id}-other`), '[]');
    const at = new Date('2026-03-02T00:00:00.000Z');
    expect(await store.eraseConversation(s.id, at)).toEqual({
      messages: 2,
      outboxEvents: 1,
      deadLetters: 1,
      channelRefs: 1,
      dialogStates: 1,
      attachments: 0,
    });
    expect(await store.get(s.id)).toBeUndefined();
    expect(await store.conversationData(s.id)).toBeUndefined();
    expect(await store.getSetting(deskNotesKey(s.id))).toBeUndefined();
    expect(await store.getSetting(deskNotesKey(`${s.id}-other`))).toBe('[]');
    // The figures keep counts only: the messages without their text, the handoff request without its contact.
    expect((await store.transcript(s.id)).map((m) => [m.from, m.text, m.clientId, m.suggestions])).toEqual([
      ['customer', '', undefined, undefined],
      ['bot', '', undefined, undefined],
    ]);
    const [record] = (await store.conversationsCreated(s.createdAt, '2026-03-01T10:00:00.001Z')).filter(
      (r) => r.state.id === s.id,
    );
    expect(record!.handoffs).toEqual([{ reason: 'misunderstood', queue: 'general', requestedAt: expect.any(String) }]);
    expect(record!.state).toMatchObject({ id: s.id, dialog: null, handoff: null, csat: s.csat });
    expect(record!.state.tokenHash).toBeUndefined();
    expect(await store.channelRef(s.id)).toBeUndefined();
    expect(await store.channelRefByExternal('webchat', `ext-${t}`)).toBeUndefined();
    expect((await store.listDead()).some((e) => e.conversationId === s.id)).toBe(false);
    const events = await store.events(s.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'conversation.erased', status: 'pending', seq: 3 });
    expect(JSON.parse(events[0]!.body)).toEqual({
      type: 'conversation.erased',
      timestamp: expect.any(String),
      data: { conversationId: s.id, seq: 3 },
    });
    expect(await store.searchConversations({ needles: [`${t}@example.com`], digits: [] })).toEqual([]);
    // No channel can write to it again; a second erasure does nothing.
    await expectAppError(store.append(s.id, [customer('again')]), 'CONVERSATION_NOT_FOUND', 404, /not found/);
    await expectAppError(store.saveTurn(s, [customer('again')]), 'CONVERSATION_NOT_FOUND', 404, /not found/);
    expect(await store.transcript(s.id)).toHaveLength(2);
    expect(await store.eraseConversation(s.id, at)).toBeUndefined();
    expect(await store.eraseConversation(newId(), at)).toBeUndefined();
    await store.compact();
  });

  test('inactive conversations: no update and no message since the cut-off, oldest first, limited', async () => {
    const at = (d: string) => `2001-0${d}T10:00:00.000Z`;
    const idle1 = { ...minimalState(), createdAt: at('1-01'), updatedAt: at('1-02') };
    const idle2 = { ...minimalState(), createdAt: at('1-01'), updatedAt: at('1-03') };
    const recentMessage = { ...minimalState(), createdAt: at('1-01'), updatedAt: at('1-01') };
    const recentUpdate = { ...minimalState(), createdAt: at('1-01'), updatedAt: at('9-01') };
    const erased = { ...minimalState(), createdAt: at('1-01'), updatedAt: at('1-01') };
    for (const s of [idle1, idle2, recentMessage, recentUpdate, erased]) await store.create(s);
    await store.append(recentMessage.id, [{ ...customer('still here'), at: at('8-01') }]);
    await store.eraseConversation(erased.id, new Date());
    const before = at('6-01');
    const found = await store.inactiveConversations(before, 1000);
    const mine = new Set([idle1.id, idle2.id, recentMessage.id, recentUpdate.id, erased.id]);
    expect(found.filter((id) => mine.has(id))).toEqual([idle1.id, idle2.id]);
    expect(await store.inactiveConversations('2001-01-02T12:00:00.000Z', 1000)).not.toContain(idle2.id);
    expect(await store.inactiveConversations(before, 1)).toHaveLength(1);
  });

  test('stripDelivered: delivered before the cut-off, once; pending, dead and later ones untouched', async () => {
    const t = tag();
    const s = minimalState();
    await store.create(s);
    await store.saveTurn(s, [], {
      events: [handoffEvent(`old-${t}@example.com`), handoffEvent(`new-${t}@example.com`)],
    });
    const [old, recent] = await store.events(s.id);
    await store.markDelivered(old!.id, new Date('2001-02-01T00:00:00.000Z'));
    await store.markDelivered(recent!.id, new Date('2001-04-01T00:00:00.000Z'));
    const before = '2001-03-01T00:00:00.000Z';
    expect(await store.stripDelivered(before, stripEventBody)).toBe(1);
    const [a, b] = await store.events(s.id);
    expect(JSON.parse(a!.body)).toEqual({
      type: 'handoff.requested',
      timestamp: expect.any(String),
      data: { conversationId: s.id, seq: 1, queue: 'general', reason: 'misunderstood' },
    });
    expect(b!.body).toBe(recent!.body);
    expect(a).toMatchObject({ status: 'delivered', deliveredAt: '2001-02-01T00:00:00.000Z' });
    expect(await store.stripDelivered(before, () => '{"again":true}')).toBe(0);
  });

  test('privacy audit: appended, listed newest first', async () => {
    const by = `dpo-${tag()}`;
    const first = await store.appendPrivacyAudit({
      at: '2026-03-01T10:00:00.000Z',
      by,
      action: 'erase',
      conversationIds: ['c1', 'c2'],
      counts: { conversations: 2, messages: 7 },
    });
    const second = await store.appendPrivacyAudit({
      at: '2026-03-01T10:01:00.000Z',
      by,
      action: 'reveal',
      conversationIds: ['c3'],
      counts: { messages: 1 },
    });
    expect(second.id).toBeGreaterThan(first.id);
    expect(await store.listPrivacyAudit(2)).toStrictEqual([second, first]);
    expect(await store.listPrivacyAudit(1)).toStrictEqual([second]);
  });
});

/** What a call rejected with (fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
}

/** The same AppError (class, code, status, message) from every back end. */
async function expectAppError(p: Promise<unknown>, code: string, status: number, message: RegExp): Promise<void> {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(AppError);
  expect(err).toMatchObject({ code, status, message: expect.stringMatching(message) });
}

describe.each([memory, sqlite, postgres])('store errors: $name', (backend) => {
  let store: ConversationStore;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store?.close();
  });

  const robot = { at: '2026-03-02T00:00:00.000Z', from: 'robot', text: 'not a sender' } as unknown as NewMessage;

  test('a duplicate create is a 409 CONVERSATION_EXISTS', async () => {
    const s = minimalState();
    await store.create(s);
    await expectAppError(
      store.create(s),
      'CONVERSATION_EXISTS',
      409,
      new RegExp(`conversation ${s.id} already exists`),
    );
  });

  test('append, saveTurn and linkChannel of an unknown conversation are a 404 CONVERSATION_NOT_FOUND', async () => {
    const ghost = minimalState();
    const notFound = new RegExp(`conversation ${ghost.id} not found`);
    await expectAppError(store.append(ghost.id, [customer('hello')]), 'CONVERSATION_NOT_FOUND', 404, notFound);
    await expectAppError(store.saveTurn(ghost, [customer('hello')]), 'CONVERSATION_NOT_FOUND', 404, notFound);
    await expectAppError(
      store.saveTurn(ghost, [], { events: [{ type: 'conversation.closed', data: {} }], inboundId: `msg_${newId()}` }),
      'CONVERSATION_NOT_FOUND',
      404,
      notFound,
    );
    const external = `a:${newId()}`;
    const ref: ChannelRef = {
      conversationId: ghost.id,
      channelId: 'webchat',
      serviceUrl: 'https://webchat.botframework.com/',
      conversation: { id: external },
      bot: { id: 'bot' },
      user: { id: 'user' },
      updatedAt: '2026-03-01T10:00:00.000Z',
    };
    await expectAppError(store.linkChannel(ref), 'CONVERSATION_NOT_FOUND', 404, notFound);
    expect(await store.get(ghost.id)).toBeUndefined();
    expect(await store.transcript(ghost.id)).toEqual([]);
    expect(await store.events(ghost.id)).toEqual([]);
    expect(await store.channelRef(ghost.id)).toBeUndefined();
    expect(await store.channelRefByExternal('webchat', external)).toBeUndefined();
  });

  test('an invalid sender is a 500 INVALID_MESSAGE_SENDER, checked before anything else, and nothing is written', async () => {
    const s = minimalState();
    await store.create(s);
    const sender = /invalid message sender "robot"/;
    await expectAppError(store.append(s.id, [customer('ok'), robot]), 'INVALID_MESSAGE_SENDER', 500, sender);
    const inboundId = `msg_${newId()}`;
    await expectAppError(
      store.saveTurn({ ...s, misunderstandings: 3 }, [bot('ok'), robot], {
        inboundId,
        events: [{ type: 'conversation.message', data: {} }],
      }),
      'INVALID_MESSAGE_SENDER',
      500,
      sender,
    );
    // Before the conversation is looked up too.
    await expectAppError(store.append(newId(), [robot]), 'INVALID_MESSAGE_SENDER', 500, sender);
    await expectAppError(store.saveTurn(minimalState(), [robot]), 'INVALID_MESSAGE_SENDER', 500, sender);
    expect(await store.get(s.id)).toStrictEqual(s);
    expect(await store.transcript(s.id)).toEqual([]);
    expect(await store.events(s.id)).toEqual([]);
    // The inbound id of the rejected turn was not used up.
    expect(await store.rememberInbound(inboundId, new Date())).toBe(true);
  });

  test('a turn caused by a replayed inbound webhook is a 409 REPLAYED and changes nothing', async () => {
    const s = minimalState();
    await store.create(s);
    const seen = `msg_${newId()}`;
    expect(await store.rememberInbound(seen, new Date())).toBe(true);
    await expectAppError(
      store.saveTurn({ ...s, misunderstandings: 1 }, [customer('again')], {
        inboundId: seen,
        events: [{ type: 'conversation.message', data: {} }],
      }),
      'REPLAYED',
      409,
      new RegExp(`webhook id "${seen}" was already received`),
    );
    const once = `msg_${newId()}`;
    await store.saveTurn(s, [customer('first')], { inboundId: once });
    await expectAppError(store.saveTurn(s, [customer('second')], { inboundId: once }), 'REPLAYED', 409, /already/);
    expect(await store.get(s.id)).toStrictEqual(s);
    expect((await store.transcript(s.id)).map((m) => m.text)).toEqual(['first']);
    expect(await store.events(s.id)).toEqual([]);
  });

  test('marking an unknown outbox event is a 404 OUTBOX_EVENT_NOT_FOUND', async () => {
    const id = 987_654_321;
    const notFound = new RegExp(`outbox event ${id} not found`);
    await expectAppError(store.markDelivered(id, new Date()), 'OUTBOX_EVENT_NOT_FOUND', 404, notFound);
    await expectAppError(store.markRetry(id, 1, new Date(), 'HTTP 500'), 'OUTBOX_EVENT_NOT_FOUND', 404, notFound);
    await expectAppError(store.markDead(id, 9, 'timeout'), 'OUTBOX_EVENT_NOT_FOUND', 404, notFound);
  });
});

describe.each([sqlite, postgres])('SQL store: $name', (backend) => {
  test('migrations run at every open without error, once each', async () => {
    const first = await backend.open();
    await first.close();
    const second = await backend.open();
    await second.close();
    const { migrations, indexes } = await backend.inspect();
    expect(migrations).toEqual([
      '0001_conversations_messages',
      '0002_handoff_outbox',
      '0003_suggestions',
      '0004_inbox',
      '0005_directline_client_id',
      '0006_editor',
      '0007_channel_refs',
      '0008_rate_limits',
      '0009_privacy',
      '0010_attachments',
      '0011_feedback',
      '0012_outbox_targets',
      '0013_conversation_email',
    ]);
    expect(indexes).toContain('messages_conversation_id_id');
  });

  test('a new store instance finds everything written by a closed one', async () => {
    const s = fullState();
    const writer = await backend.open();
    await writer.create(s);
    const appended = await writer.append(s.id, [
      customer('persisted?'),
      { ...customer('with a client id'), clientId: 'wc-123' },
    ]);
    expect(appended[1]!.clientId).toBe('wc-123');
    const next = { ...s, awaitingCsat: false, csat: { score: 5, at: '2026-03-01T12:00:00.000Z' } };
    const saved = await writer.saveTurn(next, [
      bot('Merci !'),
      { ...bot('Autre chose ?'), suggestions: [{ label: 'Garantie', value: 'faq:warranty-duration' }] },
    ]);
    expect(saved[1]!.suggestions).toEqual([{ label: 'Garantie', value: 'faq:warranty-duration' }]);
    await writer.close();

    const reader = await backend.open();
    try {
      expect(await reader.get(s.id)).toStrictEqual(next);
      expect(await reader.transcript(s.id)).toStrictEqual([...appended, ...saved]);
      // Ids keep increasing after a reopen.
      const more = await reader.append(s.id, [customer('again')]);
      expect(more[0]!.id).toBeGreaterThan(saved[0]!.id);
    } finally {
      await reader.close();
    }
  });
});

describe('SQL store: opening', () => {
  test('SQLite: creates the parent folder and uses WAL journaling', async () => {
    const file = path.join(tmpDir, 'fresh', 'a', 'b', 'db.sqlite');
    const store = await SqlConversationStore.open({ sqliteFile: file });
    expect(store.dialect).toBe('sqlite');
    await store.close();
    expect(fs.existsSync(file)).toBe(true);
    const raw = new BetterSqlite3(file);
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  test('SQLite: an unusable file is a STORAGE_UNAVAILABLE error naming it', async () => {
    const blocker = path.join(tmpDir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const underFile = path.join(blocker, 'db.sqlite');
    await expect(SqlConversationStore.open({ sqliteFile: underFile })).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringContaining(blocker),
    });

    const garbage = path.join(tmpDir, 'garbage.db');
    fs.writeFileSync(garbage, 'this is not an SQLite database, just some text that is long enough'.repeat(100));
    const err = await SqlConversationStore.open({ sqliteFile: garbage }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining(garbage) });
  });

  test('PostgreSQL: a failed connection is a STORAGE_UNAVAILABLE error naming host and database, not the password', async () => {
    const u = new URL(PG_ADMIN_URL);
    u.username = 'postgres';
    u.password = 'S3cr3t-pass';
    u.pathname = `/${pgDbName}_missing`;
    const err = await SqlConversationStore.open({ url: u.toString() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe('STORAGE_UNAVAILABLE');
    expect(e.message).toContain(`${pgDbName}_missing`);
    expect(e.message).toContain(u.hostname);
    expect(e.message).not.toContain('S3cr3t-pass');

    const refused = await SqlConversationStore.open({ url: 'postgresql://app:S3cr3t-pass@127.0.0.1:1/shop' }).catch(
      (x: unknown) => x,
    );
    expect(refused).toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringContaining('"shop" on 127.0.0.1:1'),
    });
    expect((refused as Error).message).not.toContain('S3cr3t-pass');
    expect(JSON.stringify((refused as AppError).details ?? null)).not.toContain('S3cr3t-pass');
  });

  test('createStore picks PostgreSQL for a postgres URL and SQLite otherwise', async () => {
    const file = path.join(tmpDir, 'create-store.db');
    const lite = await createStore({ sqliteFile: file });
    expect(lite.dialect).toBe('sqlite');
    await lite.close();
    const liteEmptyUrl = await createStore({ databaseUrl: '', sqliteFile: file });
    expect(liteEmptyUrl.dialect).toBe('sqlite');
    await liteEmptyUrl.close();
    await ensurePgDatabase();
    const pg = await createStore({ databaseUrl: pgUrl, sqliteFile: file });
    expect(pg.dialect).toBe('postgres');
    await pg.close();
    await expect(createStore({ databaseUrl: 'mysql://root@localhost/shop', sqliteFile: file })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});
