import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { ConfigError } from '../../src/domain/errors';
import {
  DEFAULT_SCHEDULE,
  DeliveryWorker,
  WEBHOOK_DISABLED_SETTING,
  enableEndpoint,
  parseRetryAfter,
  type DeliveryOptions,
} from '../../src/handoff/delivery';
import { newConversationState, type ConversationState } from '../../src/domain/conversation';
import type { OutboxEvent } from '../../src/domain/handoff';
import { MemoryConversationStore } from '../../src/storage/memory';

const SECRET = `whsec_${Buffer.from('delivery-test secret, 32 bytes!!').toString('base64')}`;
const SECRET_KEY = SECRET.slice('whsec_'.length);

// ---------------------------------------------------------------------------------------------------------------
// A real HTTP receiver that verifies every request it gets, at the time of the (fake) clock.

interface Received {
  webhookId: string;
  timestamp: string;
  signature: string;
  contentType: string | undefined;
  method: string | undefined;
  body: string;
  /** Clock time (ms) when the request arrived. */
  at: number;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Answer after this many (real) ms. */
  delayMs?: number;
  /** Never answer: the request stays open until the sender gives up (or the receiver closes). */
  hold?: boolean;
}

/** Standard Webhooks verification as a receiver does it, with "now" taken from the test's clock. */
function verifyAt(nowMs: number, body: string, headers: Record<string, string>): unknown {
  const realNow = Date.now;
  Date.now = () => nowMs; // verify() is synchronous: the patch cannot leak to other code
  try {
    return new Webhook(SECRET).verify(body, headers);
  } finally {
    Date.now = realNow;
  }
}

class Receiver {
  readonly received: Received[] = [];
  /** Requests that failed verification (must stay empty). */
  readonly failures: string[] = [];
  /** webhook-ids of requests whose connection the sender closed before it got an answer. */
  readonly abandoned: string[] = [];
  /** How to answer the n-th request (0-based). */
  respond: (r: Received, n: number) => Reply = () => ({ status: 200 });
  private readonly server: http.Server;
  url = '';

  constructor(private readonly clock: () => number) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const at = this.clock();
        try {
          verifyAt(at, body, headers);
        } catch (err) {
          this.failures.push(`${headers['webhook-id']}: ${(err as Error).message}`);
        }
        const r: Received = {
          webhookId: headers['webhook-id'] ?? '',
          timestamp: headers['webhook-timestamp'] ?? '',
          signature: headers['webhook-signature'] ?? '',
          contentType: headers['content-type'],
          method: req.method,
          body,
          at,
        };
        const reply = this.respond(r, this.received.length);
        this.received.push(r);
        res.on('close', () => {
          if (!res.writableEnded) this.abandoned.push(r.webhookId);
        });
        if (reply.hold) return;
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.status >= 200 && reply.status < 300 ? 'ok' : 'no');
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
        else send();
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/handoff`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** `p`, or a rejection naming the deadline if it has not settled within `ms` (a generous bound, not a timing). */
function withinDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves once `check()` holds (looked at on each turn of the event loop); fails after a generous deadline. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const state = (id: string): ConversationState =>
  newConversationState({ id, channel: 'widget', at: '2026-03-01T10:00:00.000Z' });

/** Creates the conversation if needed and queues `n` events for it in one turn. */
async function queueEvents(store: MemoryConversationStore, conversationId: string, n = 1): Promise<OutboxEvent[]> {
  if (!(await store.get(conversationId))) await store.create(state(conversationId));
  const before = (await store.events(conversationId)).length;
  await store.saveTurn(state(conversationId), [], {
    events: Array.from({ length: n }, (_, i) => ({
      type: 'handoff.requested' as const,
      data: { queue: 'returns', n: before + i + 1, text: 'écran « cassé » 💥' },
    })),
  });
  return (await store.events(conversationId)).slice(before);
}

let t = 0;
const now = () => new Date(t);
let store: MemoryConversationStore;
let rx: Receiver;
const logs: { level: 'warn' | 'error'; obj: object; msg: string }[] = [];
const log = {
  warn: (obj: object, msg: string) => logs.push({ level: 'warn', obj, msg }),
  error: (obj: object, msg: string) => logs.push({ level: 'error', obj, msg }),
};

const worker = (opts: Partial<DeliveryOptions> = {}) =>
  new DeliveryWorker(store, { url: rx.url, secret: SECRET, now, random: () => 0.5, timeoutMs: 2000, log, ...opts });

const eventById = async (e: OutboxEvent) => (await store.events(e.conversationId)).find((x) => x.id === e.id)!;

beforeEach(async () => {
  // Whole seconds (webhook-timestamp has second resolution), a little after the real time the events are created at.
  t = Math.ceil(Date.now() / 1000) * 1000 + 5000;
  store = new MemoryConversationStore();
  rx = await new Receiver(() => t).listen();
  logs.length = 0;
});

afterEach(async () => {
  await rx.close();
  expect(rx.failures).toEqual([]);
  // Nothing logged or stored ever carries the secret.
  const text = JSON.stringify(logs) + JSON.stringify(await store.listDead());
  expect(text).not.toContain(SECRET_KEY);
});

describe('DeliveryWorker', () => {
  test('retries exactly on the documented schedule, then dead-letters; a replay delivers the same id and body', async () => {
    rx.respond = () => ({ status: 500 });
    const w = worker();
    const [ev] = await queueEvents(store, 'conv-schedule');
    const t0 = t;
    const expectedTimes = [0];
    for (const d of DEFAULT_SCHEDULE) expectedTimes.push(expectedTimes.at(-1)! + d);

    for (let i = 0; i <= DEFAULT_SCHEDULE.length; i++) {
      expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1 });
      expect(rx.received).toHaveLength(i + 1);
      expect(rx.received[i]!.timestamp).toBe(String(t / 1000));
      const got = await eventById(ev!);
      if (i === DEFAULT_SCHEDULE.length) {
        expect(got).toMatchObject({
          status: 'dead',
          attempts: DEFAULT_SCHEDULE.length + 1,
          lastError: 'HTTP 500 Internal Server Error',
        });
        break;
      }
      expect(got).toMatchObject({ status: 'pending', attempts: i + 1, lastError: 'HTTP 500 Internal Server Error' });
      expect(got.nextAttemptAt).toBe(new Date(t + DEFAULT_SCHEDULE[i]!).toISOString());
      // One millisecond before the retry is due, nothing is sent.
      t += DEFAULT_SCHEDULE[i]! - 1;
      expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0 });
      expect(rx.received).toHaveLength(i + 1);
      t += 1;
    }
    expect(rx.received.map((r) => r.at - t0)).toEqual(expectedTimes);
    expect(rx.received).toHaveLength(DEFAULT_SCHEDULE.length + 1);
    expect((await store.listDead()).map((e) => e.id)).toEqual([ev!.id]);
    expect(await store.pendingCount()).toBe(0);
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(DEFAULT_SCHEDULE.length);
    expect(logs.filter((l) => l.level === 'error')).toHaveLength(1);

    // Dead: nothing more is sent, however long we wait.
    t += 24 * 3_600_000;
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0 });
    expect(rx.received).toHaveLength(DEFAULT_SCHEDULE.length + 1);

    // An operator replays it: same webhook-id, byte-identical body.
    rx.respond = () => ({ status: 204 });
    expect(await store.replay(ev!.id, now())).toBe(true);
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0 });
    expect(rx.received).toHaveLength(DEFAULT_SCHEDULE.length + 2);
    expect(new Set(rx.received.map((r) => r.webhookId))).toEqual(new Set([ev!.webhookId]));
    expect(new Set(rx.received.map((r) => r.body))).toEqual(new Set([ev!.body]));
    expect(await eventById(ev!)).toMatchObject({ status: 'delivered', deliveredAt: now().toISOString() });
    expect(await store.listDead()).toEqual([]);
  });

  test('sends the stored body with the signed headers, as a POST', async () => {
    const w = worker();
    const [ev] = await queueEvents(store, 'conv-headers');
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0 });
    expect(rx.received).toEqual([
      {
        webhookId: ev!.webhookId,
        timestamp: String(t / 1000),
        signature: expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
        contentType: 'application/json',
        method: 'POST',
        body: ev!.body,
        at: t,
      },
    ]);
    expect(JSON.parse(rx.received[0]!.body)).toMatchObject({
      type: 'handoff.requested',
      data: { conversationId: 'conv-headers', seq: 1, text: 'écran « cassé » 💥' },
    });
    expect(await eventById(ev!)).toMatchObject({ status: 'delivered', attempts: 0, deliveredAt: now().toISOString() });
    // Delivered: never sent again.
    t += 3_600_000;
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0 });
    expect(rx.received).toHaveLength(1);
  });

  test('jitter spreads the delay by ±jitter', async () => {
    rx.respond = () => ({ status: 500 });
    const [a] = await queueEvents(store, 'conv-jitter-low');
    await worker({ schedule: [10_000], random: () => 0 }).runOnce();
    expect((await eventById(a!)).nextAttemptAt).toBe(new Date(t + 8_000).toISOString());
    const [b] = await queueEvents(store, 'conv-jitter-high');
    await worker({ schedule: [10_000], random: () => 1 }).runOnce();
    expect((await eventById(b!)).nextAttemptAt).toBe(new Date(t + 12_000).toISOString());
    const [c] = await queueEvents(store, 'conv-jitter-none');
    await worker({ schedule: [10_000], jitter: 0, random: () => 0 }).runOnce();
    expect((await eventById(c!)).nextAttemptAt).toBe(new Date(t + 10_000).toISOString());
  });

  test('410 Gone disables the endpoint, leaves the event pending, and nothing is sent until it is re-enabled', async () => {
    rx.respond = () => ({ status: 410 });
    const w = worker();
    const [a] = await queueEvents(store, 'conv-gone-a');
    const [b] = await queueEvents(store, 'conv-gone-b');
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1 });
    expect(rx.received.map((r) => r.webhookId)).toEqual([a!.webhookId]); // b is not even tried
    expect(await store.getSetting(WEBHOOK_DISABLED_SETTING)).toBe(`${rx.url} (410 at ${now().toISOString()})`);
    expect(await eventById(a!)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: a!.nextAttemptAt });
    expect(await eventById(b!)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(logs).toEqual([
      {
        level: 'error',
        obj: expect.objectContaining({ status: 410, webhookId: a!.webhookId }),
        msg: expect.stringMatching(/410 Gone/),
      },
    ]);

    rx.respond = () => ({ status: 200 });
    for (const wait of [0, 60_000, 24 * 3_600_000]) {
      t += wait;
      expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0 });
      expect(await worker().runOnce()).toEqual({ delivered: 0, failed: 0 }); // another worker (instance) for the same URL too
    }
    expect(rx.received).toHaveLength(1);

    // A record for another URL (the endpoint was changed since) does not stop this one.
    await store.setSetting(WEBHOOK_DISABLED_SETTING, `http://127.0.0.1:1/old (410 at ${now().toISOString()})`);
    expect(await worker({ url: 'http://127.0.0.1:1/other' }).disabledSince()).toBeUndefined();
    await store.setSetting(WEBHOOK_DISABLED_SETTING, `${rx.url} (410 at ${now().toISOString()})`);
    expect(await w.disabledSince()).toMatch(/\(410 at /);

    await enableEndpoint(store);
    expect(await store.getSetting(WEBHOOK_DISABLED_SETTING)).toBeUndefined();
    expect(await w.runOnce()).toEqual({ delivered: 2, failed: 0 });
    expect(
      rx.received
        .slice(1)
        .map((r) => r.webhookId)
        .sort(),
    ).toEqual([a!.webhookId, b!.webhookId].sort());
    expect(await eventById(a!)).toMatchObject({ status: 'delivered', attempts: 0 });
  });

  test('429/503 with Retry-After: the next attempt waits for the longer of Retry-After and the schedule', async () => {
    const w = worker();
    rx.respond = () => ({ status: 429, headers: { 'retry-after': '120' } });
    const [a] = await queueEvents(store, 'conv-429');
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1 });
    const got = await eventById(a!);
    expect(Date.parse(got.nextAttemptAt)).toBeGreaterThanOrEqual(t + 120_000);
    expect(got).toMatchObject({
      attempts: 1,
      nextAttemptAt: new Date(t + 120_000).toISOString(),
      lastError: 'HTTP 429 Too Many Requests',
    });

    // As an HTTP date.
    rx.respond = () => ({ status: 503, headers: { 'retry-after': new Date(t + 300_000).toUTCString() } });
    const [b] = await queueEvents(store, 'conv-503-date');
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1 });
    expect(await eventById(b!)).toMatchObject({ attempts: 1, nextAttemptAt: new Date(t + 300_000).toISOString() });

    // Shorter than the schedule: the schedule wins.
    rx.respond = () => ({ status: 503, headers: { 'retry-after': '1' } });
    const [c] = await queueEvents(store, 'conv-503-short');
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1 });
    expect(await eventById(c!)).toMatchObject({
      attempts: 1,
      nextAttemptAt: new Date(t + DEFAULT_SCHEDULE[0]!).toISOString(),
    });

    // Retry-After on other statuses is ignored.
    rx.respond = () => ({ status: 500, headers: { 'retry-after': '3600' } });
    const [d] = await queueEvents(store, 'conv-500-retry-after');
    await w.runOnce();
    expect(await eventById(d!)).toMatchObject({
      attempts: 1,
      nextAttemptAt: new Date(t + DEFAULT_SCHEDULE[0]!).toISOString(),
    });
  });

  test('parseRetryAfter reads seconds and HTTP dates, and ignores garbage', () => {
    const at = new Date('2026-03-01T10:00:00.000Z');
    expect(parseRetryAfter('120', at)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', at)).toBe(0);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:05:00 GMT', at)).toBe(300_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', at)).toBe(0);
    expect(parseRetryAfter('soon', at)).toBeUndefined();
    expect(parseRetryAfter('-5', at)).toBeUndefined();
    expect(parseRetryAfter(null, at)).toBeUndefined();
    expect(parseRetryAfter('999999999', at)).toBe(86_400_000);
  });

  test('a 302 is not followed and counts as a failure', async () => {
    const target = await new Receiver(() => t).listen();
    try {
      rx.respond = () => ({ status: 302, headers: { location: target.url } });
      const [a] = await queueEvents(store, 'conv-redirect');
      expect(await worker().runOnce()).toEqual({ delivered: 0, failed: 1 });
      expect(rx.received).toHaveLength(1);
      expect(target.received).toEqual([]);
      expect(await eventById(a!)).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastError: expect.stringMatching(/^HTTP 302 .*redirects are not followed/),
      });
    } finally {
      await target.close();
    }
    expect(target.failures).toEqual([]);
  });

  test('a timeout counts as a failure', async () => {
    // The receiver never answers: only the worker's timeout ends the attempt, and the receiver sees it hang up.
    rx.respond = () => ({ status: 200, hold: true });
    const [a] = await queueEvents(store, 'conv-slow');
    expect(await withinDeadline(worker({ timeoutMs: 150 }).runOnce(), 10_000)).toEqual({ delivered: 0, failed: 1 });
    expect(rx.received).toHaveLength(1);
    await until(() => rx.abandoned.length === 1, 'the receiver seeing the connection closed');
    expect(rx.abandoned).toEqual([a!.webhookId]);
    expect(await eventById(a!)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'timeout after 150 ms',
      nextAttemptAt: new Date(t + 5_000).toISOString(),
    });
  });

  test('a network error counts as a failure', async () => {
    const closed = await new Receiver(() => t).listen();
    await closed.close(); // nothing listens on that port any more
    const [a] = await queueEvents(store, 'conv-refused');
    expect(await worker({ url: closed.url }).runOnce()).toEqual({ delivered: 0, failed: 1 });
    expect(await eventById(a!)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: expect.stringMatching(/^network error: .*ECONNREFUSED/),
    });
    expect(logs).toEqual([
      {
        level: 'warn',
        obj: expect.objectContaining({ attempts: 1, webhookId: a!.webhookId }),
        msg: expect.stringMatching(/will retry/),
      },
    ]);
  });

  test('events of a conversation go out in seq order; other conversations are not blocked', async () => {
    const firstSeq1 = new Set<string>();
    rx.respond = (r) => {
      const { data } = JSON.parse(r.body) as { data: { conversationId: string; seq: number } };
      if (data.conversationId === 'conv-order-a' && data.seq === 1 && !firstSeq1.has(r.webhookId)) {
        firstSeq1.add(r.webhookId);
        return { status: 500 };
      }
      return { status: 200 };
    };
    const w = worker();
    const evA = await queueEvents(store, 'conv-order-a', 3);
    const [b1] = await queueEvents(store, 'conv-order-b');
    const [c1, c2] = await queueEvents(store, 'conv-order-c', 2);
    expect(evA.map((e) => e.seq)).toEqual([1, 2, 3]);

    const sent = () => rx.received.map((r) => r.webhookId);
    expect(await w.runOnce()).toEqual({ delivered: 2, failed: 1 }); // a1 fails, b1 and c1 go
    expect(sent()).toEqual([evA[0]!.webhookId, b1!.webhookId, c1!.webhookId]);
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0 }); // c2; a2 waits for a1
    expect(sent().slice(3)).toEqual([c2!.webhookId]);
    t += DEFAULT_SCHEDULE[0]! - 1;
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0 });
    t += 1;
    for (const e of evA) {
      expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0 });
      expect(sent().at(-1)).toBe(e.webhookId);
    }
    const forA = rx.received.filter((r) => r.body.includes('"conversationId":"conv-order-a"'));
    expect(forA.map((r) => (JSON.parse(r.body) as { data: { seq: number } }).data.seq)).toEqual([1, 1, 2, 3]);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0 });
    expect(await store.pendingCount()).toBe(0);
  });

  test('a batch never holds two events of one conversation, and respects the batch size', async () => {
    const evs = await queueEvents(store, 'conv-batch-a', 2);
    for (let i = 0; i < 5; i++) await queueEvents(store, `conv-batch-${i}`);
    const w = worker({ batch: 3 });
    expect(await w.runOnce()).toEqual({ delivered: 3, failed: 0 });
    expect(rx.received[0]!.webhookId).toBe(evs[0]!.webhookId);
    expect(await w.runOnce()).toEqual({ delivered: 3, failed: 0 });
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0 });
    expect(await store.pendingCount()).toBe(0);
    const ids = rx.received.map((r) => r.webhookId);
    expect(ids.indexOf(evs[1]!.webhookId)).toBeGreaterThan(ids.indexOf(evs[0]!.webhookId));
    expect(new Set(ids).size).toBe(7);
  });

  test('a receiver that fails after having received the request gets the same webhook-id and body on the retry', async () => {
    const seen = new Map<string, number>();
    rx.respond = (r) => {
      const n = (seen.get(r.webhookId) ?? 0) + 1;
      seen.set(r.webhookId, n);
      return { status: n === 1 ? 500 : 200 }; // processed, then crashed before answering 2xx
    };
    const [a] = await queueEvents(store, 'conv-dup');
    const w = worker();
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1 });
    t += DEFAULT_SCHEDULE[0]!;
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0 });
    expect(rx.received).toHaveLength(2);
    const [first, second] = rx.received;
    expect(second!.webhookId).toBe(first!.webhookId);
    expect(second!.webhookId).toBe(a!.webhookId);
    expect(Buffer.from(second!.body).equals(Buffer.from(first!.body))).toBe(true);
    expect(second!.body).toBe(a!.body);
    // New timestamp, so a new signature; both verified by the receiver.
    expect(Number(second!.timestamp) - Number(first!.timestamp)).toBe(DEFAULT_SCHEDULE[0]! / 1000);
    expect(second!.signature).not.toBe(first!.signature);
  });

  test("a sender's worker claims only its target's events, keeps their order, retries and dead-letters them", async () => {
    const c = 'conv-target';
    await store.create(state(c));
    await store.saveTurn(state(c), [], {
      events: [
        { type: 'handoff.requested', data: { n: 1 } },
        { type: 'handoff.requested', data: { n: 1 }, target: 'chatwoot' },
        { type: 'conversation.message', data: { n: 2 }, target: 'chatwoot' },
      ],
    });
    const sent: number[] = [];
    let fail: string | undefined = 'HTTP 502 Bad Gateway';
    const sender = {
      endpoint: 'chatwoot http://127.0.0.1:1',
      send: async (e: OutboxEvent) => {
        sent.push(e.seq);
        if (fail === 'throw') throw new Error('socket hang up');
        return fail ? { ok: false as const, gone: false, error: fail, status: 502 } : { ok: true as const };
      },
    };
    const w = new DeliveryWorker(store, {
      target: 'chatwoot',
      sender,
      now,
      log,
      schedule: [1000],
      jitter: 0,
    });
    expect(w.enabled).toBe(true);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1 });
    expect(sent).toEqual([2]); // the webhook's event 1 is not this worker's
    expect((await store.events(c))[1]).toMatchObject({ status: 'pending', attempts: 1, lastError: fail });
    t += 1000;
    fail = 'throw'; // a sender that throws is a failed attempt, not a stopped worker
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 1 });
    expect((await store.events(c))[1]).toMatchObject({ status: 'dead', lastError: 'socket hang up' });
    expect(logs.at(-1)).toMatchObject({ level: 'error', obj: { target: 'chatwoot', attempts: 2 } });
    fail = undefined;
    expect(await w.runOnce()).toEqual({ delivered: 1, failed: 0 });
    expect(sent).toEqual([2, 2, 3]);
    expect((await store.events(c)).map((e) => [e.target, e.status])).toEqual([
      ['webhook', 'pending'],
      ['chatwoot', 'dead'],
      ['chatwoot', 'delivered'],
    ]);
    expect(() => new DeliveryWorker(store, { target: 'email', secret: '' })).toThrow(ConfigError);
    expect(() => new DeliveryWorker(store, { url: rx.url, secret: SECRET, sender })).toThrow(/target "webhook"/);
  });

  test('without a URL the worker does nothing and handoffs stay queued', async () => {
    const fetchSpy = jest.fn<ReturnType<typeof fetch>, Parameters<typeof fetch>>();
    await queueEvents(store, 'conv-no-url');
    const w = new DeliveryWorker(store, { url: undefined, secret: '', now, fetch: fetchSpy, log });
    expect(w.enabled).toBe(false);
    expect(await w.runOnce()).toEqual({ delivered: 0, failed: 0 });
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(await store.pendingCount()).toBe(1);
    // Not claimed either: a worker with a URL delivers it at once.
    expect(await worker().runOnce()).toEqual({ delivered: 1, failed: 0 });
  });

  test('configuration errors never echo the secret', () => {
    expect(() => new DeliveryWorker(store, { url: 'http://127.0.0.1/x', secret: '' })).toThrow(ConfigError);
    const bad = 'whsec_not base64 at all, my-password!';
    let err: unknown;
    try {
      new DeliveryWorker(store, { url: 'http://127.0.0.1/x', secret: bad });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain('my-password');
    expect(() => new DeliveryWorker(store, { url: 'ftp://127.0.0.1/x', secret: SECRET })).toThrow(/http/);
    expect(
      () =>
        new DeliveryWorker(store, { url: 'http://127.0.0.1/x', secret: SECRET, timeoutMs: 60_000, leaseMs: 60_000 }),
    ).toThrow(/lease/);
  });

  test('start() delivers in the background; stop() waits for the run and nothing runs afterwards', async () => {
    // The loop's timers are fake (the test moves them); the requests are real. Each request is held by the test
    // until it lets it go, so that stop() is called with a run in progress.
    jest.useFakeTimers({ doNotFake: ['Date', 'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate'] });
    try {
      let inside = 0;
      let maxInside = 0;
      const held: (() => void)[] = [];
      const counting: typeof fetch = async (input, init) => {
        maxInside = Math.max(maxInside, ++inside);
        try {
          await new Promise<void>((release) => held.push(release));
          return await fetch(input, init);
        } finally {
          inside--;
        }
      };
      const w = worker({ fetch: counting });
      await queueEvents(store, 'conv-loop-1');
      w.start(1000);
      w.start(1000); // idempotent: one loop
      await jest.advanceTimersByTimeAsync(0);
      await until(() => held.length === 1, 'the first request');
      held.shift()!();
      await until(() => rx.received.length === 1, 'the first delivery');
      await until(async () => (await store.pendingCount()) === 0, 'the first event marked delivered');

      // The next run, one interval later, takes the two new events; stop() is called while its request is held.
      await queueEvents(store, 'conv-loop-2');
      await queueEvents(store, 'conv-loop-3');
      await jest.advanceTimersByTimeAsync(1000);
      await until(() => held.length === 1, "the second run's request");
      let stopped = false;
      const stopping = w.stop().then(() => (stopped = true));
      await new Promise((r) => setImmediate(r));
      expect(stopped).toBe(false); // waiting for the run in progress
      // Let the held requests go, one at a time as the run makes them, until stop() returns.
      await until(() => {
        held.shift()?.();
        return stopped;
      }, 'stop() to return once the run is over');
      await stopping;
      // The run had finished when stop() returned: both events delivered and marked.
      expect(rx.received).toHaveLength(3);
      expect(await store.pendingCount()).toBe(0);

      // Stopped: no timer left, and however far the clock moves, nothing is attempted.
      expect(jest.getTimerCount()).toBe(0);
      await queueEvents(store, 'conv-loop-4');
      await jest.advanceTimersByTimeAsync(24 * 3_600_000);
      expect(held).toHaveLength(0);
      expect(rx.received).toHaveLength(3);
      expect(await store.pendingCount()).toBe(1);
      expect(maxInside).toBe(1);
      await w.stop(); // harmless twice
    } finally {
      jest.useRealTimers();
    }
  });
});
