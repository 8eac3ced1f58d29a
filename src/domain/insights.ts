import type { ConversationState, MessageRecord } from './conversation';
import type { HandoffRecord } from './handoff';

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
