/**
 * Several instances of the real server (child processes, test/support/processes.ts) on one fresh PostgreSQL
 * database behind a real HAProxy (scripts/haproxy.ts), and the clients the cluster test and `npm run bench:cluster`
 * drive them with: widget event streams that reconnect through the balancer with Last-Event-ID, signed agent events.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Webhook } from 'standardwebhooks';
import { freePort, startHaproxy, type Balancer } from '../../scripts/haproxy';
import { freshPgDatabase } from './postgres';
import { startBotProcess, stopProcess } from './processes';

export const AGENT_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

export interface Instance {
  name: string;
  base: string;
  child: ChildProcess;
}

export interface Cluster {
  balancer: Balancer;
  instances: Instance[];
  /** Instances not killed. */
  alive(): Instance[];
  kill(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** `n` instances (TRUST_PROXY=loopback, shared development secrets) on a fresh database, behind HAProxy. */
export async function startCluster(n: number, env: Record<string, string> = {}): Promise<Cluster> {
  const db = await freshPgDatabase('savbot_cluster');
  const dataDir = mkdtempSync(join(tmpdir(), 'savbot-cluster-'));
  const settings = {
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    TRUST_PROXY: 'loopback',
    AGENT_WEBHOOK_SECRET: AGENT_SECRET,
    HANDOFF_WEBHOOK_URL: '',
    STREAMS_PER_IP: '10000',
    LOG_LEVEL: 'info',
    ...env,
  };
  const instances: Instance[] = [];
  const killed = new Set<string>();
  let balancer: Balancer | undefined;
  const stop = async () => {
    await balancer?.stop();
    await Promise.all(instances.map((i) => stopProcess(i.child, 'SIGKILL')));
    rmSync(dataDir, { recursive: true, force: true });
    await db.drop();
  };
  try {
    // The first alone: it migrates the database (the others find it migrated).
    const start = async (name: string) => instances.push({ name, ...(await startBotProcess(settings)) });
    await start('i1');
    await Promise.all(Array.from({ length: n - 1 }, (_, i) => start(`i${i + 2}`)));
    instances.sort((a, b) => a.name.localeCompare(b.name));
    const ports = instances.map((i) => Number(new URL(i.base).port));
    balancer = await startHaproxy(await freePort(), ports);
    const b = balancer;
    // Every instance passed its health check (/ready) before the clients come.
    await until(async () => (await servedBy(b.base, n * 4)).size === n, 20_000, 'every instance up in HAProxy');
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    balancer,
    instances,
    alive: () => instances.filter((i) => !killed.has(i.name)),
    async kill(name) {
      killed.add(name);
      await stopProcess(instances.find((i) => i.name === name)!.child, 'SIGKILL');
    },
    stop,
  };
}

/** The instances that answered `count` GET /ready through the balancer. */
async function servedBy(base: string, count: number): Promise<Set<string>> {
  const names = new Set<string>();
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${base}/ready`).catch(() => undefined);
    if (res?.ok) names.add(res.headers.get('x-served-by') ?? '');
    await res?.arrayBuffer();
  }
  return names;
}

/** Wait for `cond` (checked every 50 ms), failing after `ms` with `what`: a bound, not a timing assertion. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Conv {
  conversationId: string;
  token: string;
}

export async function createConversation(base: string): Promise<Conv> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"lang":"fr"}',
  });
  if (res.status !== 201) throw new Error(`POST /api/conversations: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Conv;
}

export async function say(base: string, conv: Conv, text: string): Promise<unknown[]> {
  const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
    body: JSON.stringify({ text }),
  });
  if (res.status !== 200) throw new Error(`POST messages: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { replies: unknown[] }).replies;
}

/** Every stored message id of a conversation, read page by page. */
export async function transcriptIds(base: string, conv: Conv): Promise<number[]> {
  const ids: number[] = [];
  for (;;) {
    const res = await fetch(
      `${base}/api/conversations/${conv.conversationId}/messages?limit=500&after=${ids.at(-1) ?? 0}`,
      { headers: { authorization: `Bearer ${conv.token}` } },
    );
    if (res.status !== 200) throw new Error(`GET messages: HTTP ${res.status}`);
    const page = ((await res.json()) as { messages: { id: number }[] }).messages;
    ids.push(...page.map((m) => m.id));
    if (page.length < 500) return ids;
  }
}

/**
 * POST a signed agent event to `bases` in turn until one takes it (202): a refused connection or a 5xx (the
 * instance was killed) goes to the next with the same webhook-id; 409 means an earlier try was stored already.
 */
export async function agentEvent(bases: () => string[], event: Record<string, unknown>): Promise<string> {
  const id = `msg_${randomBytes(12).toString('base64url')}`;
  const body = JSON.stringify(event);
  for (let attempt = 0; attempt < 20; attempt++) {
    const list = bases();
    const base = list[attempt % list.length]!;
    const at = new Date();
    const res = await fetch(`${base}/api/agent/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(AGENT_SECRET).sign(id, at, body),
      },
      body,
    }).catch(() => undefined);
    const text = await res?.text();
    if (res?.status === 202 || res?.status === 409) return base;
    if (res && res.status < 500) throw new Error(`agent event refused: HTTP ${res.status} ${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no instance took the agent event');
}

/**
 * A widget's event stream through the balancer: records every message id it receives (how many times, when
 * first), the instance serving it (X-Served-By), agents' typing; reconnects with Last-Event-ID when cut.
 */
export class StreamClient {
  readonly seen = new Map<number, number>();
  readonly firstSeenAt = new Map<number, number>();
  readonly typing: string[] = [];
  servedBy = '';
  connections = 0;
  /** Called for each message received (the first time). */
  onMessage?: (m: { id: number; from: string; text: string }) => void;
  private last = 0;
  private req: ClientRequest | undefined;
  private closed = false;

  constructor(
    private readonly base: string,
    readonly conv: Conv,
  ) {}

  start(): void {
    void this.loop();
  }

  close(): void {
    this.closed = true;
    this.req?.destroy();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      await this.once().catch(() => undefined);
      if (!this.closed) await new Promise((r) => setTimeout(r, 100));
    }
  }

  private once(): Promise<void> {
    return new Promise((resolve, reject) => {
      const url = new URL(`${this.base}/api/conversations/${this.conv.conversationId}/events`);
      const req = request(url, {
        agent: false,
        headers: { authorization: `Bearer ${this.conv.token}`, 'last-event-id': String(this.last) },
      });
      this.req = req;
      req.on('error', reject);
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`event stream: HTTP ${res.statusCode}`));
        }
        this.servedBy = String(res.headers['x-served-by'] ?? '');
        this.connections++;
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let end;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            this.frame(buf.slice(0, end));
            buf = buf.slice(end + 2);
          }
        });
        res.on('end', resolve);
        res.on('error', reject);
        res.on('close', resolve);
      });
      req.end();
    });
  }

  private frame(text: string): void {
    const event = /^event: (.*)$/m.exec(text)?.[1];
    const data = /^data: (.*)$/m.exec(text)?.[1];
    if (!event || data === undefined) return;
    const parsed = JSON.parse(data) as { id?: number; from?: string; text?: string; agent?: { name: string } };
    if (event === 'typing') this.typing.push(parsed.agent?.name ?? '');
    if (event !== 'message' || typeof parsed.id !== 'number') return;
    this.seen.set(parsed.id, (this.seen.get(parsed.id) ?? 0) + 1);
    if (!this.firstSeenAt.has(parsed.id)) {
      this.firstSeenAt.set(parsed.id, performance.now());
      this.onMessage?.({ id: parsed.id, from: parsed.from ?? '', text: parsed.text ?? '' });
    }
    this.last = parsed.id;
  }
}
