import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { MemoryConversationStore } from '../../src/storage/memory';
import type { EditorStore, Store } from '../../src/storage/ports';
import { SqlConversationStore } from '../../src/storage/sql/store';
import { PG_ADMIN_URL } from '../support/postgres';

/** The editors' audit log and version snapshots: one contract on memory, SQLite and PostgreSQL (never skipped). */
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'savbot-editor-store-'));
const pgDbName = `savbot_editor_${randomBytes(6).toString('hex')}`;
const pgUrl = (() => {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${pgDbName}`;
  return u.toString();
})();
let pgCreated = false;

async function admin(q: string): Promise<void> {
  const c = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

afterAll(async () => {
  fs.rmSync(tmpDir, { recursive: true, force: true });
  if (pgCreated) await admin(`DROP DATABASE IF EXISTS ${pgDbName} WITH (FORCE)`);
});

interface Opened {
  /** The whole back end, whose editorStore() is under test. */
  parent: Store;
  store: EditorStore;
  close(): Promise<void>;
}

/** Every back end reaches its editor store the same way: editorStore() of the store the wiring opened. */
const opened = (parent: Store): Opened => ({ parent, store: parent.editorStore(), close: () => parent.close() });

const backends: { name: string; open(): Promise<Opened> }[] = [
  { name: 'memory', open: async () => opened(new MemoryConversationStore()) },
  {
    name: 'SQLite',
    async open() {
      const s = await SqlConversationStore.open({
        sqliteFile: path.join(tmpDir, `${randomBytes(4).toString('hex')}.db`),
      });
      return opened(s);
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      if (!pgCreated) {
        await admin(`CREATE DATABASE ${pgDbName}`);
        pgCreated = true;
      }
      const s = await SqlConversationStore.open({ url: pgUrl });
      return opened(s);
    },
  },
];

describe.each(backends)('editor store: $name', (backend) => {
  let open: Opened;
  beforeAll(async () => {
    open = await backend.open();
  });
  afterAll(() => open.close());

  test('the audit log reads back newest first, with JSON before/after exactly as written', async () => {
    const s = open.store;
    const before = { id: 'warranty-coverage', questions: { fr: ['Qu’est-ce que « couvre » la garantie ?'] } };
    const after = { ...before, questions: { fr: [...before.questions.fr, 'și diacritice ăîșț 💥'] } };
    const a = await s.appendAudit({
      at: '2026-03-01T10:00:00.000Z',
      user: 'alice',
      action: 'create',
      entryId: 'x',
      before: null,
      after: before,
      version: 'v1',
    });
    const b = await s.appendAudit({
      at: '2026-03-01T10:01:00.000Z',
      user: 'bob',
      action: 'update',
      entryId: 'warranty-coverage',
      before,
      after,
      version: 'v2',
    });
    expect(b.id).toBeGreaterThan(a.id);
    const list = await s.listAudit(10);
    expect(list.slice(0, 2)).toStrictEqual([b, a]);
    expect(list[0]!.after).toStrictEqual(after);
    expect(list[1]!.before).toBeNull();
    expect(await s.listAudit(1)).toStrictEqual([b]);
  });

  test('versions: listed newest first; the latest snapshot of a version is returned', async () => {
    const s = open.store;
    const files = (t: string) => ({
      kb: { 'a.yaml': `# comment\ntopic: a\n${t}\n` },
      dialogs: { 'd.yaml': 'id: d\n' },
    });
    await s.saveVersion({
      version: 'v1',
      at: '2026-03-01T10:00:00.000Z',
      user: 'system',
      action: 'start',
      files: files('one'),
    });
    await s.saveVersion({
      version: 'v2',
      at: '2026-03-01T10:01:00.000Z',
      user: 'alice',
      action: 'update',
      files: files('two'),
    });
    await s.saveVersion({
      version: 'v1',
      at: '2026-03-01T10:02:00.000Z',
      user: 'admin',
      action: 'rollback',
      files: files('one again'),
    });
    expect(await s.listVersions(10)).toStrictEqual([
      { version: 'v1', at: '2026-03-01T10:02:00.000Z', user: 'admin', action: 'rollback' },
      { version: 'v2', at: '2026-03-01T10:01:00.000Z', user: 'alice', action: 'update' },
      { version: 'v1', at: '2026-03-01T10:00:00.000Z', user: 'system', action: 'start' },
    ]);
    expect((await s.getVersion('v2'))?.files).toStrictEqual(files('two'));
    expect((await s.getVersion('v1'))?.files).toStrictEqual(files('one again'));
    expect(await s.getVersion('nope')).toBeUndefined();
  });

  test('latest version: the newest save of any writer, its sequence number increasing', async () => {
    const s = open.store;
    const snap = (version: string) => ({
      version,
      at: '2026-03-03T10:00:00.000Z',
      user: 'u',
      action: 'update',
      files: { kb: {}, dialogs: {} },
    });
    const first = await s.saveVersion(snap('w1'));
    expect(await s.latestVersion()).toStrictEqual({ seq: first, version: 'w1' });
    // Another instance's store object over the same database sees it, and its own save is newer.
    const other = open.parent.editorStore();
    const second = await other.saveVersion(snap('w2'));
    expect(second).toBeGreaterThan(first);
    expect(await s.latestVersion()).toStrictEqual({ seq: second, version: 'w2' });
    const third = await s.saveVersion(snap('w1'));
    expect(await other.latestVersion()).toStrictEqual({ seq: third, version: 'w1' });
  });

  test('the log and versions belong to the store: another editorStore() of it reads them', async () => {
    const s = open.store;
    const entry = await s.appendAudit({
      at: '2026-03-02T09:00:00.000Z',
      user: 'carol',
      action: 'delete',
      entryId: 'old-entry',
      before: { id: 'old-entry' },
      after: null,
      version: 'v3',
    });
    await s.saveVersion({
      version: 'v3',
      at: entry.at,
      user: 'carol',
      action: 'delete',
      files: { kb: {}, dialogs: {} },
    });
    const again = open.parent.editorStore();
    expect((await again.listAudit(1))[0]).toStrictEqual(entry);
    expect(await again.getVersion('v3')).toStrictEqual({
      version: 'v3',
      at: entry.at,
      user: 'carol',
      action: 'delete',
      files: { kb: {}, dialogs: {} },
    });
  });
});
