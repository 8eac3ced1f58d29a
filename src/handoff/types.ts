import type { Lang } from '../domain/types';

/** Why a conversation goes to a person; travels with the handoff. */
export type HandoffReason = 'customer-request' | 'misunderstood' | 'dialog-failed' | 'lookup-failed' | 'angry' | 'content';
export const HANDOFF_REASONS: readonly HandoffReason[] = ['customer-request', 'misunderstood', 'dialog-failed', 'lookup-failed', 'angry', 'content'];

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
export type OutboxEventType = 'handoff.requested' | 'conversation.message' | 'conversation.closed' | 'csat.received';

/** An event to deliver, as the engine hands it to the store (the store numbers it per conversation). */
export interface NewOutboxEvent {
  type: OutboxEventType;
  /** Event data; the store adds `conversationId` and `seq`. */
  data: Record<string, unknown>;
}

export interface OutboxEvent {
  id: number;
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

/** Persistence the handoff queue needs, implemented by the SQL store (and the memory store for unit tests). */
export interface OutboxStore {
  /**
   * Due events, at most `limit`, each the earliest undelivered event of its conversation (per-conversation order),
   * leased until `now + leaseMs` so that no other worker takes them meanwhile.
   */
  claimDue(now: Date, limit: number, leaseMs: number): Promise<OutboxEvent[]>;
  markDelivered(id: number, at: Date): Promise<void>;
  markRetry(id: number, attempts: number, nextAttemptAt: Date, error: string): Promise<void>;
  markDead(id: number, attempts: number, error: string): Promise<void>;
  /** Dead letters, oldest first. */
  listDead(): Promise<OutboxEvent[]>;
  /** Put a dead letter back in the queue (same webhook-id and body); false if it is not dead. */
  replay(id: number, now: Date): Promise<boolean>;
  /** Every event of a conversation (tests, operators). */
  events(conversationId: string): Promise<OutboxEvent[]>;
  /** Pending events (queue length for metrics). */
  pendingCount(): Promise<number>;
  /** Inbound webhook ids already processed: false if `webhookId` was seen before (replay). */
  rememberInbound(webhookId: string, at: Date): Promise<boolean>;
  /** Place in the queue (1 = next) of a queued handoff. */
  queuePosition(queue: QueueName, requestedAt: string, conversationId: string): Promise<number>;
  /** Recent handoff-to-join delays in ms (newest first), for the estimated wait. */
  recentJoinDelays(queue: QueueName, limit: number): Promise<number[]>;
  /** Settings such as a disabled webhook endpoint (410 Gone). */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string | null): Promise<void>;
}
