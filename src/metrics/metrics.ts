import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineObserver } from '../engine/engine';
import type { DeliveryObserver } from '../handoff/delivery';
import type { InsightsStore, OutboxStore } from '../storage/ports';

/**
 * Prometheus metrics on a registry of their own (never prom-client's global one: two apps in one process, as in
 * tests, must not share counters). The engine and the delivery worker report through observer interfaces they
 * define, so that neither depends on prom-client; queue gauges are read from the store at each scrape.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly messages: Counter<'channel'>;
  private readonly replies: Counter<'kind'>;
  private readonly matchSeconds: Histogram;
  private readonly handoffs: Counter<'reason' | 'queue'>;
  private readonly deliveries: Counter;
  private readonly failures: Counter<'kind'>;
  private readonly outboxDelivered: Counter<'target'>;
  private readonly outboxFailed: Counter<'target' | 'kind'>;
  private readonly votes: Counter<'vote' | 'entry'>;

  constructor(
    store: Pick<InsightsStore, 'queuedHandoffs'> & Pick<OutboxStore, 'pendingCount'>,
    opts: { defaultMetrics?: boolean } = {},
  ) {
    const registers = [this.registry];
    this.messages = new Counter({
      name: 'savbot_messages_total',
      help: 'Customer messages received, by channel',
      labelNames: ['channel'],
      registers,
    });
    this.replies = new Counter({
      name: 'savbot_replies_total',
      help: 'Messages sent to customers (bot replies, join notices, agent messages), by source kind',
      labelNames: ['kind'],
      registers,
    });
    this.matchSeconds = new Histogram({
      name: 'savbot_match_duration_seconds',
      help: 'Time to match one message against the knowledge base',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    this.handoffs = new Counter({
      name: 'savbot_handoffs_total',
      help: 'Handoffs to people requested, by reason and queue',
      labelNames: ['reason', 'queue'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'savbot_webhook_deliveries_total',
      help: 'Handoff webhook events delivered (2xx)',
      registers,
    });
    this.failures = new Counter({
      name: 'savbot_webhook_failures_total',
      help: 'Failed handoff webhook attempts: retry (will be tried again), dead (last attempt), gone (410, endpoint disabled)',
      labelNames: ['kind'],
      registers,
    });
    // Every outbox target apart (webhook, chatwoot, email); the two webhook-only counters above keep their meaning.
    this.outboxDelivered = new Counter({
      name: 'savbot_outbox_deliveries_total',
      help: 'Outbox events delivered, by target (webhook, chatwoot, email)',
      labelNames: ['target'],
      registers,
    });
    this.outboxFailed = new Counter({
      name: 'savbot_outbox_failures_total',
      help: 'Failed outbox delivery attempts, by target and kind (retry, dead, gone)',
      labelNames: ['target', 'kind'],
      registers,
    });
    this.votes = new Counter({
      name: 'savbot_feedback_total',
      help: 'Votes under answers ("was this helpful?"), by vote (up, down) and knowledge-base entry',
      labelNames: ['vote', 'entry'],
      registers,
    });
    new Gauge({
      name: 'savbot_handoff_queue_length',
      help: 'Conversations waiting for a person, by queue',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        for (const [queue, n] of Object.entries(await store.queuedHandoffs())) this.set({ queue }, n ?? 0);
      },
    });
    new Gauge({
      name: 'savbot_webhook_pending',
      help: 'Handoff webhook events waiting to be delivered (the outbox)',
      registers,
      async collect() {
        this.set(await store.pendingCount());
      },
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'savbot_' });
  }

  engineObserver(): EngineObserver {
    return {
      received: (channel) => this.messages.inc({ channel }),
      replied: (kind) => this.replies.inc({ kind }),
      matched: (seconds) => this.matchSeconds.observe(seconds),
      handoff: (reason, queue) => this.handoffs.inc({ reason, queue }),
      feedback: (vote, entry) => this.votes.inc({ vote, entry }),
    };
  }

  /** For every delivery worker (webhook, Chatwoot, mail): each event counted under its own target. */
  deliveryObserver(): DeliveryObserver {
    return {
      delivered: (e) => {
        this.outboxDelivered.inc({ target: e.target });
        if (e.target === 'webhook') this.deliveries.inc();
      },
      failed: (e, o) => {
        const kind = o.gone ? 'gone' : o.dead ? 'dead' : 'retry';
        this.outboxFailed.inc({ target: e.target, kind });
        if (e.target === 'webhook') this.failures.inc({ kind });
      },
    };
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
