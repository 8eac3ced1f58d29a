/**
 * Crash test of the handoff queue: 1,000 handoffs through a real server process that is killed with SIGKILL at
 * random moments (at least 10 times) while the agents' receiver fails one request in five. After the last restart:
 * every handoff.requested written to the database has arrived at least once, every duplicate carries the same
 * webhook-id and an identical body, and each conversation's events first arrive in sequence order.
 * Runs on SQLite and on PostgreSQL.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { SqlConversationStore } from '../../src/storage/sql/store';
import { startBotProcess, stopProcess } from '../support/processes';
import { PG_ADMIN_URL as PG_ADMIN } from '../support/postgres';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const HANDOFFS = 1000;
const KILLS = 10;

interface Received {
  webhookId: string;
  body: string;
  type: string;
  conversationId: string;
  seq: number;
}

/** The agents' side: verifies every request, fails one in five (after reading it), records the rest. */
function startReceiver(): Promise<{ server: Server; url: string; received: Received[]; badSignatures: number[] }> {
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
      res.writeHead(Math.random() < 0.2 ? 500 : 200).end();
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

const startBot = (env: NodeJS.ProcessEnv) => startBotProcess(env);
const killed = (child: ChildProcess) => stopProcess(child, 'SIGKILL');

async function post(base: string, path: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

async function crashRun(
  name: string,
  storage: NodeJS.ProcessEnv,
  openStore: () => Promise<SqlConversationStore>,
): Promise<void> {
  const receiver = await startReceiver();
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
  const conversations: { id: string; token: string; asked: boolean }[] = [];
  let bot = await startBot(env);
  let created = 0;
  let asked = 0;
  let inFlight = 0;
  const loadSlice = async (base: string, upTo: number) => {
    // Customers: create a conversation, ask for a person, sometimes add a message while waiting. Requests that
    // die with the server do not count: the slice goes on until `upTo` customers got their handoff answer.
    const work = async () => {
      while (asked + inFlight < upTo) {
        const i = created++;
        inFlight++;
        try {
          const c = await post(base, '/api/conversations', { lang: 'fr' });
          conversations[i] = { id: c.conversationId, token: c.token, asked: false };
          await post(
            base,
            `/api/conversations/${c.conversationId}/messages`,
            { text: 'je veux parler à un conseiller' },
            c.token,
          );
          conversations[i]!.asked = true;
          asked++;
          if (i % 3 === 0)
            await post(
              base,
              `/api/conversations/${c.conversationId}/messages`,
              { text: `commande MV-${4800000 + i}` },
              c.token,
            );
        } catch {
          return; // the server died under us
        } finally {
          inFlight--;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, work));
  };
  for (let k = 0; k < KILLS; k++) {
    const target = Math.round(((k + 1) * HANDOFFS) / (KILLS + 1));
    const slice = loadSlice(bot.base, target);
    // Kill at a random moment of this slice (with requests and deliveries in flight).
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 1200));
    await killed(bot.child);
    await slice;
    bot = await startBot(env);
  }
  await loadSlice(bot.base, HANDOFFS);
  // Customers whose request died with the server ask again.
  for (const c of conversations)
    if (c && !c.asked)
      await post(
        bot.base,
        `/api/conversations/${c.id}/messages`,
        { text: 'je veux parler à un conseiller' },
        c.token,
      ).catch(() => undefined);

  const store = await openStore();
  try {
    const deadline = Date.now() + 120_000;
    while ((await store.pendingCount()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await store.pendingCount()).toBe(0);
    expect(await store.listDead()).toEqual([]);
    const byId = new Map<string, Received[]>();
    for (const r of receiver.received) byId.set(r.webhookId, [...(byId.get(r.webhookId) ?? []), r]);
    let requested = 0;
    const ids = conversations.filter(Boolean).map((c) => c.id);
    for (const id of ids) {
      const events = await store.events(id);
      for (const e of events) {
        const got = byId.get(e.webhookId) ?? [];
        if (got.length === 0) throw new Error(`${name}: event ${e.type} #${e.seq} of ${id} never arrived`);
        for (const g of got) expect(g.body).toBe(e.body); // duplicates: same id, identical body
        if (e.type === 'handoff.requested') requested++;
      }
      // First arrivals of each conversation's events are in sequence order.
      const firsts: number[] = [];
      for (const r of receiver.received) if (r.conversationId === id && !firsts.includes(r.seq)) firsts.push(r.seq);
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    }
    expect(receiver.badSignatures).toEqual([]);
    expect(asked).toBeGreaterThanOrEqual(HANDOFFS);
    expect(requested).toBeGreaterThanOrEqual(HANDOFFS);
    process.stdout.write(
      `${name}: ${ids.length} conversations, ${requested} handoffs, ${receiver.received.length} deliveries (${receiver.received.length - byId.size} duplicates), ${KILLS} kills\n`,
    );
  } finally {
    await store.close();
    await killed(bot.child);
    receiver.server.close();
  }
}

describe('handoff queue under kill -9', () => {
  it('SQLite: nothing lost, duplicates identical, per-conversation order kept', async () => {
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

  it('PostgreSQL: nothing lost, duplicates identical, per-conversation order kept', async () => {
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
