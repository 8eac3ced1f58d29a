/**
 * npm run bench:cluster — three instances of the real server (child processes) on one fresh PostgreSQL database
 * behind a real HAProxy on loopback, for 60 s, one of them killed with SIGKILL at 30 s. Prints:
 *
 * - msg/s and p99: customers' messages (FAQ questions answered by the bot) posted through the balancer by 20
 *   clients in a loop, each holding its event stream; failed requests (the killed instance's) are counted.
 * - cross-instance stream delay p50/p99: an agent's message posted straight to one instance (signed agent event),
 *   from the start of its POST until it is seen on the customer's stream held by another instance (10 handed-off
 *   conversations, 10 messages/s in all).
 * - publish-to-all delay: an answer edited through one instance's admin API, until every other instance serves
 *   the new content version (GET /api/admin/status).
 *
 * RATE_LIMITS=off (the clients all come from 127.0.0.1). Printed figures, not assertions.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  agentEvent,
  createConversation,
  say,
  startCluster,
  StreamClient,
  until,
  type Cluster,
  type Conv,
} from '../test/support/cluster';

const ROOT = resolve(__dirname, '..');
const DURATION_MS = 60_000;
const KILL_AT_MS = 30_000;
const CUSTOMERS = 20;
const HANDED_OFF = 10;
const AGENT_RATE_PER_S = 10;
const ADMIN_TOKEN = 'bench-cluster-admin-token-0123456789abcdef';
const QUESTIONS = ['quelle est la durée de la garantie ?', 'où est ma commande ?', 'comment retourner un produit ?'];

const say_ = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const ms = (v: number) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(1)} ms`);

/** Customers asking FAQ questions in a loop through the balancer until `end`: latencies and failures. */
async function customers(lb: string, convs: Conv[], end: number) {
  const latencies: number[] = [];
  let failed = 0;
  await Promise.all(
    convs.map(async (conv, i) => {
      for (let n = i; performance.now() < end; n++) {
        const t0 = performance.now();
        try {
          await say(lb, conv, QUESTIONS[n % QUESTIONS.length]!);
          latencies.push(performance.now() - t0);
        } catch {
          failed++;
          await sleep(50);
        }
      }
    }),
  );
  return { latencies, failed };
}

interface Delays {
  /** From the start of the POST on one instance to the stream on another. */
  fromPost: number[];
  /** From the POST's 202 (stored, committed) to the stream (0 when the stream had it first). */
  fromAck: number[];
}

/** Agents' messages posted to an instance other than the stream's, at AGENT_RATE_PER_S, until `end`. */
async function agents(cluster: Cluster, streams: StreamClient[], end: number): Promise<Delays> {
  const posted = new Map<string, { start: number; ack?: number; seen?: number }>();
  for (const s of streams)
    s.onMessage = (m) => {
      const p = posted.get(m.text);
      if (m.from === 'agent' && p) p.seen = performance.now();
    };
  const inFlight: Promise<unknown>[] = [];
  for (let n = 0; performance.now() < end; n++) {
    const s = streams[n % streams.length]!;
    const other = cluster.alive().find((i) => i.name !== s.servedBy) ?? cluster.alive()[0]!;
    const text = `agent reply ${n} ${end}`;
    const p: { start: number; ack?: number; seen?: number } = { start: performance.now() };
    posted.set(text, p);
    const event = { type: 'agent.message', conversationId: s.conv.conversationId, text, agent: { name: 'Ana' } };
    inFlight.push(
      agentEvent(() => [other.base], event).then(
        () => (p.ack = performance.now()),
        () => undefined,
      ),
    );
    await sleep(1000 / AGENT_RATE_PER_S);
  }
  await Promise.all(inFlight);
  await sleep(1000);
  const done = [...posted.values()].filter((p) => p.seen !== undefined && p.ack !== undefined);
  return {
    fromPost: done.map((p) => p.seen! - p.start),
    fromAck: done.map((p) => Math.max(0, p.seen! - p.ack!)),
  };
}

const delayLine = (d: Delays) =>
  `p50 ${ms(pct(d.fromPost, 50))}, p99 ${ms(pct(d.fromPost, 99))} from the POST; after its 202: p50 ${ms(pct(d.fromAck, 50))}, p99 ${ms(pct(d.fromAck, 99))} (${d.fromPost.length} messages)`;

/** Edit an answer on the first live instance; ms until every other one serves that version, or why not. */
async function publishToAll(cluster: Cluster): Promise<string> {
  const [first, ...rest] = cluster.alive();
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const list = (await (await fetch(`${first!.base}/api/admin/entries`, { headers: auth })).json()) as {
    entries: { id: string }[];
  };
  const id = list.entries[0]!.id;
  const t0 = performance.now();
  const put = await fetch(`${first!.base}/api/admin/entries/${encodeURIComponent(id)}`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify({ lang: 'en', answer: `Edited by bench:cluster at ${new Date().toISOString()}.` }),
  });
  if (!put.ok) return `n/a: the edit was refused (HTTP ${put.status} ${await put.text()})`;
  const version = async (base: string) =>
    ((await (await fetch(`${base}/api/admin/status`, { headers: auth })).json()) as { version: string }).version;
  const wanted = await version(first!.base);
  try {
    await until(
      async () => (await Promise.all(rest.map((i) => version(i.base)))).every((v) => v === wanted),
      10_000,
      'x',
    );
  } catch {
    return 'n/a: content versions are per instance (the others did not serve the edit within 10 s)';
  }
  return `${(performance.now() - t0).toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const content = mkdtempSync(join(tmpdir(), 'savbot-bench-cluster-kb-'));
  cpSync(join(ROOT, 'knowledge-base'), join(content, 'knowledge-base'), { recursive: true });
  say_('starting 3 instances on a fresh PostgreSQL database behind HAProxy...');
  const cluster = await startCluster(3, {
    RATE_LIMITS: 'off',
    KB_DIR: join(content, 'knowledge-base'),
    ADMIN_TOKENS: `bench:admin:${ADMIN_TOKEN}`,
  });
  const lb = cluster.balancer.base;
  const streams: StreamClient[] = [];
  try {
    const convs = await Promise.all(Array.from({ length: CUSTOMERS + HANDED_OFF }, () => createConversation(lb)));
    const handed = convs.slice(CUSTOMERS);
    for (const c of handed) await say(lb, c, 'je veux parler à un conseiller');
    for (const c of convs) streams.push(new StreamClient(lb, c));
    streams.forEach((s) => s.start());
    await until(() => streams.every((s) => s.connections > 0), 20_000, 'every stream open');
    const agentStreams = streams.slice(CUSTOMERS);
    for (const s of agentStreams)
      await agentEvent(() => cluster.alive().map((i) => i.base), {
        type: 'agent.joined',
        conversationId: s.conv.conversationId,
        agent: { name: 'Ana' },
      });
    const publish = await publishToAll(cluster);
    // The change feed alone, without the customers' load.
    const idle = await agents(cluster, agentStreams, performance.now() + 5000);
    say_(`running ${DURATION_MS / 1000} s (${CUSTOMERS} customers, ${HANDED_OFF} agent conversations)...`);
    const start = performance.now();
    const end = start + DURATION_MS;
    const victim = cluster.instances[1]!.name;
    const kill = sleep(KILL_AT_MS).then(() => cluster.kill(victim));
    const [c, busy] = await Promise.all([
      customers(lb, convs.slice(0, CUSTOMERS), end),
      agents(cluster, agentStreams, end),
      kill,
    ]);
    const seconds = (performance.now() - start) / 1000;
    const reconnected = streams.filter((s) => s.connections > 1).length;
    say_(
      `\nbench:cluster — 3 instances, PostgreSQL, HAProxy (leastconn); ${victim} SIGKILLed at ${KILL_AT_MS / 1000} s`,
    );
    say_(
      `  customer messages   ${(c.latencies.length / seconds).toFixed(1)} msg/s, p99 ${ms(pct(c.latencies, 99))} (p50 ${ms(pct(c.latencies, 50))}), ${c.failed} failed`,
    );
    say_(`  cross-instance, idle (5 s before the run)  ${delayLine(idle)}`);
    say_(`  cross-instance, under the customers' load  ${delayLine(busy)}`);
    say_(
      `  publish-to-all      ${publish} (the instances share one KB_DIR here: each one's file watch, KB_WATCH_INTERVAL_MS, may carry the edit as well as the database)`,
    );
    say_(`  streams reconnected ${reconnected} of ${streams.length} (through the balancer, Last-Event-ID)`);
  } finally {
    streams.forEach((s) => s.close());
    await cluster.stop();
    rmSync(content, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
