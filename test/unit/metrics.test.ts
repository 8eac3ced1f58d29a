/**
 * Delivery metrics counted from real deliveries: the real DeliveryWorker posting with the global fetch to real HTTP
 * receivers on loopback (one answering 500 until the event is dead, one 410 Gone, one 200), read back from the
 * Metrics registry; then the same through the app built by buildApp and its GET /metrics over loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { DeliveryWorker } from '../../src/handoff/delivery';
import { Metrics } from '../../src/metrics/metrics';
import { newConversationState } from '../../src/domain/conversation';
import { MemoryConversationStore } from '../../src/storage/memory';
import { listenOnLoopback } from '../support/processes';

const ROOT = resolve(__dirname, '..', '..');
const SECRET = `whsec_${Buffer.from('metrics-test secret, 32 bytes!!!').toString('base64')}`;

/** Value of one sample of a Prometheus text (0 when absent). */
function sampleOf(text: string, line: string): number {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}
const sample = async (m: Metrics, line: string) => sampleOf((await m.scrape()).body, line);

/** A webhook receiver on loopback that answers `status(conversationId)` and records what it got. */
async function receiver(status: (conversationId: string) => number) {
  const got: { conversationId: string; webhookId: string; status: number }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { conversationId } = (
        JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { conversationId: string } }
      ).data;
      const s = status(conversationId);
      got.push({ conversationId, webhookId: String(req.headers['webhook-id']), status: s });
      res.writeHead(s).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    got,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

test('delivery outcomes from real deliveries are counted by kind: delivered, retry, dead, gone', async () => {
  const store = new MemoryConversationStore();
  const metrics = new Metrics(store, { defaultMetrics: false });
  const queue = async (id: string) => {
    const s = newConversationState({ id, channel: 'widget', at: '2026-11-02T10:00:00.000Z' });
    await store.create(s);
    await store.saveTurn(s, [], { events: [{ type: 'handoff.requested', data: { queue: 'general' } }] });
  };
  const failing = await receiver(() => 500);
  const gone = await receiver(() => 410);
  const ok = await receiver(() => 200);
  let t = Date.now() + 1000; // the memory store stamps events with the real clock
  const worker = (url: string) =>
    new DeliveryWorker(store, {
      url,
      secret: SECRET,
      schedule: [1000], // one retry, then dead
      jitter: 0,
      now: () => new Date(t),
      log: { warn: () => {}, error: () => {} },
      observer: metrics.deliveryObserver(),
    });
  try {
    await queue('a');
    expect(await worker(failing.url).runOnce()).toEqual({ delivered: 0, failed: 1 }); // retry
    t += 1000;
    expect(await worker(failing.url).runOnce()).toEqual({ delivered: 0, failed: 1 }); // dead
    await queue('b');
    expect(await worker(ok.url).runOnce()).toEqual({ delivered: 1, failed: 0 });
    await queue('c');
    expect(await worker(gone.url).runOnce()).toEqual({ delivered: 0, failed: 1 }); // gone: delivery stops

    // What the receivers really got: a's two attempts (same webhook-id), b once, c once.
    expect(failing.got.map((g) => [g.conversationId, g.status])).toEqual([
      ['a', 500],
      ['a', 500],
    ]);
    expect(new Set(failing.got.map((g) => g.webhookId)).size).toBe(1);
    expect(ok.got.map((g) => [g.conversationId, g.status])).toEqual([['b', 200]]);
    expect(gone.got.map((g) => [g.conversationId, g.status])).toEqual([['c', 410]]);
    expect((await store.listDead()).map((e) => e.conversationId)).toEqual(['a']);

    expect(await sample(metrics, 'savbot_webhook_deliveries_total')).toBe(1);
    expect(await sample(metrics, 'savbot_webhook_failures_total{kind="retry"}')).toBe(1);
    expect(await sample(metrics, 'savbot_webhook_failures_total{kind="dead"}')).toBe(1);
    expect(await sample(metrics, 'savbot_webhook_failures_total{kind="gone"}')).toBe(1);
    expect(await sample(metrics, 'savbot_webhook_pending')).toBe(1); // c waits for the endpoint to be re-enabled
    // The same figures under the outbox's counters, by target.
    expect(await sample(metrics, 'savbot_outbox_deliveries_total{target="webhook"}')).toBe(1);
    expect(await sample(metrics, 'savbot_outbox_failures_total{target="webhook",kind="retry"}')).toBe(1);
    expect(await sample(metrics, 'savbot_outbox_failures_total{target="webhook",kind="dead"}')).toBe(1);
    expect(await sample(metrics, 'savbot_outbox_failures_total{target="webhook",kind="gone"}')).toBe(1);
  } finally {
    await Promise.all([failing.close(), gone.close(), ok.close()]);
  }
});

test('the app counts its own deliveries on GET /metrics: a handoff retried then dead, another gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-metrics-'));
  // The agents' endpoint fails the first customer's events for good and answers 410 to the second's.
  const answers = new Map<string, number>();
  const rx = await receiver((id) => answers.get(id) ?? 200);
  const app = await buildApp(
    loadConfig({
      LOG_LEVEL: 'silent',
      KB_DIR: join(ROOT, 'knowledge-base'),
      DIALOGS_DIR: join(ROOT, 'dialogs'),
      SQLITE_FILE: join(dir, 'bot.db'),
      HANDOFF_WEBHOOK_URL: rx.url,
      HANDOFF_WEBHOOK_SECRET: SECRET,
      HANDOFF_RETRY_SCHEDULE_MS: '1', // one retry, 1 ms later, then dead
    }),
  );
  const server = await listenOnLoopback(app.http);
  const scrape = async () => (await fetch(`${server.base}/metrics`)).text();
  /** A customer of the widget API asking for a person: their handoff.requested is in the outbox. */
  const handoff = async (): Promise<string> => {
    const res = await fetch(`${server.base}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lang: 'fr' }),
    });
    const c = (await res.json()) as { conversationId: string; token: string };
    const said = await fetch(`${server.base}/api/conversations/${c.conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
      body: JSON.stringify({ text: 'je veux parler à un conseiller' }),
    });
    expect(said.status).toBe(200);
    expect((await app.store.events(c.conversationId)).map((e) => e.type)).toEqual(['handoff.requested']);
    return c.conversationId;
  };
  try {
    const before = await scrape();
    const moved = (after: string, line: string) => sampleOf(after, line) - sampleOf(before, line);

    const dead = await handoff();
    answers.set(dead, 500);
    expect(await app.delivery.runOnce()).toEqual({ delivered: 0, failed: 1 });
    // Wait for the retry to be due (the time the store gives it), then the last attempt.
    const [retry] = await app.store.events(dead);
    expect(retry).toMatchObject({ status: 'pending', attempts: 1 });
    const deadline = Date.now() + 10_000;
    while (Date.now() <= Date.parse(retry!.nextAttemptAt) && Date.now() < deadline)
      await new Promise((r) => setImmediate(r));
    expect(await app.delivery.runOnce()).toEqual({ delivered: 0, failed: 1 });
    expect((await app.store.listDead()).map((e) => e.conversationId)).toEqual([dead]);

    const gone = await handoff();
    answers.set(gone, 410);
    expect(await app.delivery.runOnce()).toEqual({ delivered: 0, failed: 1 });
    expect(rx.got.map((g) => [g.conversationId, g.status])).toEqual([
      [dead, 500],
      [dead, 500],
      [gone, 410],
    ]);

    const after = await scrape();
    expect(moved(after, 'savbot_webhook_failures_total{kind="retry"}')).toBe(1);
    expect(moved(after, 'savbot_webhook_failures_total{kind="dead"}')).toBe(1);
    expect(moved(after, 'savbot_webhook_failures_total{kind="gone"}')).toBe(1);
    expect(moved(after, 'savbot_webhook_deliveries_total')).toBe(0);
    expect(sampleOf(after, 'savbot_webhook_pending')).toBe(1); // the second one waits for the endpoint
  } finally {
    await server.close();
    await app.gateway.stop();
    await app.store.close();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each Metrics has its own registry (two apps in one process do not share counters)', async () => {
  const store = new MemoryConversationStore();
  const one = new Metrics(store, { defaultMetrics: false });
  const two = new Metrics(store, { defaultMetrics: false });
  one.engineObserver().received?.('widget');
  expect(await sample(one, 'savbot_messages_total{channel="widget"}')).toBe(1);
  expect(await sample(two, 'savbot_messages_total{channel="widget"}')).toBe(0);
});
