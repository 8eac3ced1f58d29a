/**
 * Privacy on a real SQLite file (GDPR articles 15, 17 and 5(1)(e)): the shared scenario through the real app on
 * loopback (privacy-scenario.ts), the erased customer's bytes absent from the database file and its WAL, and the
 * `npm run privacy` command run as a child process on a temporary SQLite file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALICE_EMAIL, privacyTests, setUp, type Scenario } from './privacy-scenario';
import { ROOT, systemEnv } from '../support/config';

const dir = mkdtempSync(join(tmpdir(), 'savbot-privacy-'));
const dbFile = join(dir, 'bot.db');
let s: Scenario | undefined;
let receiver: Server | undefined;

beforeAll(async () => {
  ({ receiver, ...s } = await setUp({ SQLITE_FILE: dbFile }));
});

afterAll(async () => {
  await s?.running.close();
  if (receiver) await new Promise((ok) => receiver!.close(ok));
  rmSync(dir, { recursive: true, force: true });
});

/** The database file and its WAL, as bytes on disk. */
function fileBytes(): Buffer {
  const parts = [dbFile, `${dbFile}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f));
  return Buffer.concat(parts);
}

describe('on a SQLite file', () => {
  test('the customers are in the file before anything is erased (the byte check can see them)', () => {
    const bytes = fileBytes();
    expect(bytes.includes(ALICE_EMAIL)).toBe(true);
    expect(bytes.includes('carol@example.org')).toBe(true);
  });

  privacyTests(
    () => s!,
    async () => {
      // Erased text is overwritten (secure_delete), the WAL checkpointed: not in the file nor in the WAL.
      const bytes = fileBytes();
      for (const raw of [ALICE_EMAIL, 'rappelez-moi au +33 6 12 34 56 78', '+33612345678', 'Alice Martin'])
        expect([raw, bytes.includes(raw)]).toEqual([raw, false]);
      // Other customers are still there: the check reads the real file.
      expect(bytes.includes('carol@example.org')).toBe(true);
    },
  );
});

describe('npm run privacy (scripts/privacy.ts as a child process)', () => {
  const cliDir = mkdtempSync(join(tmpdir(), 'savbot-privacy-cli-'));
  const cliDb = join(cliDir, 'cli.db');
  afterAll(() => rmSync(cliDir, { recursive: true, force: true }));

  const run = (...args: string[]) => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/privacy.ts', ...args],
      {
        cwd: ROOT,
        env: { ...systemEnv(), NODE_ENV: 'test', SQLITE_FILE: cliDb, DATABASE_URL: '', LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    if (r.error) throw r.error;
    return r;
  };

  beforeAll(async () => {
    // A customer's conversation written to the file the command will read.
    const { SqlConversationStore } = await import('../../src/storage/sql/store');
    const { newConversationState } = await import('../../src/domain/conversation');
    const store = await SqlConversationStore.open({ sqliteFile: cliDb });
    const at = new Date().toISOString();
    await store.create(newConversationState({ id: 'cli-conv-1', at, channel: 'widget' }));
    await store.append('cli-conv-1', [
      { at, from: 'customer', text: 'je suis paul@example.com, commande MV-4821937' },
      { at, from: 'bot', text: 'Merci.' },
    ]);
    await store.close();
  });

  test('bad arguments exit 2 with the usage text', () => {
    for (const args of [[], ['frobnicate'], ['export', '--nope'], ['export'], ['erase', '--phone', '12']]) {
      const r = run(...args);
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(/^privacy: /);
    }
    expect(run('frobnicate').stderr).toContain('usage: npm run privacy -- <command>');
    expect(run('--help')).toMatchObject({ status: 0, stdout: expect.stringContaining('retention') });
  });

  test('export prints the JSON, erase reports the counts, the audit keeps counts only', () => {
    const exported = run('export', '--email', 'paul@example.com');
    expect(exported.status).toBe(0);
    const out = JSON.parse(exported.stdout) as { conversations: { conversationId: string; messages: unknown[] }[] };
    expect(out.conversations).toEqual([
      expect.objectContaining({ conversationId: 'cli-conv-1', messages: expect.any(Array), attachments: [] }),
    ]);
    expect(out.conversations[0]!.messages).toHaveLength(2);
    const dry = run('erase', '--order', 'MV 4821937', '--dry-run');
    expect(dry).toMatchObject({ status: 0, stdout: 'cli-conv-1\n' });
    const erased = run('erase', '--order', 'MV-4821937', '--by', 'dpo');
    expect(erased.status).toBe(0);
    expect(erased.stdout).toContain('1 conversation(s) erased: 2 message(s), 0 dialog state(s), 0 outbox event(s)');
    expect(run('export', '--email', 'paul@example.com').status).toBe(1);
    const audit = run('audit');
    expect(audit.stdout).toMatch(/\tdpo\terase\tcli-conv-1\t/);
    expect(audit.stdout).not.toContain('paul@example.com');
    expect(readFileSync(cliDb).includes('paul@example.com')).toBe(false);
  });

  test('retention runs on demand', () => {
    const r = run('retention');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('0 conversation(s) erased, 0 delivered webhook body(ies) stripped.');
  });
});
