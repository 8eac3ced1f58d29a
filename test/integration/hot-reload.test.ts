/**
 * Live knowledge-base updates under load: the real server process (node src/index.ts, real HTTP on loopback,
 * its SQLite file, temporary copies of knowledge-base/ and dialogs/). While a client sends 1,000 questions, a
 * knowledge-base file is edited (published), broken (refused: the last good version keeps serving), then fixed
 * (published). Every request succeeds, every reply was produced by one whole published version, the answer
 * text always matches the version that produced it, and the broken file's content is never served.
 */
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBotProcess, stopProcess } from '../support/processes';

jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'savbot-reload-'));
const kbDir = join(dir, 'knowledge-base');
cpSync(join(ROOT, 'knowledge-base'), kbDir, { recursive: true });
cpSync(join(ROOT, 'dialogs'), join(dir, 'dialogs'), { recursive: true });
const FILE = join(kbDir, 'warranty.yaml');
const V1 = readFileSync(FILE, 'utf8');
const ANSWER_V1 = /en: "(All our products come with a 2-year legal warranty[^"]*)"/.exec(V1)![1]!;
const ANSWER_V2 = 'Second version: 2 years of legal warranty, parts and labour.';
const ANSWER_V3 = 'Third version: 2 years of legal warranty on every product.';
const withAnswer = (a: string) => V1.replace(ANSWER_V1, a);
// Valid YAML with a key the schema refuses, and an answer that must never be served.
const BROKEN = withAnswer('BROKEN ANSWER').replace(
  '  - id: warranty-coverage\n',
  '  - id: warranty-coverage\n    nonsense: true\n',
);
const TOKEN = 'reload-test-admin-token';
const QUESTIONS = [
  'How long is the warranty?',
  'What are your customer service hours?',
  'how many years warranty on a washing machine',
];
const TOTAL = 1000;
const WORKERS = 8;

let child: ChildProcess | undefined;
let base: string;

beforeAll(async () => {
  ({ child, base } = await startBotProcess({
    KB_DIR: kbDir,
    DIALOGS_DIR: join(dir, 'dialogs'),
    DATABASE_URL: '',
    SQLITE_FILE: join(dir, 'bot.db'),
    ADMIN_TOKENS: `tester:admin:${TOKEN}`,
    KB_WATCH_INTERVAL_MS: '1000',
  }));
});

afterAll(async () => {
  if (child) await stopProcess(child, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${base}${path}`, init);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const health = () => json<{ kbVersion: string }>('/health').then((h) => h.kbVersion);
const status = () =>
  json<{ version: string; lastError: { issues: { file: string; line: number; message: string }[] } | null }>(
    '/api/admin/status',
    { headers: { authorization: `Bearer ${TOKEN}` } },
  );

/** Poll until `probe` returns a value (the server reloads on its own schedule; no timing is asserted). */
async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > 30_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('1,000 questions while a file is edited, broken and fixed: no error, whole versions only, broken content never served', async () => {
  const v1 = await health();
  let sent = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  // Phase k (edit, break, fix) starts once 250(k+1) questions were sent; questions past 250(k+1)+150 wait for it to end,
  // so that some questions are answered while each change is being picked up and the last ones after the fix.
  const phaseDone = [false, false, false];
  const conversations: { conversationId: string; token: string }[] = [];
  let stopped = false;
  const latencies: number[] = [];

  async function worker(): Promise<void> {
    const conv = await json<{ conversationId: string; token: string }>('/api/conversations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"lang":"en"}',
    });
    conversations.push(conv);
    for (;;) {
      const i = sent;
      if (i >= TOTAL) return;
      if (stopped) return;
      if ([400, 650, 900].some((g, k) => i >= g && !phaseDone[k])) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      sent++;
      const t0 = performance.now();
      try {
        const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
          body: JSON.stringify({ text: QUESTIONS[i % QUESTIONS.length] }),
        });
        const body = (await res.json()) as { replies?: { text: string }[] };
        latencies.push(performance.now() - t0);
        if (res.status !== 200 || !body.replies?.length) {
          errors++;
          errorSamples.push(`${res.status} ${JSON.stringify(body)}`);
        }
      } catch (e) {
        errors++;
        errorSamples.push(String(e));
      }
    }
  }

  const reached = (n: number) => until(async () => (sent >= n ? true : undefined), `${n} questions sent`);
  const delays: number[] = [];
  async function editor(): Promise<{ v2: string; v3: string }> {
    await reached(250);
    let t = Date.now();
    writeFileSync(FILE, withAnswer(ANSWER_V2));
    const v2 = await until(async () => ((await health()) !== v1 ? health() : undefined), 'the edit to be published');
    delays.push(Date.now() - t);
    phaseDone[0] = true;

    await reached(500);
    t = Date.now();
    writeFileSync(FILE, BROKEN);
    const refused = await until(async () => (await status()).lastError ?? undefined, 'the broken file to be refused');
    delays.push(Date.now() - t);
    expect(refused.issues[0]).toMatchObject({ message: 'unknown key(s) "nonsense"' });
    expect(refused.issues[0]!.file).toMatch(/warranty\.yaml$/);
    expect(refused.issues[0]!.line).toBe(7);
    expect(await health()).toBe(v2);
    phaseDone[1] = true;

    await reached(750);
    t = Date.now();
    writeFileSync(FILE, withAnswer(ANSWER_V3));
    const v3 = await until(async () => {
      const h = await health();
      return h !== v2 ? h : undefined;
    }, 'the fix to be published');
    delays.push(Date.now() - t);
    expect((await status()).lastError).toBeNull();
    phaseDone[2] = true;
    return { v2, v3 };
  }

  const [{ v2, v3 }] = await Promise.all([
    editor().finally(() => {
      if (!phaseDone[2]) stopped = true; // a failed phase: let the workers end
    }),
    ...Array.from({ length: WORKERS }, worker),
  ]);
  // Reported, not asserted: how long the running server took to pick each change up (write -> /health or status).
  // (Building a version runs on the server's event loop: requests arriving meanwhile wait for it.)
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
  console.log(
    `hot reload: publish ${delays[0]} ms, refuse ${delays[1]} ms, publish fix ${delays[2]} ms after the write; ` +
      `request latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms (${WORKERS} clients)`,
  );

  expect(errorSamples).toEqual([]);
  expect(errors).toBe(0);
  expect(new Set([v1, v2, v3]).size).toBe(3);

  const expected: Record<string, string> = { [v1]: ANSWER_V1, [v2]: ANSWER_V2, [v3]: ANSWER_V3 };
  const seen = new Map<string, number>();
  /** Warranty answers checked against their version's text, per version. */
  const checked = new Map<string, number>();
  let botReplies = 0;
  for (const c of conversations) {
    // The whole transcript, page by page (GET messages answers at most 500 at a time).
    const messages: { from: string; text: string; kbVersion?: string; source?: { id?: string } }[] = [];
    for (let after = 0; ;) {
      const page = await json<{
        messages: { id: number; from: string; text: string; kbVersion?: string; source?: { id?: string } }[];
        hasMore: boolean;
      }>(`/api/conversations/${c.conversationId}/messages?limit=500&after=${after}`, {
        headers: { authorization: `Bearer ${c.token}` },
      });
      messages.push(...page.messages);
      if (!page.hasMore || page.messages.length === 0) break;
      after = page.messages[page.messages.length - 1]!.id;
    }
    for (const [i, m] of messages.entries()) {
      if (m.from !== 'bot') continue;
      botReplies++;
      expect(m.text).not.toContain('BROKEN');
      expect([v1, v2, v3]).toContain(m.kbVersion);
      seen.set(m.kbVersion!, (seen.get(m.kbVersion!) ?? 0) + 1);
      // The answer always comes from the version recorded with it: every reply to the warranty question is the
      // warranty entry, with the text of that version.
      if (messages[i - 1]?.text === QUESTIONS[0]) {
        expect({ id: m.source?.id, text: m.text }).toEqual({ id: 'warranty-coverage', text: expected[m.kbVersion!] });
        checked.set(m.kbVersion!, (checked.get(m.kbVersion!) ?? 0) + 1);
      }
    }
  }
  expect(botReplies).toBeGreaterThanOrEqual(TOTAL);
  console.log(`replies per version: ${[...seen].map(([v, n]) => `${v}: ${n}`).join(', ')}`);
  // Each of the three versions answered some of the questions, the warranty question included.
  expect([...seen.keys()].sort()).toEqual([v1, v2, v3].sort());
  expect([...checked.keys()].sort()).toEqual([v1, v2, v3].sort());
});
