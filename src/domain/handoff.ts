import type { Lang } from './types';

/** Why a conversation goes to a person; travels with the handoff. */
export type HandoffReason =
  'customer-request' | 'misunderstood' | 'dialog-failed' | 'lookup-failed' | 'angry' | 'content';
export const HANDOFF_REASONS: readonly HandoffReason[] = [
  'customer-request',
  'misunderstood',
  'dialog-failed',
  'lookup-failed',
  'angry',
  'content',
];

/** Agent teams. */
export type QueueName = 'warranty' | 'returns' | 'delivery' | 'repair' | 'billing' | 'general';
export const QUEUES: readonly QueueName[] = ['warranty', 'returns', 'delivery', 'repair', 'billing', 'general'];

/** The handoff a conversation is in (null in the conversation state when the bot is talking). */
export interface HandoffState {
  id: string;
  queue: QueueName;
  lang: Lang;
  reason: HandoffReason;
  status: 'queued' | 'active';
  requestedAt: string;
  joinedAt?: string;
  agentName?: string;
}

/** Outgoing webhook event types (Standard Webhooks bodies: {type, timestamp, data}). */
export type OutboxEventType =
  | 'handoff.requested'
  | 'conversation.message'
  | 'conversation.closed'
  | 'csat.received'
  /** The conversation's data was erased (GDPR): the body names the conversation only. */
  | 'conversation.erased'
  /** Target 'email': an agent's reply to mail to the customer (unless they read it live). */
  | 'email.reply'
  /** Target 'email': the conversation's transcript the customer asked for by email. */
  | 'email.transcript';

/**
 * Who delivers an outbox event: the signed agents' webhook, Chatwoot, or the customer's mail. Each target has its own
 * worker; events of one conversation are delivered in order within a target.
 */
export type OutboxTarget = 'webhook' | 'chatwoot' | 'email';
export const OUTBOX_TARGETS: readonly OutboxTarget[] = ['webhook', 'chatwoot', 'email'];

/** The setting holding the Message-IDs of the mails sent in a conversation (threading; erased with it). */
export const emailThreadKey = (conversationId: string) => `email.thread:${conversationId}`;

/** The setting saying when a customer's live stream was last open on any instance (src/channels/presence.ts). */
export const presenceKey = (conversationId: string) => `presence:${conversationId}`;

/**
 * The setting holding the id of the last handoff of a conversation offered to continue by email: the offer is made
 * once per handoff across instances by compare-and-set on it (one row per conversation, erased with it).
 */
export const emailOfferKey = (conversationId: string) => `email.offer:${conversationId}`;

/** An event to deliver, as the engine hands it to the store (the store numbers it per conversation). */
export interface NewOutboxEvent {
  type: OutboxEventType;
  /** Event data; the store adds `conversationId` and `seq`. */
  data: Record<string, unknown>;
  /** 'webhook' when absent. */
  target?: OutboxTarget;
  /** First attempt not before this ISO time (a mail held back while the customer may still read it live). */
  notBefore?: string;
}

export interface OutboxEvent {
  id: number;
  target: OutboxTarget;
  /** Stable across retries and replays: receivers deduplicate on it. */
  webhookId: string;
  conversationId: string;
  /** 1, 2, 3... per conversation: the order in which events must be delivered. */
  seq: number;
  type: OutboxEventType;
  /** The exact JSON body sent (identical on every attempt). */
  body: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  nextAttemptAt: string;
  lastError?: string;
  createdAt: string;
  deliveredAt?: string;
}

/** The JSON body of an outgoing webhook (Standard Webhooks: type, timestamp, data). */
export function webhookBody(e: NewOutboxEvent, conversationId: string, seq: number, at: string): string {
  return JSON.stringify({ type: e.type, timestamp: at, data: { conversationId, seq, ...e.data } });
}

/** A handoff requested in a conversation, read back from its `handoff.requested` outbox event. */
export interface HandoffRecord {
  reason: HandoffReason;
  queue: QueueName;
  requestedAt: string;
}

/** The handoff of a `handoff.requested` event body (undefined if the body is not one). */
export function handoffFromEvent(body: string): HandoffRecord | undefined {
  try {
    const b = JSON.parse(body) as {
      timestamp?: string;
      data?: { reason?: HandoffReason; queue?: QueueName; requestedAt?: string };
    };
    if (!b.data?.reason || !b.data.queue) return undefined;
    // requestedAt is the engine's clock at the request; older events only have the outbox timestamp.
    return { reason: b.data.reason, queue: b.data.queue, requestedAt: b.data.requestedAt ?? b.timestamp ?? '' };
  } catch {
    return undefined;
  }
}
