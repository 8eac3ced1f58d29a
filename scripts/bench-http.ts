/**
 * npm run bench:http — how close the widget's message round trip comes to the HTTP limit of this machine, measured
 * in one run: a bare express 5 JSON echo, then the project (`src/index.ts`, as `npm start` runs it, in a child
 * process on a loopback port, RATE_LIMITS=off) on SQLite (a temporary file), then on PostgreSQL (a fresh database
 * on 127.0.0.1:5432, user postgres; skipped when unreachable; BENCH_PG_URL=postgres://... to use another server).
 *
 * Each target is loaded with autocannon (50 connections, 10 s): the echo with a small JSON body, the project with
 * POST /api/conversations/:id/messages over 2,000 pre-created widget conversations, each request the next
 * conversation and the next sample question of the knowledge base (FAQ entries, the conversation's language:
 * fr, ro or en). Prints msg/s, p50, p99 and the ratio to the echo, then a fixed-rate run at 1,000 msg/s offered
 * (autocannon's overallRate) with its p50/p99. Printed figures, not assertions.
 *
 * BENCH_SECONDS (default 10), BENCH_CONNECTIONS (50), BENCH_CONVERSATIONS (2000), BENCH_RATE (1000) change the load;
 * BENCH_ONLY=sqlite|postgres runs one back end. 2,000 conversations keep every one far from the 500-message quota.
 * BENCH_RATE_LIMITS=on measures with the rate-limit counters counting (in the database), at ceilings out of reach.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { loadKnowledgeBase } from '../src/knowledge/loader';
import { LANGS, type Lang } from '../src/domain/types';
import { ROOT, systemEnv } from '../test/support/config';
import { startBotProcess, stopProcess } from '../test/support/processes';

const num = (name: string, def: number) => Number(process.env[name] ?? def) || def;
const SECONDS = num('BENCH_SECONDS', 10);
const CONNECTIONS = num('BENCH_CONNECTIONS', 50);
const CONVERSATIONS = num('BENCH_CONVERSATIONS', 2000);
const RATE = num('BENCH_RATE', 1000);
const ONLY = process.env.BENCH_ONLY;
// The counters count every request and message, but never refuse one: what they cost, not what they refuse.
const LIMITS: Record<string, string> =
  process.env.BENCH_RATE_LIMITS === 'on'
    ? {
        RATE_LIMITS: 'on',
        RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
        RATE_LIMIT_NEW_CONVERSATIONS_PER_MINUTE: '100000',
        RATE_LIMIT_NEW_CONVERSATIONS_BURST: '100000',
        RATE_LIMIT_NEW_CONVERSATIONS_PER_DAY: '10000000',
        RATE_LIMIT_MESSAGES_PER_MINUTE: '100000',
      }
    : { RATE_LIMITS: 'off' };
const PG_BASE = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** CPU time used so far by process `pid`, in ms (Linux /proc: utime + stime, in clock ticks of 10 ms). */
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

interface Figures {
  rps: number;
  /** CPU time (user + system) of the server process per request, in ms: what contention on a shared machine hides. */
  cpuMs: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** The bare express 5 echo, in its own process like the project (same node, same machine). */
async function startEcho(): Promise<{ child: ChildProcess; base: string }> {
  const code = `
    const express = require('express');
    const app = express();
    app.use(express.json());
    app.post('/echo', (req, res) => res.json({ replies: [{ text: String(req.body.text) }] }));
    const s = app.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));`;
  const child = spawn(process.execPath, ['-e', code], {
    cwd: ROOT,
    env: systemEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /port (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (c) => reject(new Error(`echo exited with ${c}`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

/** The sample questions of the FAQ entries (no dialog, no handoff), per language. */
function sampleQuestions(): Record<Lang, string[]> {
  const { kb } = loadKnowledgeBase(join(ROOT, 'knowledge-base'));
  const out = { fr: [], ro: [], en: [] } as Record<Lang, string[]>;
  for (const e of kb.entries)
    if (e.kind === 'faq' && !e.dialog) for (const lang of LANGS) out[lang].push(...(e.questions[lang] ?? []));
  return out;
}

interface Conv {
  id: string;
  token: string;
  lang: Lang;
}

async function createConversations(base: string, n: number): Promise<Conv[]> {
  const out: Conv[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const lang = LANGS[next++ % LANGS.length]!;
      const res = await fetch(`${base}/api/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lang }),
      });
      if (res.status !== 201) throw new Error(`POST /api/conversations: HTTP ${res.status} ${await res.text()}`);
      const b = (await res.json()) as { conversationId: string; token: string };
      out.push({ id: b.conversationId, token: b.token, lang });
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  return out;
}

/** Each request: the next conversation (round robin) and the next question of its language. */
function rotation(convs: Conv[], questions: Record<Lang, string[]>) {
  let i = 0;
  const asked: Record<Lang, number> = { fr: 0, ro: 0, en: 0 };
  return (req: autocannon.Request) => {
    const c = convs[i++ % convs.length]!;
    const qs = questions[c.lang];
    const text = qs[asked[c.lang]++ % qs.length]!;
    return {
      ...req,
      method: 'POST' as const,
      path: `/api/conversations/${c.id}/messages`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
      body: JSON.stringify({ text }),
    };
  };
}

async function load(
  label: string,
  pid: number | undefined,
  base: string,
  opts: Partial<autocannon.Options>,
  setup?: autocannon.Request['setupRequest'],
): Promise<Figures> {
  process.stdout.write(`  ${label}: `);
  const cpu0 = cpuMsOf(pid);
  const tick = setInterval(() => process.stdout.write('.'), 1000);
  try {
    const r = await autocannon({
      url: base,
      connections: CONNECTIONS,
      duration: SECONDS,
      ...opts,
      requests: [
        setup
          ? { setupRequest: setup }
          : {
              method: 'POST',
              path: '/echo',
              headers: { 'content-type': 'application/json' },
              body: '{"text":"bonjour"}',
            },
      ],
    });
    const f = {
      rps: r.requests.average,
      cpuMs: (cpuMsOf(pid) - cpu0) / (r.requests.total || 1),
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
    };
    process.stdout.write(
      ` ${f.rps.toFixed(0)} req/s, p50 ${f.p50} ms, p99 ${f.p99} ms, ${f.cpuMs.toFixed(3)} ms CPU/req`,
    );
    process.stdout.write(f.errors || f.non2xx ? `, ${f.errors} errors, ${f.non2xx} non-2xx\n` : '\n');
    return f;
  } finally {
    clearInterval(tick);
  }
}

async function benchProject(
  name: string,
  env: Record<string, string>,
  echo: Figures,
  questions: Record<Lang, string[]>,
) {
  say(`${name}: starting the project`);
  const bot = await startBotProcess({ ...LIMITS, ...env });
  try {
    say(`  creating ${CONVERSATIONS} widget conversations`);
    const convs = await createConversations(bot.base, CONVERSATIONS);
    // A short warm-up (JIT, statement caches) before the measured runs.
    await load('warm-up 2 s', bot.child.pid, bot.base, { duration: 2 }, rotation(convs, questions));
    const max = await load(
      `round trip, ${CONNECTIONS} connections, ${SECONDS} s`,
      bot.child.pid,
      bot.base,
      {},
      rotation(convs, questions),
    );
    const fixed = await load(
      `fixed rate ${RATE} msg/s offered`,
      bot.child.pid,
      bot.base,
      { overallRate: RATE },
      rotation(convs, questions),
    );
    say(
      `  => ${name}: ${max.rps.toFixed(0)} msg/s (${((100 * max.rps) / echo.rps).toFixed(0)} % of the echo), ` +
        `p50 ${max.p50} ms, p99 ${max.p99} ms, ${max.cpuMs.toFixed(2)} ms CPU/msg (echo ${echo.cpuMs.toFixed(2)}); ` +
        `at ${RATE} msg/s offered: ${fixed.rps.toFixed(0)} msg/s, p50 ${fixed.p50} ms, p99 ${fixed.p99} ms`,
    );
  } finally {
    await stopProcess(bot.child, 'SIGTERM');
  }
}

/** A fresh PostgreSQL database for this run (dropped at the end), or undefined when the server is unreachable. */
async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const name = `bench_http_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: `${PG_BASE}/postgres` });
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch (err) {
    say(`PostgreSQL: skipped (${(err as Error).message})`);
    await admin.end().catch(() => undefined);
    return undefined;
  }
  return {
    url: `${PG_BASE}/${name}`,
    drop: async () => {
      await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
      await admin.end();
    },
  };
}

async function main() {
  const questions = sampleQuestions();
  say(
    `bench:http — ${CONNECTIONS} connections, ${SECONDS} s per run, ${CONVERSATIONS} conversations, ` +
      `RATE_LIMITS=${LIMITS.RATE_LIMITS}; questions: ` +
      LANGS.map((l) => `${questions[l].length} ${l}`).join(', '),
  );
  say('echo: express 5 JSON echo');
  const e = await startEcho();
  let echo: Figures;
  try {
    await load('warm-up 2 s', e.child.pid, e.base, { duration: 2 });
    echo = await load(`echo, ${CONNECTIONS} connections, ${SECONDS} s`, e.child.pid, e.base, {});
  } finally {
    await stopProcess(e.child, 'SIGTERM');
  }
  if (ONLY !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-http-'));
    try {
      await benchProject('SQLite', { SQLITE_FILE: join(dir, 'bench.db') }, echo, questions);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (ONLY !== 'sqlite') {
    const pg = await freshPostgres();
    if (pg)
      try {
        await benchProject('PostgreSQL', { DATABASE_URL: pg.url }, echo, questions);
      } finally {
        await pg.drop();
      }
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
