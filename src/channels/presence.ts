import { presenceKey } from '../domain/handoff';
import type { OutboxStore } from '../storage/ports';

/** What the shared record says: whether a live stream was open when it was written, and when (ms). */
interface Seen {
  open: boolean;
  at: number;
}

function parseSeen(raw: string | undefined): Seen | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<Seen>;
    return typeof v.open === 'boolean' && typeof v.at === 'number' ? { open: v.open, at: v.at } : undefined;
  } catch {
    return undefined;
  }
}

/** Told by StreamLimits when a stream of a conversation opens and closes. */
export interface StreamWatcher {
  opened(conversationId: string): void;
  closed(conversationId: string): void;
}

export interface PresenceOptions {
  /** How often the record of a conversation with a stream open here is rewritten (the bound on its writes). */
  refreshMs?: number;
  now?: () => number;
  log?: { warn(obj: object, msg: string): void };
}

/** Rewritten every 3 s while open: "open" records older than twice that (plus a second) are an instance gone. */
const REFRESH_MS = 3_000;

/**
 * Whether a customer is reading live, for every instance (the mail worker of one instance must not mail a reply the
 * customer read on a stream another instance holds): the setting `presence:<conversationId>` holds
 * `{"open":bool,"at":ms}`, written when a stream opens (unless written less than refreshMs ago), every refreshMs
 * while one stays open, and when the last one here closes. No write per message; the agents' desk streams
 * (keys `desk:...`) are not customers and are not recorded.
 */
export class SharedPresence implements StreamWatcher {
  private readonly refreshMs: number;
  private readonly now: () => number;
  /** Open streams here per conversation, and when each one's "open" record was last written (ms). */
  private readonly openHere = new Map<string, { streams: number; writtenAt: number }>();
  /** Writes of one conversation in order (an open written after its close would say it is still open). */
  private readonly writes = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<OutboxStore, 'getSetting' | 'setSetting'>,
    private readonly o: PresenceOptions = {},
  ) {
    this.refreshMs = o.refreshMs ?? REFRESH_MS;
    this.now = o.now ?? Date.now;
  }

  opened(conversationId: string): void {
    if (conversationId.startsWith('desk:')) return;
    const now = this.now();
    const here = this.openHere.get(conversationId);
    if (here) here.streams++;
    else this.openHere.set(conversationId, { streams: 1, writtenAt: -Infinity });
    const h = this.openHere.get(conversationId)!;
    if (now - h.writtenAt >= this.refreshMs) this.write(conversationId, true, now);
    if (!this.timer) {
      this.timer = setInterval(() => this.refresh(), this.refreshMs);
      this.timer.unref();
    }
  }

  closed(conversationId: string): void {
    const here = this.openHere.get(conversationId);
    if (!here) return;
    if (--here.streams > 0) return;
    this.openHere.delete(conversationId);
    this.write(conversationId, false, this.now());
    if (!this.openHere.size) this.stopTimer();
  }

  /**
   * Rewrite the record of every conversation with a stream open here (the timer's job, every refreshMs; tests call
   * it). Skipped for a record written less than half an interval ago, not a whole one: a timer firing a little early
   * must not leave a record two intervals old.
   */
  refresh(): void {
    const now = this.now();
    for (const [id, h] of this.openHere) if (now - h.writtenAt >= this.refreshMs / 2) this.write(id, true, now);
  }

  /**
   * Whether some instance had a live stream of the conversation open at a time since `since` (ms): a record
   * written since then, or an "open" record recent enough that its instance is still refreshing it.
   */
  async seenSince(conversationId: string, since: number): Promise<boolean> {
    const seen = parseSeen(await this.store.getSetting(presenceKey(conversationId)));
    if (!seen) return false;
    return seen.at >= since || (seen.open && this.now() - seen.at <= 2 * this.refreshMs + 1_000);
  }

  /** Stop refreshing and wait for the writes under way (shutdown); a stream opened later starts it again. */
  async stop(): Promise<void> {
    this.stopTimer();
    await Promise.allSettled([...this.writes.values()]);
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private write(conversationId: string, open: boolean, at: number): void {
    const h = this.openHere.get(conversationId);
    if (open && h) h.writtenAt = at;
    const previous = this.writes.get(conversationId) ?? Promise.resolve();
    const next = previous
      .then(() => this.store.setSetting(presenceKey(conversationId), JSON.stringify({ open, at })))
      .catch((err: unknown) => this.o.log?.warn({ err, conversationId }, 'live stream presence not recorded'));
    this.writes.set(conversationId, next);
    void next.finally(() => this.writes.get(conversationId) === next && this.writes.delete(conversationId));
  }
}
