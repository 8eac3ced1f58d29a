import { randomBytes } from 'node:crypto';
import type { ChannelRef, ConversationState, MessageRecord, NewMessage } from '../domain/conversation';
import { AppError } from '../domain/errors';
import type { NewOutboxEvent, OutboxEvent, OutboxTarget, QueueName } from '../domain/handoff';
import type { AuditEntry, NewAuditEntry, VersionRecord, VersionSnapshot } from '../domain/editor';
import type { ConversationRecord, InboxMark } from '../domain/insights';
import type { ConversationData, ErasureCounts, NewPrivacyAudit, PrivacyAudit } from '../domain/privacy';
import type { AttachmentRef } from '../domain/types';

/** What a turn changes besides the conversation and its messages, written in the same transaction. */
export interface TurnEffects {
  /** Webhook events for the agents (the outbox). */
  events?: NewOutboxEvent[];
  /** The id of the signed inbound webhook that caused the turn: refused (409) if it was seen before. */
  inboundId?: string;
  /** An agent joined: the delay feeds the estimated wait shown to the next customers. */
  joined?: { queue: QueueName; requestedAt: string; joinedAt: string };
}

// The errors of the contract: every back end throws the same AppError (code and status) in the same situation, and
// the storage contract suite (test/storage/store.test.ts) checks each one on memory, SQLite and PostgreSQL.

/** A replayed inbound webhook. */
export const replayed = (id: string) => new AppError('REPLAYED', `webhook id "${id}" was already received`, 409);
/** `create` of an id that is taken (the first conversation is kept). */
export const conversationExists = (id: string) =>
  new AppError('CONVERSATION_EXISTS', `conversation ${id} already exists`, 409);
/** A write (append, saveTurn, linkChannel) to a conversation that was never created. */
export const conversationNotFound = (id: string) =>
  new AppError('CONVERSATION_NOT_FOUND', `conversation ${id} not found`, 404);
/** A message whose sender is not customer, bot or agent: a bug of the caller, so a 500. */
export const invalidSender = (from: unknown) =>
  new AppError('INVALID_MESSAGE_SENDER', `invalid message sender ${JSON.stringify(from)}`, 500);
/** markDelivered, markRetry or markDead of an event that does not exist. */
export const outboxEventNotFound = (id: number) =>
  new AppError('OUTBOX_EVENT_NOT_FOUND', `outbox event ${id} not found`, 404);

const SENDERS: readonly string[] = ['customer', 'bot', 'agent'] satisfies MessageRecord['from'][];

/** Every back end checks the senders before it changes anything (the SQL schema has the same CHECK constraint). */
export function checkSenders(messages: readonly NewMessage[]): void {
  for (const m of messages) if (!SENDERS.includes(m.from)) throw invalidSender(m.from);
}

/**
 * One page of a conversation's messages: ids strictly between `after` and `before` (each optional), at most `limit`,
 * always returned oldest first. `newest` takes the last `limit` of that range instead of the first (the page just
 * before `before`, or the end of the transcript). Live streams, GET messages and the handoff webhook read pages so
 * that no request holds a whole transcript in memory.
 */
export interface PageQuery {
  after?: number;
  before?: number;
  limit: number;
  newest?: boolean;
}

/** Persistence the handoff queue needs, implemented by the SQL store (and the memory store for unit tests). */
export interface OutboxStore {
  /**
   * Due events, at most `limit`, each the earliest undelivered event of its conversation (per-conversation order),
   * leased until `now + leaseMs` so that no other worker takes them meanwhile. Only `target`'s events ('webhook' when
   * absent); the order is per conversation within a target.
   */
  claimDue(now: Date, limit: number, leaseMs: number, target?: OutboxTarget): Promise<OutboxEvent[]>;
  markDelivered(id: number, at: Date): Promise<void>;
  markRetry(id: number, attempts: number, nextAttemptAt: Date, error: string): Promise<void>;
  markDead(id: number, attempts: number, error: string): Promise<void>;
  /** Dead letters, oldest first. */
  listDead(): Promise<OutboxEvent[]>;
  /** Put a dead letter back in the queue (same webhook-id and body); false if it is not dead. */
  replay(id: number, now: Date): Promise<boolean>;
  /** Every event of a conversation (tests, operators). */
  events(conversationId: string): Promise<OutboxEvent[]>;
  /** Whether a person was ever asked for in the conversation (it has a handoff.requested event, any target). */
  hasHandoffRequest(conversationId: string): Promise<boolean>;
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
  /**
   * Compare-and-set of a setting, atomic across instances: stores `value` only if the stored value is `expected`
   * (undefined: only if the key is absent, an insert-if-absent). True when it was stored. Shared throttles and
   * once-only actions (the queue updates told, a conversation's welcome) use it.
   */
  swapSetting(key: string, expected: string | undefined, value: string): Promise<boolean>;
}

/**
 * A change of one conversation made by another instance: stored messages (`typing` absent: read the store after
 * your last id, the store stays the source of truth) or an agent typing (not stored).
 */
export interface StoreChange {
  /** '*' after the feed reconnected: changes may have been missed, any conversation may have new messages. */
  conversationId: string;
  typing?: string;
}

/**
 * Changes made by other instances on the same database (PostgreSQL LISTEN/NOTIFY). Single-instance back ends
 * (memory, SQLite) have none: the engine's in-process events are enough there.
 */
export interface ChangeFeed {
  /** Call `listener` for every change another instance commits; returns the unsubscribe. */
  watch(listener: (change: StoreChange) => void): () => void;
  /** Tell the other instances about a change that is not stored (an agent typing). */
  signal(change: StoreChange): Promise<void>;
}

/** Conversation references of the Bot Framework channel. */
export interface ChannelRefStore {
  /**
   * Store `ref` unless (channelId, conversation.id) already has a reference: then update its service URL, user and
   * locale and keep its conversation. Returns what is stored (the caller uses the returned conversation id).
   */
  linkChannel(ref: ChannelRef): Promise<ChannelRef>;
  channelRef(conversationId: string): Promise<ChannelRef | undefined>;
  channelRefByExternal(channelId: string, externalConversationId: string): Promise<ChannelRef | undefined>;
}

/**
 * Conversations, their transcripts, dialog state and satisfaction answers. Implementations: in memory (tests,
 * terminal chat), SQLite (default, a file under data/) and PostgreSQL (DATABASE_URL), with the same test suite.
 */
export interface ConversationStore extends OutboxStore, ChannelRefStore {
  create(state: ConversationState): Promise<void>;
  get(id: string): Promise<ConversationState | undefined>;
  /**
   * The conversation and how many messages it has stored (its quota), in one read: what a turn starts with. Undefined
   * when unknown or erased, like `get`.
   */
  getForTurn(id: string): Promise<{ state: ConversationState; messageCount: number } | undefined>;
  /** Append messages (customer message before it is processed, so nothing written is lost). */
  append(conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]>;
  /** Save the new state, append the turn's messages and queue its webhook events atomically (one transaction). */
  saveTurn(state: ConversationState, messages: NewMessage[], effects?: TurnEffects): Promise<MessageRecord[]>;
  /** The transcript, oldest first, optionally only after a message id. */
  transcript(conversationId: string, afterId?: number): Promise<MessageRecord[]>;
  /** One page of the transcript (see PageQuery): what every request path reads instead of the whole transcript. */
  messagesPage(conversationId: string, q: PageQuery): Promise<MessageRecord[]>;
  /** The customer's message sent with this client id (a client's retry is recognised by it), if any. */
  customerMessage(conversationId: string, clientId: string): Promise<MessageRecord | undefined>;
  /** How many messages the conversation has stored (its quota, MAX_MESSAGES_PER_CONVERSATION). */
  messageCount(conversationId: string): Promise<number>;
  /** Conversations with a person (waiting or taken), oldest request first, at most `limit` (the agent desk). */
  handedOff(limit: number): Promise<ConversationState[]>;
  /** What other instances change (PostgreSQL); absent when this process is the only writer. */
  readonly changes?: ChangeFeed;
  close(): Promise<void>;
}

/** A rate counter's answer for one key. */
export interface RateVerdict {
  allowed: boolean;
  /** When refused: how long until the window ends and the key is served again. */
  retryAfterMs: number;
  /** The first refusal of the window (to tell the client once, not at every refused request). */
  firstRefusal: boolean;
}

/** Hits per key in fixed windows, kept where every instance sees them (the database; memory for tests). */
export interface RateCounter {
  /** Count one hit for `key`: allowed while the window holds at most the counter's points. */
  hit(key: string): Promise<RateVerdict>;
  /** Whether one more hit would be allowed now, counting nothing. */
  peek(key: string): Promise<RateVerdict>;
}

/** Makes the counters of the rate limits, one per limit `name` (the names share one table, as key prefixes). */
export interface RateCounters {
  counter(name: string, points: number, durationSec: number): RateCounter;
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

/** Outgoing webhook ids (Standard Webhooks `webhook-id`), the same shape from every back end. */
export const newWebhookId = () => `msg_${randomBytes(16).toString('base64url')}`;

/** Append-only audit log and published-version snapshots (editors' changes). */
export interface EditorStore {
  appendAudit(e: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditEntry[]>;
  /** Returns the stored row's sequence number (increasing: the highest is the newest publish of any instance). */
  saveVersion(v: VersionSnapshot): Promise<number>;
  /** The newest stored version, cheaply (no files): instances poll it to serve what any of them published. */
  latestVersion(): Promise<{ seq: number; version: string } | undefined>;
  /** Newest first. */
  listVersions(limit: number): Promise<VersionRecord[]>;
  /** The latest snapshot stored for `version`. */
  getVersion(version: string): Promise<VersionSnapshot | undefined>;
}

/** What to look for in the stored text of conversations (a customer's request to see or erase their data). */
export interface PrivacySearch {
  /** Found (case-insensitive) in a message, the dialog state (answers, records), a webhook body or a desk note. */
  needles: string[];
  /** Found in the same texts once spaces, dots, dashes, slashes and parentheses are removed (phone numbers). */
  digits: string[];
}

/**
 * A customer's data (GDPR articles 15, 17, 5(1)(e)): search, export, erasure, retention and its audit. An erased
 * conversation stays as a row without personal data (id, channel, language, dates, satisfaction score) so that its
 * `conversation.erased` event can be queued and delivered; `get` no longer returns it and writes to it fail
 * (CONVERSATION_NOT_FOUND), so no channel can add to it.
 */
export interface PrivacyStore {
  /** Ids of conversations (not erased) whose stored text contains one of the needles or digit strings. */
  searchConversations(q: PrivacySearch): Promise<string[]>;
  /** Everything stored about a conversation; undefined when unknown or erased. */
  conversationData(id: string): Promise<ConversationData | undefined>;
  /**
   * In one transaction: delete its messages, outbox events and dead letters, channel reference, dialog state,
   * handoff, token hash, buttons and files (attachments), the settings keyed by it (desk notes and claims, mail thread,
   * welcome, Chatwoot link and its way back: domain/settings.ts), keep the row as erased and queue a
   * `conversation.erased` event. Undefined when the conversation is unknown or already erased.
   */
  eraseConversation(id: string, at: Date): Promise<ErasureCounts | undefined>;
  /** Conversations (not erased) with no activity (update or message) since `before`, oldest first, at most `limit`. */
  inactiveConversations(before: string, limit: number): Promise<string[]>;
  /**
   * Delivered events delivered before `before` and not stripped yet: their body is replaced by `strip(body)`
   * (undefined leaves it). Returns how many were stripped.
   */
  stripDelivered(before: string, strip: (body: string) => string | undefined): Promise<number>;
  /** Make erased data unrecoverable from the database files (SQLite: WAL checkpoint and VACUUM; PostgreSQL: VACUUM). */
  compact(): Promise<void>;
  appendPrivacyAudit(e: NewPrivacyAudit): Promise<PrivacyAudit>;
  /** Newest first. */
  listPrivacyAudit(limit: number): Promise<PrivacyAudit[]>;
}

/** A stored file: its reference, whose conversation, when, and the bytes as stored (already checked, re-encoded). */
export interface StoredAttachment extends AttachmentRef {
  conversationId: string;
  at: string;
  bytes: Buffer;
}

/** What a conversation's files take (its quota). */
export interface AttachmentUsage {
  files: number;
  bytes: number;
}

/** The per-conversation quota `put` enforces atomically with the insert. */
export interface AttachmentQuota {
  maxFiles: number;
  maxBytes: number;
}

/**
 * Customers' (and agents') files, where every instance sees them: in the database (SQLite BLOB, PostgreSQL bytea),
 * in memory for tests; a file-system or S3 back end implements the same port. Erased with their conversation
 * (PrivacyStore.eraseConversation).
 */
export interface AttachmentStore {
  /**
   * Store the file unless the conversation would go over `quota` (checked and inserted in one transaction, so two
   * concurrent uploads cannot both pass): 'files' or 'bytes' names the limit that refused it, nothing is stored
   * then. CONVERSATION_NOT_FOUND when the conversation is unknown or erased.
   */
  put(a: StoredAttachment, quota: AttachmentQuota): Promise<'stored' | 'files' | 'bytes'>;
  /** The file of that conversation (undefined for another conversation's id: ids are checked with their owner). */
  get(conversationId: string, id: string): Promise<StoredAttachment | undefined>;
  /** The references of a conversation's files, oldest first (no bytes). */
  list(conversationId: string): Promise<AttachmentRef[]>;
  usage(conversationId: string): Promise<AttachmentUsage>;
  /** Remove one file (an upload whose message could not be written); false if there was none. */
  delete(conversationId: string, id: string): Promise<boolean>;
}

/**
 * Everything one back end provides, from one connection: what `createStore` (SQL) returns and what the memory store
 * is. The wiring hands its parts to the services that need them.
 */
export interface Store extends ConversationStore, InsightsStore, PrivacyStore {
  /** The editors' audit log and version snapshots, in the same database. */
  editorStore(): EditorStore;
  /** Customers' files, in the same database. */
  attachmentStore(): AttachmentStore;
}
