import type { ChannelRef, ConversationState, MessageRecord } from './conversation';
import type { DeskNote } from './desk';
import type { OutboxEvent } from './handoff';
import type { AttachmentRef } from './types';

/** Everything stored about one conversation (a customer's export, GDPR article 15). */
export interface ConversationData {
  state: ConversationState;
  messages: MessageRecord[];
  events: OutboxEvent[];
  channelRef?: ChannelRef;
  /** The conversation's files (references; the bytes are downloaded one by one). */
  attachments?: AttachmentRef[];
  /** The agent desk's internal notes about it (agent, time, text), oldest first. */
  notes: DeskNote[];
}

/** What an erasure removed from one conversation (the audit keeps these counts, never the data). */
export type ErasureCounts = {
  messages: number;
  /** Outbox events not yet delivered (pending) and already delivered. */
  outboxEvents: number;
  deadLetters: number;
  channelRefs: number;
  /** 1 when the conversation held dialog answers (slots, looked-up records). */
  dialogStates: number;
  /** Files (photos, PDFs) deleted with their bytes. */
  attachments: number;
};

export type PrivacyAction = 'export' | 'erase' | 'retention' | 'reveal';

export interface NewPrivacyAudit {
  at: string;
  /** The admin's name, "retention" for the daily job, "cli:<user>" from the command line. */
  by: string;
  action: PrivacyAction;
  /** Conversation ids (random ids, not personal data): what the action was about. */
  conversationIds: string[];
  /** Counts only (messages erased, events stripped...): never a text, an email or a phone number. */
  counts: Record<string, number>;
}

export interface PrivacyAudit extends NewPrivacyAudit {
  id: number;
}

/** The outbox event that tells the helpdesk a conversation was erased (its body names the conversation only). */
export const ERASED_EVENT = 'conversation.erased' as const;

// Webhook data kept on delivered events once their retention is over: what the figures and the order of events
// need (queue, reason, times), none of what the customer wrote (transcript, contact details, message texts, notes).
const KEPT_DATA = new Set([
  'conversationId',
  'seq',
  'handoffId',
  'requestedAt',
  'channel',
  'language',
  'queue',
  'reason',
  'messageId',
  'at',
  'score',
]);

/** A delivered webhook body without its personal data (transcript, contact, texts), or undefined if not JSON. */
export function stripEventBody(body: string): string | undefined {
  try {
    const b = JSON.parse(body) as { type?: unknown; timestamp?: unknown; data?: Record<string, unknown> };
    const data = Object.fromEntries(Object.entries(b.data ?? {}).filter(([k]) => KEPT_DATA.has(k)));
    return JSON.stringify({ type: b.type, timestamp: b.timestamp, data });
  } catch {
    return undefined;
  }
}
