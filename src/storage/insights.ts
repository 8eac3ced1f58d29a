import type { HandoffReason, QueueName } from '../handoff/types';
import type { ConversationState, MessageRecord } from './conversations';

/** A handoff requested in a conversation, read back from its `handoff.requested` outbox event. */
export interface HandoffRecord {
  reason: HandoffReason;
  queue: QueueName;
  requestedAt: string;
}

/** A conversation with everything the service figures and the unanswered inbox are computed from. */
export interface ConversationRecord {
  state: ConversationState;
  /** Oldest first. */
  messages: MessageRecord[];
  /** Oldest first. */
  handoffs: HandoffRecord[];
}

export type InboxMarkState = 'dismissed' | 'handled';

/**
 * An editor's decision on a group of unanswered questions. `terms` are the group's key terms: later messages
 * similar to them are recognised as the same group. Dismissed groups stay hidden; handled groups hide the
 * messages written before `at` only (one written after means the bot still does not answer it).
 */
export interface InboxMark {
  key: string;
  state: InboxMarkState;
  terms: string[];
  at: string;
  by: string;
}

/** Read side for figures and the inbox, and the inbox marks (SQL stores and the memory store). */
export interface InsightsStore {
  /** Conversations created in [from, to), oldest first, with their messages and handoff requests. */
  conversationsCreated(from: string, to: string): Promise<ConversationRecord[]>;
  /** Conversations waiting for a person now, per queue (the queue-length gauge). */
  queuedHandoffs(): Promise<Partial<Record<QueueName, number>>>;
  inboxMarks(): Promise<InboxMark[]>;
  /** Create or replace the mark of `mark.key`. */
  setInboxMark(mark: InboxMark): Promise<void>;
}

/** The handoff of a `handoff.requested` event body (undefined if the body is not one). */
export function handoffFromEvent(body: string): HandoffRecord | undefined {
  try {
    const b = JSON.parse(body) as { timestamp?: string; data?: { reason?: HandoffReason; queue?: QueueName; requestedAt?: string } };
    if (!b.data?.reason || !b.data.queue) return undefined;
    // requestedAt is the engine's clock at the request; older events only have the outbox timestamp.
    return { reason: b.data.reason, queue: b.data.queue, requestedAt: b.data.requestedAt ?? b.timestamp ?? '' };
  } catch {
    return undefined;
  }
}
