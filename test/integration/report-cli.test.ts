/**
 * `npm run report` as a user runs it (`npx tsx scripts/report.ts`), on a SQLite file seeded with fixed timestamps.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { newConversationState } from '../../src/domain/conversation';
import { SqlConversationStore } from '../../src/storage/sql/store';

const ROOT = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'savbot-report-'));
const file = join(dir, 'bot.db');

function report(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, SQLITE_FILE: file, DATABASE_URL: '', NO_COLOR: '1' };
  for (const k of ['KB_DIR', 'DIALOGS_DIR', 'LOG_LEVEL']) delete env[k];
  const r = spawnSync('npx', ['tsx', 'scripts/report.ts', ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 50_000,
    killSignal: 'SIGKILL',
  });
  if (r.status === null) throw new Error(`report did not exit: ${r.stderr}`);
  return r;
}

beforeAll(async () => {
  const store = await SqlConversationStore.open({ sqliteFile: file });
  // One French widget conversation answered in 250 ms and rated 4; one English one that got the fallback in 100 ms.
  const a = newConversationState({ id: 'a', channel: 'widget', lang: 'fr', at: '2026-11-03T10:00:00.000Z' });
  await store.create(a);
  a.csat = { score: 4, at: '2026-11-03T10:01:00.000Z' };
  await store.saveTurn(a, [
    { at: '2026-11-03T10:00:01.000Z', from: 'customer', text: 'Quelle est la durée de la garantie ?' },
    {
      at: '2026-11-03T10:00:01.250Z',
      from: 'bot',
      text: '2 ans',
      source: { kind: 'faq', id: 'warranty-coverage', confidence: 0.9 },
    },
  ]);
  const b = newConversationState({ id: 'b', channel: 'widget', lang: 'en', at: '2026-11-04T10:00:00.000Z' });
  await store.create(b);
  await store.saveTurn(b, [
    { at: '2026-11-04T10:00:01.000Z', from: 'customer', text: 'zorglub frobnicate' },
    { at: '2026-11-04T10:00:01.100Z', from: 'bot', text: '?', source: { kind: 'fallback', confidence: 0.05 } },
  ]);
  await store.close();
}, 30_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('--json prints the figures of the period from the configured database', () => {
  const r = report('--since', '2026-11-01', '--until', '2026-11-08', '--json');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const f = JSON.parse(r.stdout);
  // a: 250 ms, b: 100 ms -> mean 175, p50 = 1st of 2 = 100; a resolved by the bot (warranty topic), b not.
  expect(f).toMatchObject({
    from: '2026-11-01T00:00:00.000Z',
    to: '2026-11-08T00:00:00.000Z',
    conversations: 2,
    firstResponseMs: { n: 2, avg: 175, p50: 100, p90: 250 },
  });
  expect(f.resolved).toEqual({ byBot: 1, byPerson: 0, unresolved: 1, botRate: 0.5 });
  expect(f.byTopic).toEqual({
    warranty: { conversations: 1, resolvedByBot: 1, handoffs: 0 },
    none: { conversations: 1, resolvedByBot: 0, handoffs: 0 },
  });
  expect(f.unanswered.map((u: { text: string }) => u.text)).toEqual(['zorglub frobnicate']);
}, 60_000);

test('the table, narrowed by language; bad arguments name the value', () => {
  const fr = report('--since', '2026-11-01', '--until', '2026-11-08', '--lang', 'fr');
  expect(fr.status).toBe(0);
  expect(fr.stdout).toMatch(/^conversations +1$/m);
  expect(fr.stdout).toMatch(/^CSAT +4\.00 \/ 5 \(n=1; 1: 0, 2: 0, 3: 0, 4: 1, 5: 0\)$/m);
  const lang = report('--lang', 'de');
  expect([lang.status, lang.stderr.trim()]).toEqual([2, '--lang must be fr, ro or en, not "de"']);
  const since = report('--since', 'last week');
  expect(since.status).toBe(1);
  expect(since.stderr).toContain('since="last week"');
}, 120_000);
