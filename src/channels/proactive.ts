import type { MessageRecord } from '../domain/conversation';
import { queueToldKey } from '../domain/settings';
import type { Reply } from '../domain/types';
import type { Engine, MessageOrigin, QueueStatus } from '../engine/engine';
import type { OutboxStore } from '../storage/ports';
import type { ProactiveTarget } from './channel';
import { placeAndWait, QueueTold } from './queue';

export interface ProactiveDeps {
  engine: Pick<Engine, 'events' | 'queueStatus'>;
  target: ProactiveTarget;
  /** Shortest time between two queue updates to one customer. */
  queueUpdateMs: number;
  /** The channel's name in log lines ("proactive Bot Framework message not delivered"). */
  label: string;
  log: { warn(obj: object, msg: string): void };
  now: () => Date;
  /**
   * Where every instance sees what each customer was last told about the queue, and when (the settings table):
   * with several instances, one update per change and per queueUpdateMs in all. Absent: this process only.
   */
  shared?: Pick<OutboxStore, 'getSetting' | 'setSetting' | 'swapSetting'>;
}

/** What a customer was last told about the queue (placeAndWait) and when (ms), as stored in the shared setting. */
interface Told {
  what: string;
  at: number;
}

const toldKey = queueToldKey;

function parseTold(v: string | undefined): Told | undefined {
  if (!v) return undefined;
  try {
    const t = JSON.parse(v) as Partial<Told>;
    return typeof t.what === 'string' && typeof t.at === 'number' ? { what: t.what, at: t.at } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Proactive delivery for channels that write to customers themselves: listens to the engine, sends agents'
 * messages and typing to the target in order per conversation, and tells waiting customers their new place in the
 * queue, at most once per queueUpdateMs each. Only customers told their place in one of the channel's turns
 * (noteTurn) are watched.
 */
export class ProactiveDelivery {
  /** Proactive sends, in order per conversation. */
  private readonly outgoing = new Map<string, Promise<void>>();
  /** Customers waiting for a person: the queue status they were last told, and when. */
  private readonly waiting = new QueueTold(placeAndWait);
  private queueCheck: Promise<void> = Promise.resolve();
  private queueCheckPending = false;
  private queueTimer: NodeJS.Timeout | undefined;
  private queuePoll: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly deps: ProactiveDeps) {}

  /** Listen to the engine: agents' messages and typing, queue changes. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.deps.engine.events.on('message', this.onEngineMessage);
    this.deps.engine.events.on('typing', this.onEngineTyping);
    // Queue moves caused on other instances come through the store's change feed (PostgreSQL).
    this.deps.engine.events.on('remote', this.onRemote);
    // Without a change feed they emit nothing here: look again now and then.
    this.queuePoll = setInterval(() => this.scheduleQueueCheck(), Math.max(this.deps.queueUpdateMs, 10_000));
    this.queuePoll.unref();
  }

  /** Stop listening and wait for the sends under way. */
  async stop(): Promise<void> {
    this.started = false;
    this.deps.engine.events.off('message', this.onEngineMessage);
    this.deps.engine.events.off('typing', this.onEngineTyping);
    this.deps.engine.events.off('remote', this.onRemote);
    clearTimeout(this.queueTimer);
    clearInterval(this.queuePoll);
    await this.idle();
  }

  /** Wait for the queue checks and proactive sends under way (shutdown, tests). */
  async idle(): Promise<void> {
    await this.queueCheck;
    await Promise.allSettled([...this.outgoing.values()]);
  }

  /** Remember what a customer was told about the queue in their turn (the baseline for later updates). */
  async noteTurn(conversationId: string, replies: Reply[]): Promise<void> {
    if (!replies.some((r) => r.source.kind === 'handoff' && r.source.id === 'queue')) return;
    const st = await this.deps.engine.queueStatus(conversationId);
    const now = this.deps.now().getTime();
    if (st?.status === 'queued') {
      this.waiting.note(conversationId, st, now);
      // The turn told it: no instance repeats it as an update.
      await this.deps.shared?.setSetting(toldKey(conversationId), JSON.stringify({ what: placeAndWait(st), at: now }));
    } else this.waiting.forget(conversationId);
  }

  private readonly onRemote = (_conversationId: string, typing?: string) => {
    if (typing === undefined) this.scheduleQueueCheck();
  };

  /**
   * Whether this instance tells `st` now, decided with the other instances (compare-and-set of the shared
   * setting): false when another one told it already, or told something less than queueUpdateMs ago (then
   * `waitMs` says when to look again).
   */
  private async claimUpdate(
    conversationId: string,
    st: QueueStatus,
    now: number,
  ): Promise<{ tell: boolean; waitMs?: number }> {
    const shared = this.deps.shared;
    if (!shared) return { tell: true };
    const key = toldKey(conversationId);
    const stored = await shared.getSetting(key);
    const told = parseTold(stored);
    const what = placeAndWait(st);
    if (told?.what === what) {
      this.waiting.note(conversationId, st, told.at);
      return { tell: false };
    }
    const due = (told?.at ?? 0) + this.deps.queueUpdateMs;
    if (now < due) return { tell: false, waitMs: due - now };
    return { tell: await shared.swapSetting(key, stored, JSON.stringify({ what, at: now })) };
  }

  private readonly onEngineMessage = (conversationId: string, records: MessageRecord[], origin: MessageOrigin) => {
    // The customer's own turn was answered in the turn; agents' events and the bot's own (the email offer) reach
    // the customer only this way.
    if (origin !== 'turn') this.enqueue(conversationId, () => this.deps.target.messages(conversationId, records));
    // Any join, cancellation or completion may move the others in the queue.
    this.scheduleQueueCheck();
  };

  private readonly onEngineTyping = (conversationId: string, agentName: string) => {
    this.enqueue(conversationId, () => this.deps.target.typing(conversationId, agentName));
  };

  private enqueue(conversationId: string, job: () => Promise<void>): void {
    const previous = this.outgoing.get(conversationId) ?? Promise.resolve();
    const next = previous
      .then(job)
      .catch((err: unknown) =>
        this.deps.log.warn({ err, conversationId }, `proactive ${this.deps.label} message not delivered`),
      );
    this.outgoing.set(conversationId, next);
    void next.finally(() => this.outgoing.get(conversationId) === next && this.outgoing.delete(conversationId));
  }

  private scheduleQueueCheck(): void {
    if (this.queueCheckPending || !this.waiting.size) return;
    this.queueCheckPending = true;
    this.queueCheck = this.queueCheck.then(async () => {
      this.queueCheckPending = false;
      await this.checkQueue().catch((err: unknown) => this.deps.log.warn({ err }, 'queue updates failed'));
    });
  }

  /** Tell waiting customers whose place or estimated wait changed, at most once per queueUpdateMs each. */
  private async checkQueue(): Promise<void> {
    let soonest = Infinity;
    for (const conversationId of this.waiting.conversations()) {
      const st = await this.deps.engine.queueStatus(conversationId);
      if (!st || st.status !== 'queued') {
        this.waiting.forget(conversationId);
        continue;
      }
      if (!this.waiting.changed(conversationId, st)) continue;
      const due = (this.waiting.toldAt(conversationId) ?? 0) + this.deps.queueUpdateMs;
      const now = this.deps.now().getTime();
      if (now < due) {
        soonest = Math.min(soonest, due - now);
        continue;
      }
      const claim = await this.claimUpdate(conversationId, st, now);
      if (claim.waitMs !== undefined) soonest = Math.min(soonest, claim.waitMs);
      if (!claim.tell) continue;
      this.waiting.note(conversationId, st, now);
      this.enqueue(conversationId, () => this.deps.target.queue(conversationId));
    }
    if (soonest < Infinity && this.started) {
      clearTimeout(this.queueTimer);
      this.queueTimer = setTimeout(() => this.scheduleQueueCheck(), soonest);
      this.queueTimer.unref();
    }
  }
}
