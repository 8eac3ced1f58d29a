/**
 * npm run bench:publish — what publishing costs the requests being served, measured on the real process
 * (`src/index.ts` in a child process on a loopback port, a temporary SQLite file and copies of the content,
 * RATE_LIMITS=off). Clients ask questions back to back; for PHASE_MS nothing is published (quiet), then for
 * PHASE_MS an editor publishes one edit after another through the admin API (publishing). Prints the requests'
 * p50/p99 in both phases of the same run and p99 publishing / quiet, for KB_BUILD_WORKER=off (builds on the
 * event loop, as before) and auto (builds in a worker thread). `-- --disk`: the publishes are file changes on disk
 * (the watcher's path) instead of admin API edits. `-- 5000`: the phases' length. Printed figures, not assertions.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBotProcess, stopProcess } from '../test/support/processes';

const ROOT = resolve(__dirname, '..');
const DISK = process.argv.includes('--disk');
const PHASE_MS = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 8000);
const CLIENTS = 2;
const TOKEN = 'bench-publish-admin-token-0123456789';
const QUESTIONS = ['How long is the warranty?', 'What are your customer service hours?', 'où en est ma réparation ?'];
const say = (line: string) => process.stdout.write(`${line}\n`);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function client(base: string, until: () => boolean, out: number[]): Promise<void> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    body: '{"lang":"en"}',
    headers: { 'content-type': 'application/json' },
  });
  const conv = (await res.json()) as { conversationId: string; token: string };
  for (let i = 0; !until(); i++) {
    const t0 = performance.now();
    const r = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
      body: JSON.stringify({ text: QUESTIONS[i % QUESTIONS.length] }),
    });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`message: HTTP ${r.status}`);
    out.push(performance.now() - t0);
  }
}

/** Publishes edits back to back (alternating answers) until `until()`; returns how many and their mean duration. */
async function editor(base: string, until: () => boolean, kbDir: string): Promise<{ n: number; meanMs: number }> {
  let n = 0;
  const t0 = performance.now();
  const file = join(kbDir, 'warranty.yaml');
  const original = readFileSync(file, 'utf8');
  const version = async () => ((await (await fetch(`${base}/health`)).json()) as { kbVersion: string }).kbVersion;
  while (DISK && !until()) {
    // --disk: the file changes on disk (the watcher publishes it), the next change once it is served.
    const before = await version();
    writeFileSync(file, original.replace('2-year legal warranty', `2-year legal warranty (edit ${n})`));
    while ((await version()) === before) await new Promise((r) => setTimeout(r, 20));
    n++;
  }
  while (!until()) {
    const r = await fetch(`${base}/api/admin/entries/warranty-coverage`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ lang: 'en', answer: `Two years of legal warranty (edit ${n}).`, force: true }),
    });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`edit: HTTP ${r.status}`);
    n++;
  }
  return { n, meanMs: n ? (performance.now() - t0) / n : NaN };
}

async function phase(base: string, publishing: boolean, kbDir: string) {
  const end = Date.now() + PHASE_MS;
  const stop = () => Date.now() >= end;
  const lat: number[] = [];
  const [edits] = await Promise.all([
    publishing ? editor(base, stop, kbDir) : Promise.resolve(undefined),
    ...Array.from({ length: CLIENTS }, () => client(base, stop, lat)),
  ]);
  return { p50: pct(lat, 50), p99: pct(lat, 99), n: lat.length, edits };
}

async function run(mode: 'off' | 'auto'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-bench-publish-'));
  cpSync(join(ROOT, 'knowledge-base'), join(dir, 'kb'), { recursive: true });
  cpSync(join(ROOT, 'dialogs'), join(dir, 'dialogs'), { recursive: true });
  const { child, base } = await startBotProcess({
    KB_DIR: join(dir, 'kb'),
    DIALOGS_DIR: join(dir, 'dialogs'),
    DATABASE_URL: '',
    SQLITE_FILE: join(dir, 'bot.db'),
    ADMIN_TOKENS: `bench:admin:${TOKEN}`,
    RATE_LIMITS: 'off',
    KB_BUILD_WORKER: mode,
  });
  try {
    const kbDir = join(dir, 'kb');
    await phase(base, true, kbDir); // warm-up: JIT, the worker started, the first self-test cached
    const quiet = await phase(base, false, kbDir);
    const busy = await phase(base, true, kbDir);
    const f = (x: number) => x.toFixed(1).padStart(6);
    say(`KB_BUILD_WORKER=${mode}`);
    say(`  quiet       ${String(quiet.n).padStart(5)} requests  p50 ${f(quiet.p50)} ms  p99 ${f(quiet.p99)} ms`);
    say(
      `  publishing  ${String(busy.n).padStart(5)} requests  p50 ${f(busy.p50)} ms  p99 ${f(busy.p99)} ms  (${busy.edits!.n} publishes, ${busy.edits!.meanMs.toFixed(0)} ms each)`,
    );
    say(`  p99 publishing / quiet: ${(busy.p99 / quiet.p99).toFixed(2)}  p50: ${(busy.p50 / quiet.p50).toFixed(2)}`);
  } finally {
    await stopProcess(child, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const how = DISK ? 'files changed on disk' : 'edits through the admin API';
  say(
    `bench:publish: ${CLIENTS} clients asking back to back, ${PHASE_MS} ms quiet then ${PHASE_MS} ms publishing (${how})`,
  );
  await run('off');
  await run('auto');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
