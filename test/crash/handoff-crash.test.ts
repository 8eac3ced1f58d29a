/**
 * Crash test of the handoff queue: 1,000 customers ask for a person through a real server process that is killed
 * with SIGKILL 10 times while they do (each kill lands right after a seeded number of responses, with customers'
 * requests in flight), while the agents' receiver fails one request in five (after reading it). Accounting per
 * customer, after the last restart: every customer who was told 200 to their request (at once, or when asking
 * again after a kill) has exactly one handoff.requested, stored and delivered (redeliveries carry the same
 * webhook-id and an identical body); every event written to the database has arrived; nothing arrived that the
 * database does not hold; each conversation's events first arrive in sequence order.
 * Runs on SQLite and on PostgreSQL. The seed of the kill schedule and of the receiver's failures is printed;
 * CRASH_SEED=<n> replays it.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import type { OutboxEvent } from '../../src/domain/handoff';
import { mulberry32 } from '../../src/matching/classifier';
import { SqlConversationStore } from '../../src/storage/sql/store';
import { startBotProcess, stopProcess } from '../support/processes';
import { PG_ADMIN_URL as PG_ADMIN } from '../support/postgres';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const HANDOFFS = 1000;
const KILLS = 10;
const CUSTOMERS_AT_ONCE = 8;
const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) >>> 0 : randomBytes(4).readUInt32LE(0);

interface Received {
  webhookId: string;
  body: string;
  type: string;
  conversationId: string;
  seq: number;
}

/** The agents' side: verifies every request, fails one in five (after reading it), records the rest. */
function startReceiver(random: () => number): Promise<{
  server: Server;
  url: string;
  received: Received[];
  badSignatures: number[];
}> {
  const wh = new Webhook(SECRET);
  const received: Received[] = [];
  const badSignatures: number[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        wh.verify(body, req.headers as Record<string, string>);
      } catch {
        badSignatures.push(++n);
        res.writeHead(401).end();
        return;
      }
      n++;
      const parsed = JSON.parse(body) as { type: string; data: { conversationId: string; seq: number } };
      received.push({
        webhookId: String(req.headers['webhook-id']),
        body,
        type: parsed.type,
        conversationId: parsed.data.conversationId,
        seq: parsed.data.seq,
      });
      // Fails after having received it: the retry must be an exact duplicate.
      res.writeHead(random() < 0.2 ? 500 : 200).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
        received,
        badSignatures,
      }),
    ),
  );
}

/** One customer request: failed with the server (network error) or, which must never happen, with a status. */
interface Request {
  path: string;
  failed?: { status?: number; message: string };
}

/** The customers' HTTP traffic: what is in flight, how many responses came back, what failed and how. */
class Traffic {
  readonly inFlight = new Set<Request>();
  readonly failures: Request[] = [];
  responses = 0;
  /** Called after each successful response (the kill trigger). */
  onResponse: (() => void) | undefined;

  async post<T = unknown>(base: string, path: string, body: unknown, token?: string): Promise<T> {
    const r: Request = { path: path.replace(/[0-9a-f-]{36}/, ':id') };
    this.inFlight.add(r);
    try {
      let res: Response;
      try {
        res = await fetch(base + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (e) {
        r.failed = { message: String((e as { cause?: unknown }).cause ?? e) };
        throw e;
      }
      if (!res.ok) {
        r.failed = { status: res.status, message: await res.text() };
        throw new Error(`${path}: ${res.status}`);
      }
      const json = (await res.json().catch((e: unknown) => {
        r.failed = { message: `body cut: ${String(e)}` };
        throw e;
      })) as T;
      this.inFlight.delete(r);
      this.responses++;
      this.onResponse?.();
      return json;
    } finally {
      this.inFlight.delete(r);
      if (r.failed) this.failures.push(r);
    }
  }
}

interface Customer {
  id: string;
  token: string;
  /** Told 200 to their request for a person. */
  acknowledged: boolean;
  askedAgain: boolean;
}

interface Kill {
  /** Responses received when it was triggered (the seeded moment). */
  afterResponses: number;
  /** Customers' requests in flight at the moment of the kill, and how many of those died with the server. */
  inFlight: number;
  died: number;
  /** Deliveries the receiver had got by then. */
  deliveries: number;
  signal: NodeJS.Signals | null;
}

async function crashRun(
  name: string,
  storage: NodeJS.ProcessEnv,
  openStore: () => Promise<SqlConversationStore>,
): Promise<void> {
  const killAt = mulberry32(SEED);
  const receiver = await startReceiver(mulberry32(SEED ^ 0x5bd1e995));
  process.stdout.write(`${name}: crash seed ${SEED} (CRASH_SEED=${SEED} replays the kill schedule)\n`);
  const env: NodeJS.ProcessEnv = {
    ...storage,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    HANDOFF_WEBHOOK_URL: receiver.url,
    HANDOFF_WEBHOOK_SECRET: SECRET,
    AGENT_WEBHOOK_SECRET: SECRET,
    DELIVERY_INTERVAL_MS: '20',
    HANDOFF_RETRY_SCHEDULE_MS: '20,40,80,160,320,640,1280,2560',
    // Opening hours every day, all day: the handoffs are queued the same way whatever the time of the run.
    HANDOFF_HOURS: '{"default":{"timeZone":"UTC","days":[1,2,3,4,5,6,7],"open":"00:00","close":"23:59"}}',
  };
  const traffic = new Traffic();
  const customers: Customer[] = [];
  const kills: Kill[] = [];
  let bot = await startBotProcess(env);
  let acknowledged = 0;
  let active = 0;
  let started = 0;
  const loadSlice = async (base: string, upTo: number) => {
    // Customers: create a conversation, ask for a person, sometimes add a message while waiting. Requests that
    // die with the server end the customer's session: the slice goes on until `upTo` customers got their 200.
    const work = async () => {
      while (acknowledged + active < upTo) {
        active++;
        const i = started++;
        try {
          const c = await traffic.post<{ conversationId: string; token: string }>(base, '/api/conversations', {
            lang: 'fr',
          });
          const customer: Customer = { id: c.conversationId, token: c.token, acknowledged: false, askedAgain: false };
          customers.push(customer);
          await traffic.post(
            base,
            `/api/conversations/${c.conversationId}/messages`,
            { text: 'je veux parler à un conseiller' },
            c.token,
          );
          customer.acknowledged = true;
          acknowledged++;
          if (i % 3 === 0)
            await traffic.post(
              base,
              `/api/conversations/${c.conversationId}/messages`,
              { text: `commande MV-${4800000 + i}` },
              c.token,
            );
        } catch {
          return; // the server died under us
        } finally {
          active--;
        }
      }
    };
    await Promise.all(Array.from({ length: CUSTOMERS_AT_ONCE }, work));
  };

  for (let k = 0; k < KILLS; k++) {
    const target = Math.round(((k + 1) * HANDOFFS) / (KILLS + 1));
    // A slice is about 90 customers, 2 or 3 requests each: kill after 10 to 150 more responses, in the middle of it.
    const afterResponses = traffic.responses + 10 + Math.floor(killAt() * 141);
    let kill: { record: Kill; snapshot: Request[]; exited: Promise<void> } | undefined;
    const child = bot.child;
    traffic.onResponse = () => {
      if (kill || traffic.responses < afterResponses) return;
      // At once, in the response's own turn: the other customers' requests are on their way.
      const snapshot = [...traffic.inFlight];
      kill = {
        snapshot,
        record: {
          afterResponses: traffic.responses,
          inFlight: snapshot.length,
          died: 0,
          deliveries: receiver.received.length,
          signal: null,
        },
        exited: stopProcess(child, 'SIGKILL'),
      };
    };
    await loadSlice(bot.base, target);
    traffic.onResponse = undefined;
    // The slice ends only when the server died, or if it reached its target before the kill was due (then the kill
    // lands on an idle server, which the assertions below catch).
    if (!kill) {
      const snapshot = [...traffic.inFlight];
      kill = {
        snapshot,
        record: {
          afterResponses: traffic.responses,
          inFlight: 0,
          died: 0,
          deliveries: receiver.received.length,
          signal: null,
        },
        exited: stopProcess(child, 'SIGKILL'),
      };
    }
    await kill.exited;
    kill.record.signal = child.signalCode;
    kill.record.died = kill.snapshot.filter((r) => r.failed).length;
    kills.push(kill.record);
    bot = await startBotProcess(env);
  }
  await loadSlice(bot.base, HANDOFFS);
  // Customers whose request died with the server ask again (the server is not killed any more: it must work).
  for (const c of customers)
    if (!c.acknowledged) {
      await traffic.post(
        bot.base,
        `/api/conversations/${c.id}/messages`,
        { text: 'je veux parler à un conseiller' },
        c.token,
      );
      c.acknowledged = true;
      c.askedAgain = true;
    }

  const store = await openStore();
  try {
    const deadline = Date.now() + 120_000;
    while ((await store.pendingCount()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await store.pendingCount()).toBe(0);
    expect(await store.listDead()).toEqual([]);
    expect(receiver.badSignatures).toEqual([]);

    const byId = new Map<string, Received[]>();
    const byConversation = new Map<string, Received[]>();
    for (const r of receiver.received) {
      byId.set(r.webhookId, [...(byId.get(r.webhookId) ?? []), r]);
      byConversation.set(r.conversationId, [...(byConversation.get(r.conversationId) ?? []), r]);
    }
    const problems: string[] = [];
    const stored = new Map<string, OutboxEvent>();
    for (const c of customers) {
      const events = await store.events(c.id);
      for (const e of events) {
        stored.set(e.webhookId, e);
        const got = byId.get(e.webhookId) ?? [];
        if (got.length === 0) problems.push(`${c.id}: event ${e.type} #${e.seq} never arrived`);
        // Redeliveries: same webhook-id (grouped by it), identical body.
        if (got.some((g) => g.body !== e.body))
          problems.push(`${c.id}: a delivery of #${e.seq} differs from the stored body`);
      }
      // The customer was told 200: exactly one handoff, stored once and delivered under one webhook-id.
      const requested = events.filter((e) => e.type === 'handoff.requested');
      const delivered = new Set(
        (byConversation.get(c.id) ?? []).filter((r) => r.type === 'handoff.requested').map((r) => r.webhookId),
      );
      if (requested.length !== 1 || delivered.size !== 1 || !delivered.has(requested[0]!.webhookId))
        problems.push(
          `${c.id}${c.askedAgain ? ' (asked again after a kill)' : ''}: ${requested.length} handoff.requested stored, ${delivered.size} delivered`,
        );
      // First arrivals of each conversation's events are in sequence order.
      const firsts: number[] = [];
      for (const r of byConversation.get(c.id) ?? []) if (!firsts.includes(r.seq)) firsts.push(r.seq);
      if (firsts.join() !== [...firsts].sort((a, b) => a - b).join())
        problems.push(`${c.id}: first arrivals out of order: ${firsts.join(',')}`);
    }
    // Nothing arrived that the database does not hold (conversations whose creation answer died included).
    for (const r of receiver.received)
      if (!stored.has(r.webhookId)) {
        const e = (await store.events(r.conversationId)).find((x) => x.webhookId === r.webhookId);
        if (!e) problems.push(`${r.conversationId}: ${r.type} ${r.webhookId} arrived but is not in the database`);
        else if (e.body !== r.body)
          problems.push(`${r.conversationId}: #${r.seq} arrived different from the stored body`);
        else stored.set(e.webhookId, e);
      }
    expect({ seed: SEED, problems: problems.slice(0, 20), count: problems.length }).toEqual({
      seed: SEED,
      problems: [],
      count: 0,
    });

    // The customers' requests only ever failed with the server (a network error), never with a status.
    expect(traffic.failures.filter((f) => f.failed?.status !== undefined)).toEqual([]);
    const acked = customers.filter((c) => c.acknowledged);
    expect(acked.length).toBe(customers.length);
    expect(acked.length).toBeGreaterThanOrEqual(HANDOFFS);
    // The kills happened, by the signal, each with customers' requests in flight, and requests died with them.
    expect(kills.map((k) => k.signal)).toEqual(Array.from({ length: KILLS }, () => 'SIGKILL'));
    expect({ seed: SEED, idleKills: kills.filter((k) => k.inFlight === 0) }).toEqual({ seed: SEED, idleKills: [] });
    expect(kills.filter((k) => k.died > 0).length).toBeGreaterThanOrEqual(KILLS / 2);

    const handoffs = new Set(receiver.received.filter((r) => r.type === 'handoff.requested').map((r) => r.webhookId));
    process.stdout.write(
      [
        `${name} (seed ${SEED}): ${customers.length} customers told 200 (${acked.filter((c) => c.askedAgain).length} after asking again),`,
        `${handoffs.size} handoffs delivered, one per customer; ${receiver.received.length} deliveries (${receiver.received.length - byId.size} redeliveries, identical);`,
        `${kills.length} kills by ${[...new Set(kills.map((k) => k.signal))].join()},`,
        `requests in flight at each: ${kills.map((k) => k.inFlight).join(' ')}; died with the server: ${kills.map((k) => k.died).join(' ')}`,
        `(${traffic.failures.length} customer requests failed in all)\n`,
      ].join(' '),
    );
  } finally {
    await store.close();
    await stopProcess(bot.child, 'SIGKILL');
    receiver.server.close();
  }
}

describe('handoff queue under kill -9', () => {
  it('SQLite: each acknowledged customer has exactly one handoff delivered, duplicates identical, order kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'savbot-crash-'));
    const file = join(dir, 'bot.db');
    try {
      await crashRun('SQLite', { DATABASE_URL: '', SQLITE_FILE: file }, () =>
        SqlConversationStore.open({ sqliteFile: file }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('PostgreSQL: each acknowledged customer has exactly one handoff delivered, duplicates identical, order kept', async () => {
    const dbName = `savbot_crash_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(PG_ADMIN);
    url.pathname = `/${dbName}`;
    try {
      await crashRun('PostgreSQL', { DATABASE_URL: url.toString() }, () =>
        SqlConversationStore.open({ url: url.toString() }),
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }, 600_000);
});
