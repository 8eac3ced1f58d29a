import { DeliveryWorker } from '../../src/handoff/delivery';
import { Metrics } from '../../src/metrics/metrics';
import { newConversationState } from '../../src/domain/conversation';
import { MemoryConversationStore } from '../../src/storage/memory';

const SECRET = `whsec_${Buffer.from('metrics-test secret, 32 bytes!!!').toString('base64')}`;

/** Value of one sample of the registry's text output (0 when absent). */
async function sample(m: Metrics, line: string): Promise<number> {
  const text = (await m.scrape()).body;
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

test('delivery outcomes are counted by kind: delivered, retry, dead, gone', async () => {
  const store = new MemoryConversationStore();
  const metrics = new Metrics(store, { defaultMetrics: false });
  for (const id of ['a', 'b', 'c']) {
    const s = newConversationState({ id, channel: 'widget', at: '2026-11-02T10:00:00.000Z' });
    await store.create(s);
    await store.saveTurn(s, [], { events: [{ type: 'csat.received', data: { score: 5 } }] });
  }
  // a: 500 then dead (a schedule of one retry); b: delivered; c: 410 Gone (delivery stops).
  const answers: Record<string, number[]> = { a: [500, 500], b: [200], c: [410] };
  let t = Date.now() + 1000; // the memory store stamps events with the real clock
  const worker = new DeliveryWorker(store, {
    url: 'http://127.0.0.1:9/hooks',
    secret: SECRET,
    schedule: [1000],
    jitter: 0,
    now: () => new Date(t),
    log: { warn: () => {}, error: () => {} },
    observer: metrics.deliveryObserver(),
    fetch: async (_url, init) =>
      new Response(null, { status: answers[JSON.parse(String(init?.body)).data.conversationId]!.shift()! }),
  });
  expect(await worker.runOnce()).toEqual({ delivered: 1, failed: 2 }); // a 500, b 200, c 410
  await store.setSetting('webhook.disabled', null); // the operator re-enables the endpoint
  t += 2000;
  answers.c = [200];
  expect(await worker.runOnce()).toEqual({ delivered: 1, failed: 1 }); // a dead, c delivered
  expect(await sample(metrics, 'savbot_webhook_deliveries_total')).toBe(2);
  expect(await sample(metrics, 'savbot_webhook_failures_total{kind="retry"}')).toBe(1);
  expect(await sample(metrics, 'savbot_webhook_failures_total{kind="dead"}')).toBe(1);
  expect(await sample(metrics, 'savbot_webhook_failures_total{kind="gone"}')).toBe(1);
  expect(await sample(metrics, 'savbot_webhook_pending')).toBe(0);
});

test('each Metrics has its own registry (two apps in one process do not share counters)', async () => {
  const store = new MemoryConversationStore();
  const one = new Metrics(store, { defaultMetrics: false });
  const two = new Metrics(store, { defaultMetrics: false });
  one.engineObserver().received?.('widget');
  expect(await sample(one, 'savbot_messages_total{channel="widget"}')).toBe(1);
  expect(await sample(two, 'savbot_messages_total{channel="widget"}')).toBe(0);
});
