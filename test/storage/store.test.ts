import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';
import { AppError, ConfigError } from '../../src/domain/errors';
import { MemoryConversationStore, type ConversationState, type ConversationStore, type NewMessage } from '../../src/storage/conversations';
import { SqlConversationStore, createStore } from '../../src/storage/sql';

/**
 * One contract, three stores. PostgreSQL is the one running on this machine (and in CI): a fresh database is
 * created for the run and dropped at the end. If it cannot be reached the PostgreSQL tests fail; they never skip.
 */
const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

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
  if (pgCreated && (await pgCreated.then(() => true, () => false))) {
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
      const indexes = db.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'messages'").pluck().all() as string[];
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
      const migrations = (await c.query('select name from kysely_migration order by name')).rows.map((r) => r.name as string);
      const indexes = (await c.query("select indexname from pg_indexes where tablename = 'messages'")).rows.map((r) => r.indexname as string);
      return { migrations, indexes };
    }, pgUrl);
  },
};

const memory: Backend = { name: 'memory', open: async () => new MemoryConversationStore() };

let seq = 0;
/** A conversation id unique to the run (the SQL stores are shared by all the tests of a backend). */
const newId = () => `conv-${process.pid}-${++seq}-${randomBytes(3).toString('hex')}`;

const minimalState = (id = newId()): ConversationState => ({
  id,
  channel: 'widget',
  createdAt: '2026-03-01T10:00:00.000Z',
  updatedAt: '2026-03-01T10:00:00.000Z',
  misunderstandings: 0,
  dialog: null,
  awaitingCsat: false,
  csat: null,
});

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
});

const customer = (text: string, extra: Partial<NewMessage> = {}): NewMessage => ({ at: '2026-03-01T10:01:00.000Z', from: 'customer', text, ...extra });
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
    const second = await store.append(s.id, [bot('La garantie est de 2 ans.'), { at: '2026-03-01T10:02:00.000Z', from: 'agent', text: 'Ici Marie.' }]);
    const all = [...first, ...second];
    const ids = all.map((m) => m.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(4);

    expect(first[0]).toStrictEqual({ id: ids[0], conversationId: s.id, at: '2026-03-01T10:01:00.000Z', from: 'customer', text: 'Bonjour' });
    expect(first[1]).toStrictEqual({ id: ids[1], conversationId: s.id, at: '2026-03-01T10:01:00.000Z', from: 'customer', text: 'Garantie', action: 'topic:warranty' });
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
    const changed: ConversationState = { ...s, misunderstandings: 9, awaitingCsat: false, dialog: null, csat: null, updatedAt: '2026-03-02T00:00:00.000Z' };
    const invalid = { at: '2026-03-02T00:00:00.000Z', from: 'robot', text: 'not a sender' } as unknown as NewMessage;
    // Not `.rejects.toThrow()`: better-sqlite3 creates its errors from the SqliteError class of the first test file
    // that loaded it in this Jest worker, so they may fail Jest's Error check. Memory, SQLite and PostgreSQL messages
    // all name the sender.
    await expect(store.saveTurn(changed, [bot('first, valid'), invalid])).rejects.toMatchObject({ message: expect.stringMatching(/sender/) });
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

describe.each([sqlite, postgres])('SQL store: $name', (backend) => {
  test('migrations run at every open without error, once each', async () => {
    const first = await backend.open();
    await first.close();
    const second = await backend.open();
    await second.close();
    const { migrations, indexes } = await backend.inspect();
    expect(migrations).toEqual(['0001_conversations_messages']);
    expect(indexes).toContain('messages_conversation_id_id');
  });

  test('a new store instance finds everything written by a closed one', async () => {
    const s = fullState();
    const writer = await backend.open();
    await writer.create(s);
    const appended = await writer.append(s.id, [customer('persisted?')]);
    const next = { ...s, awaitingCsat: false, csat: { score: 5, at: '2026-03-01T12:00:00.000Z' } };
    const saved = await writer.saveTurn(next, [bot('Merci !')]);
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

    const refused = await SqlConversationStore.open({ url: 'postgresql://app:S3cr3t-pass@127.0.0.1:1/shop' }).catch((x: unknown) => x);
    expect(refused).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('"shop" on 127.0.0.1:1') });
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
    await expect(createStore({ databaseUrl: 'mysql://root@localhost/shop', sqliteFile: file })).rejects.toBeInstanceOf(ConfigError);
  });
});
