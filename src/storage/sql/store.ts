import type { ChannelRef, ConversationState, MessageRecord, NewMessage } from '../../domain/conversation';
import type { OutboxEvent, OutboxTarget, QueueName } from '../../domain/handoff';
import type { ConversationRecord, InboxMark } from '../../domain/insights';
import type { ConversationData, ErasureCounts, NewPrivacyAudit, PrivacyAudit } from '../../domain/privacy';
import type {
  AttachmentStore,
  EditorStore,
  PageQuery,
  PrivacySearch,
  RateCounters,
  Store,
  TurnEffects,
} from '../ports';
import { SqlAttachments } from './attachments';
import { PgChangeFeed } from './changes';
import { SqlChannelRefs } from './channels';
import { openDatabase, type SqlLocation } from './connect';
import { SqlConversations } from './conversations';
import { sqlCounters } from './counters';
import { SqlEditorStore } from './editor';
import { SqlInsights } from './insights';
import { SqlOutbox } from './outbox';
import { SqlPrivacy } from './privacy';
import type { SqlContext, SqlDialectName } from './tables';

/**
 * Conversations in SQLite (better-sqlite3, one file) or PostgreSQL (pg pool), through one Kysely query layer: one
 * small class per port (./conversations, ./outbox, ./channels, ./insights, ./editor) over a shared SqlContext,
 * combined here into the one object the wiring hands around. Every method below only delegates.
 */
export class SqlConversationStore implements Store {
  private readonly conversations: SqlConversations;
  private readonly outbox: SqlOutbox;
  private readonly channels: SqlChannelRefs;
  private readonly insights: SqlInsights;
  private limits?: ReturnType<typeof sqlCounters>;
  private readonly privacy: SqlPrivacy;
  /** PostgreSQL only: what other instances write (LISTEN/NOTIFY); SQLite has one writer process. */
  readonly changes?: PgChangeFeed;

  private constructor(private readonly ctx: SqlContext) {
    this.privacy = new SqlPrivacy(ctx);
    if (ctx.driver && 'pool' in ctx.driver) this.changes = new PgChangeFeed(ctx.driver.pool);
    this.conversations = new SqlConversations(ctx, this.changes);
    this.outbox = new SqlOutbox(ctx);
    this.channels = new SqlChannelRefs(ctx);
    this.insights = new SqlInsights(ctx);
  }

  /** Opens (and migrates) PostgreSQL when `url` is a postgres:// URL, otherwise the SQLite file `sqliteFile`. */
  static async open(opts: SqlLocation): Promise<SqlConversationStore> {
    return new SqlConversationStore(await openDatabase(opts));
  }

  get dialect(): SqlDialectName {
    return this.ctx.dialect;
  }

  /** The editors' audit log and version snapshots, in the same database. */
  editorStore(): EditorStore {
    return new SqlEditorStore(this.ctx);
  }

  /** Customers' files, in the same database. */
  attachmentStore(): AttachmentStore {
    return new SqlAttachments(this.ctx);
  }

  /** The rate limits' counters, in the same database (shared by every instance using it). */
  rateCounters(): RateCounters {
    return (this.limits ??= sqlCounters(this.ctx, this.conversations.sqliteCounters())).counters;
  }

  async close(): Promise<void> {
    this.limits?.stop();
    await this.changes?.close();
    await this.ctx.db.destroy();
  }

  // Conversations and messages.
  create(state: ConversationState): Promise<void> {
    return this.conversations.create(state);
  }
  get(id: string): Promise<ConversationState | undefined> {
    return this.conversations.get(id);
  }
  getForTurn(id: string): Promise<{ state: ConversationState; messageCount: number } | undefined> {
    return this.conversations.getForTurn(id);
  }
  append(conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]> {
    return this.conversations.append(conversationId, messages);
  }
  saveTurn(state: ConversationState, messages: NewMessage[], effects?: TurnEffects): Promise<MessageRecord[]> {
    return this.conversations.saveTurn(state, messages, effects);
  }
  transcript(conversationId: string, afterId?: number): Promise<MessageRecord[]> {
    return this.conversations.transcript(conversationId, afterId);
  }
  messagesPage(conversationId: string, q: PageQuery): Promise<MessageRecord[]> {
    return this.conversations.messagesPage(conversationId, q);
  }
  messageCount(conversationId: string): Promise<number> {
    return this.conversations.messageCount(conversationId);
  }
  customerMessage(conversationId: string, clientId: string): Promise<MessageRecord | undefined> {
    return this.conversations.customerMessage(conversationId, clientId);
  }

  // The outbox, inbound webhook ids, the queue, settings.
  claimDue(now: Date, limit: number, leaseMs: number, target?: OutboxTarget): Promise<OutboxEvent[]> {
    return this.outbox.claimDue(now, limit, leaseMs, target);
  }
  markDelivered(id: number, at: Date): Promise<void> {
    return this.outbox.markDelivered(id, at);
  }
  markRetry(id: number, attempts: number, nextAttemptAt: Date, error: string): Promise<void> {
    return this.outbox.markRetry(id, attempts, nextAttemptAt, error);
  }
  markDead(id: number, attempts: number, error: string): Promise<void> {
    return this.outbox.markDead(id, attempts, error);
  }
  listDead(): Promise<OutboxEvent[]> {
    return this.outbox.listDead();
  }
  replay(id: number, now: Date): Promise<boolean> {
    return this.outbox.replay(id, now);
  }
  events(conversationId: string): Promise<OutboxEvent[]> {
    return this.outbox.events(conversationId);
  }
  hasHandoffRequest(conversationId: string): Promise<boolean> {
    return this.outbox.hasHandoffRequest(conversationId);
  }
  pendingCount(): Promise<number> {
    return this.outbox.pendingCount();
  }
  rememberInbound(webhookId: string, at: Date): Promise<boolean> {
    return this.outbox.rememberInbound(webhookId, at);
  }
  queuePosition(queue: QueueName, requestedAt: string, conversationId: string): Promise<number> {
    return this.outbox.queuePosition(queue, requestedAt, conversationId);
  }
  recentJoinDelays(queue: QueueName, limit: number): Promise<number[]> {
    return this.outbox.recentJoinDelays(queue, limit);
  }
  getSetting(key: string): Promise<string | undefined> {
    return this.outbox.getSetting(key);
  }
  setSetting(key: string, value: string | null): Promise<void> {
    return this.outbox.setSetting(key, value);
  }
  swapSetting(key: string, expected: string | undefined, value: string): Promise<boolean> {
    return this.outbox.swapSetting(key, expected, value);
  }

  // Channel references.
  linkChannel(ref: ChannelRef): Promise<ChannelRef> {
    return this.channels.linkChannel(ref);
  }
  channelRef(conversationId: string): Promise<ChannelRef | undefined> {
    return this.channels.channelRef(conversationId);
  }
  channelRefByExternal(channelId: string, externalConversationId: string): Promise<ChannelRef | undefined> {
    return this.channels.channelRefByExternal(channelId, externalConversationId);
  }

  // The insights read side and the inbox marks.
  conversationsCreated(from: string, to: string): Promise<ConversationRecord[]> {
    return this.insights.conversationsCreated(from, to);
  }
  queuedHandoffs(): Promise<Partial<Record<QueueName, number>>> {
    return this.insights.queuedHandoffs();
  }
  handedOff(limit: number): Promise<ConversationState[]> {
    return this.insights.handedOff(limit);
  }
  inboxMarks(): Promise<InboxMark[]> {
    return this.insights.inboxMarks();
  }
  setInboxMark(mark: InboxMark): Promise<void> {
    return this.insights.setInboxMark(mark);
  }

  // A customer's data: search, export, erasure, retention, audit.
  searchConversations(q: PrivacySearch): Promise<string[]> {
    return this.privacy.searchConversations(q);
  }
  conversationData(id: string): Promise<ConversationData | undefined> {
    return this.privacy.conversationData(id);
  }
  eraseConversation(id: string, at: Date): Promise<ErasureCounts | undefined> {
    return this.privacy.eraseConversation(id, at);
  }
  inactiveConversations(before: string, limit: number): Promise<string[]> {
    return this.privacy.inactiveConversations(before, limit);
  }
  stripDelivered(before: string, strip: (body: string) => string | undefined): Promise<number> {
    return this.privacy.stripDelivered(before, strip);
  }
  compact(): Promise<void> {
    return this.privacy.compact();
  }
  appendPrivacyAudit(e: NewPrivacyAudit): Promise<PrivacyAudit> {
    return this.privacy.appendPrivacyAudit(e);
  }
  listPrivacyAudit(limit: number): Promise<PrivacyAudit[]> {
    return this.privacy.listPrivacyAudit(limit);
  }
}

/** The store the configuration asks for: PostgreSQL when a database URL is set, the SQLite file otherwise. */
export function createStore(config: { databaseUrl?: string; sqliteFile: string }): Promise<SqlConversationStore> {
  return SqlConversationStore.open({ url: config.databaseUrl, sqliteFile: config.sqliteFile });
}
