import type BetterSqlite3 from 'better-sqlite3';
import type { Generated, Kysely, Transaction } from 'kysely';
import type { Pool } from 'pg';
import type { MessageRecord } from '../../domain/conversation';

/** The connection under Kysely: a better-sqlite3 database or a pg pool. */
export type SqlDriver = { sqlite: BetterSqlite3.Database } | { pool: Pool };

/** The two SQL dialects: SQLite (better-sqlite3, one file) and PostgreSQL (pg pool). */
export type SqlDialectName = 'sqlite' | 'postgres';

/**
 * The tables as the queries see them, as the migrations in ./migrations/ built them. Timestamps are the ISO strings
 * they arrive as, JSON values are text, so that every field reads back exactly as written.
 */
export interface ConversationsTable {
  id: string;
  channel: string;
  token_hash: string | null;
  lang: string | null;
  created_at: string;
  updated_at: string;
  misunderstandings: number;
  /** JSON text of a DialogState. */
  dialog: string | null;
  /** PostgreSQL: boolean; SQLite: 0/1. */
  awaiting_csat: boolean | number;
  csat_score: number | null;
  csat_at: string | null;
  /** JSON text of a HandoffState, plus the columns the queue is computed from. */
  handoff: string | null;
  handoff_status: string | null;
  handoff_queue: string | null;
  handoff_requested_at: string | null;
  /** Last outbox sequence number of the conversation. */
  seq: number;
  last_topic: string | null;
  /** JSON text of Suggestion[] (the last reply's buttons). */
  offered: string | null;
  /** When the conversation's data was erased (migration 0009_privacy); the row then holds no personal data. */
  erased_at: Generated<string | null>;
  /** JSON text of the HandoffRecord[] of an erased conversation (what the figures count; no personal data). */
  erased_handoffs: Generated<string | null>;
  /** JSON text of an EmailState (migration 0013_conversation_email). */
  email: Generated<string | null>;
}

export interface MessagesTable {
  /** PostgreSQL bigserial (read as a string by pg), SQLite integer. */
  id: Generated<number | string>;
  conversation_id: string;
  at: string;
  sender: MessageRecord['from'];
  text: string;
  action: string | null;
  /** JSON text of a ReplySource. */
  source: string | null;
  kb_version: string | null;
  /** JSON text of Suggestion[]. */
  suggestions: string | null;
  /** Direct Line clientActivityID of a customer message. */
  client_id: string | null;
  /** JSON text of AttachmentRef[] (migration 0010_attachments). */
  attachments: string | null;
  /** A bot reply's language (migration 0011_feedback). */
  lang: Generated<string | null>;
  /** A bot answer asking "was this helpful?": PostgreSQL boolean, SQLite 0/1 (migration 0011_feedback). */
  feedback: Generated<boolean | number | null>;
}

/** Customers' files (migration 0010_attachments): the bytes as stored (checked, images re-encoded). */
export interface AttachmentsTable {
  id: string;
  conversation_id: string;
  at: string;
  name: string;
  content_type: string;
  /** PostgreSQL bigint (read as a string by pg), SQLite integer. */
  size: number | string;
  bytes: Buffer;
}

export interface OutboxTable {
  id: Generated<number | string>;
  webhook_id: string;
  conversation_id: string;
  seq: number;
  type: string;
  body: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  /** When a delivered body lost its transcript and contact details (migration 0009_privacy). */
  stripped_at: Generated<string | null>;
  /** Who delivers it (migration 0012_outbox_targets): 'webhook', 'chatwoot', 'email'. */
  target: Generated<string>;
}

export interface HandoffJoinsTable {
  id: Generated<number | string>;
  queue: string;
  requested_at: string;
  joined_at: string;
  delay_ms: number;
}

export interface ChannelRefsTable {
  conversation_id: string;
  channel_id: string;
  /** The channel's conversation id (unique per channel). */
  external_id: string;
  service_url: string;
  /** JSON text of the rest of the ChannelRef (conversation, bot, user, locale). */
  reference: string;
  updated_at: string;
}

/** Editors' decisions on unanswered-question groups; terms as a JSON array. */
export interface InboxMarksTable {
  key: string;
  state: string;
  terms: string;
  at: string;
  by_user: string;
}

/** Editors' audit log (migration 0006_editor). */
export interface KbAuditTable {
  id: Generated<number | string>;
  at: string;
  user_name: string;
  action: string;
  entry_id: string | null;
  before: string | null;
  after: string | null;
  version: string;
}

/** A snapshot of the content files per published version (migration 0006_editor); files as JSON text. */
export interface KbVersionsTable {
  id: Generated<number | string>;
  version: string;
  at: string;
  user_name: string;
  action: string;
  files: string;
}

/** Exports, erasures and reveals (migration 0009_privacy): ids and counts as JSON text, never personal data. */
export interface PrivacyAuditTable {
  id: Generated<number | string>;
  at: string;
  user_name: string;
  action: string;
  conversation_ids: string;
  counts: string;
}

export interface Database {
  conversations: ConversationsTable;
  messages: MessagesTable;
  outbox: OutboxTable;
  inbound_webhooks: { webhook_id: string; received_at: string };
  handoff_joins: HandoffJoinsTable;
  settings: { key: string; value: string };
  inbox_marks: InboxMarksTable;
  channel_refs: ChannelRefsTable;
  kb_audit: KbAuditTable;
  kb_versions: KbVersionsTable;
  privacy_audit: PrivacyAuditTable;
  attachments: AttachmentsTable;
}

/** The database or a transaction on it. */
export type Db = Kysely<Database> | Transaction<Database>;

/** What every port of the SQL back end shares: one Kysely instance, its dialect and a transaction helper. */
export class SqlContext {
  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: SqlDialectName,
    /** The driver's own connection, for what speaks to it directly (the rate-limit counters). */
    readonly driver?: SqlDriver,
  ) {}

  get postgres(): boolean {
    return this.dialect === 'postgres';
  }

  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }
}
