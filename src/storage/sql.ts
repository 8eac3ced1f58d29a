import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Generated,
  type Insertable,
  type Migration,
  type MigrationProvider,
  type Selectable,
  type Transaction,
} from 'kysely';
import { Pool } from 'pg';
import { AppError, ConfigError } from '../domain/errors';
import type { Lang, ReplySource, Suggestion } from '../domain/types';
import type { ChannelRef, ConversationState, DialogState, MessageRecord, NewMessage } from '../domain/conversation';
import { handoffFromEvent, webhookBody, type HandoffState, type OutboxEvent, type QueueName } from '../domain/handoff';
import type { ConversationRecord, InboxMark, InboxMarkState } from '../domain/insights';
import { SqlEditorStore, type EditorTables } from './editor';
import {
  newWebhookId,
  replayed,
  type ConversationStore,
  type EditorStore,
  type InsightsStore,
  type TurnEffects,
} from './ports';

type SqlDialectName = 'sqlite' | 'postgres';

interface ConversationsTable {
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
}

interface OutboxTable {
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
}

interface MessagesTable {
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
}

interface Database extends EditorTables {
  conversations: ConversationsTable;
  messages: MessagesTable;
  outbox: OutboxTable;
  inbound_webhooks: { webhook_id: string; received_at: string };
  handoff_joins: {
    id: Generated<number | string>;
    queue: string;
    requested_at: string;
    joined_at: string;
    delay_ms: number;
  };
  settings: { key: string; value: string };
  /** Editors' decisions on unanswered-question groups; terms as a JSON array. */
  inbox_marks: { key: string; state: string; terms: string; at: string; by_user: string };
  channel_refs: ChannelRefsTable;
}

interface ChannelRefsTable {
  conversation_id: string;
  channel_id: string;
  /** The channel's conversation id (unique per channel). */
  external_id: string;
  service_url: string;
  /** JSON text of the rest of the ChannelRef (conversation, bot, user, locale). */
  reference: string;
  updated_at: string;
}

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The schema, in code (nothing is read from disk at runtime). Migrations are append-only: never edit one that has
 * shipped, add the next. Names sort in application order.
 */
function migrations(dialect: SqlDialectName): Record<string, Migration> {
  const pg = dialect === 'postgres';
  return {
    '0001_conversations_messages': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('conversations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('channel', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'text')
          .addColumn('lang', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('misunderstandings', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('dialog', 'text')
          .addColumn('awaiting_csat', pg ? 'boolean' : 'integer', (c) => c.notNull().defaultTo(pg ? false : 0))
          .addColumn('csat_score', 'integer')
          .addColumn('csat_at', 'text')
          .execute();
        await db.schema
          .createTable('messages')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('sender', 'text', (c) => c.notNull().check(sql`sender in ('customer', 'bot', 'agent')`))
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('action', 'text')
          .addColumn('source', 'text')
          .addColumn('kb_version', 'text')
          .execute();
        await db.schema
          .createIndex('messages_conversation_id_id')
          .on('messages')
          .columns(['conversation_id', 'id'])
          .execute();
      },
    },
    '0002_handoff_outbox': {
      async up(db: Kysely<any>) {
        for (const [col, type] of [
          ['handoff', 'text'],
          ['handoff_status', 'text'],
          ['handoff_queue', 'text'],
          ['handoff_requested_at', 'text'],
          ['last_topic', 'text'],
        ] as const)
          await db.schema.alterTable('conversations').addColumn(col, type).execute();
        await db.schema
          .alterTable('conversations')
          .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createIndex('conversations_handoff_queue')
          .on('conversations')
          .columns(['handoff_status', 'handoff_queue', 'handoff_requested_at'])
          .execute();
        await db.schema
          .createTable('outbox')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('webhook_id', 'text', (c) => c.notNull().unique())
          .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'delivered', 'dead')`))
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          .addColumn('locked_until', 'text')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('delivered_at', 'text')
          .addUniqueConstraint('outbox_conversation_seq', ['conversation_id', 'seq'])
          .execute();
        await db.schema.createIndex('outbox_status_next').on('outbox').columns(['status', 'next_attempt_at']).execute();
        await db.schema
          .createTable('inbound_webhooks')
          .addColumn('webhook_id', 'text', (c) => c.primaryKey())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('handoff_joins')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('queue', 'text', (c) => c.notNull())
          .addColumn('requested_at', 'text', (c) => c.notNull())
          .addColumn('joined_at', 'text', (c) => c.notNull())
          .addColumn('delay_ms', pg ? 'bigint' : 'integer', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('settings')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0003_suggestions': {
      // Buttons are stored with bot messages (history after a reload, channel replays) and on the conversation
      // (a typed label counts as a click).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('messages').addColumn('suggestions', 'text').execute();
        await db.schema.alterTable('conversations').addColumn('offered', 'text').execute();
      },
    },
    '0004_inbox': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('inbox_marks')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('dismissed', 'handled')`))
          .addColumn('terms', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('by_user', 'text', (c) => c.notNull())
          .execute();
        // The figures and the inbox read conversations by creation time.
        await db.schema.createIndex('conversations_created_at').on('conversations').column('created_at').execute();
      },
    },
    '0005_directline_client_id': {
      // Direct Line clients (Web Chat) wait for their own message to come back with the id they gave it.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('messages').addColumn('client_id', 'text').execute();
      },
    },
    '0006_editor': {
      async up(db: Kysely<any>) {
        // Editors' audit log (append-only) and a snapshot of the content files per published version.
        await db.schema
          .createTable('kb_audit')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('user_name', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('entry_id', 'text')
          .addColumn('before', 'text')
          .addColumn('after', 'text')
          .addColumn('version', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('kb_versions')
          .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('user_name', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('files', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('kb_versions_version').on('kb_versions').columns(['version', 'id']).execute();
      },
    },
    '0007_channel_refs': {
      // Bot Framework conversation references: agents' replies reach Teams / Web Chat customers from any instance.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('channel_refs')
          .addColumn('conversation_id', 'text', (c) =>
            c.primaryKey().references('conversations.id').onDelete('cascade'),
          )
          .addColumn('channel_id', 'text', (c) => c.notNull())
          .addColumn('external_id', 'text', (c) => c.notNull())
          .addColumn('service_url', 'text', (c) => c.notNull())
          .addColumn('reference', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('channel_refs_channel_external', ['channel_id', 'external_id'])
          .execute();
      },
    },
  };
}

/** Runs the pending migrations (none when the schema is current). */
export async function migrate(db: Kysely<any>, dialect: SqlDialectName): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = messageOf(error);
    throw new Error(failed ? `migration ${failed} failed: ${reason}` : reason);
  }
}

const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url);

/** "db on host:port" from a PostgreSQL URL, without the user name or password. */
function describePostgres(url: string): string {
  try {
    const u = new URL(url);
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default database)';
    return `PostgreSQL database "${db}" on ${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return 'PostgreSQL database (unparsable URL)';
  }
}

/** The message of anything thrown. Duck-typed: better-sqlite3 builds its errors from the SqliteError class of the
 * first module instance that loaded it, which under Jest's per-file module registries may not pass `instanceof Error`. */
function messageOf(err: unknown): string {
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === 'string' && m ? m : String(err);
}

/** An error's message with the URL's password (if any) blanked out, in case a driver echoes it. */
function safeReason(err: unknown, url?: string): string {
  const nested = (err as { errors?: unknown } | null)?.errors;
  // AggregateError (e.g. "localhost" refused on both ::1 and 127.0.0.1) has an empty message of its own.
  let msg = Array.isArray(nested) && nested.length ? nested.map(messageOf).join('; ') : messageOf(err);
  if (url) {
    try {
      const pw = decodeURIComponent(new URL(url).password);
      if (pw) msg = msg.split(pw).join('***');
    } catch {
      /* unparsable URL: nothing to redact from */
    }
  }
  return msg;
}

const isUniqueViolation = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
};

const conflict = (id: string) => new AppError('CONVERSATION_EXISTS', `conversation ${id} already exists`, 409);
const notFound = (id: string) => new AppError('CONVERSATION_NOT_FOUND', `conversation ${id} not found`, 404);

/**
 * Conversations in SQLite (better-sqlite3, one file) or PostgreSQL (pg pool), through one Kysely query layer.
 * Timestamps are stored as the ISO strings they arrive as, JSON values (dialog state, reply source) as text, so
 * every field reads back exactly as written.
 */
export class SqlConversationStore implements ConversationStore, InsightsStore {
  private constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: SqlDialectName,
  ) {}

  /** Opens (and migrates) PostgreSQL when `url` is a postgres:// URL, otherwise the SQLite file `sqliteFile`. */
  static async open(opts: { url?: string; sqliteFile?: string }): Promise<SqlConversationStore> {
    const url = opts.url?.trim();
    if (url && isPostgresUrl(url)) return SqlConversationStore.openPostgres(url);
    if (url)
      throw new ConfigError(
        `unsupported database URL scheme "${url.split(':')[0]}:" (expected postgres:// or postgresql://; leave it empty for SQLite)`,
      );
    if (!opts.sqliteFile) throw new ConfigError('no database: set a PostgreSQL URL or a SQLite file');
    return SqlConversationStore.openSqlite(opts.sqliteFile);
  }

  private static async openPostgres(url: string): Promise<SqlConversationStore> {
    const where = describePostgres(url);
    const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
    // An idle client losing its connection must not crash the process; the next query reports the problem.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      await sql`select 1`.execute(db);
    } catch (err) {
      await db.destroy().catch(() => {});
      throw new AppError('STORAGE_UNAVAILABLE', `cannot connect to the ${where}: ${safeReason(err, url)}`, 503);
    }
    return SqlConversationStore.migrated(db, 'postgres', where, url);
  }

  private static async openSqlite(file: string): Promise<SqlConversationStore> {
    const inMemory = file === ':memory:';
    const where = inMemory ? 'in-memory SQLite database' : `SQLite database ${path.resolve(file)}`;
    let database: BetterSqlite3.Database | undefined;
    try {
      if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      database = new BetterSqlite3(file, { timeout: 5000 });
      database.pragma('busy_timeout = 5000');
      database.pragma('journal_mode = WAL'); // also the first read: fails here on a file that is not a database
      database.pragma('synchronous = NORMAL');
      database.pragma('foreign_keys = ON');
    } catch (err) {
      database?.close();
      throw new AppError('STORAGE_UNAVAILABLE', `cannot open the ${where}: ${safeReason(err)}`, 503);
    }
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    return SqlConversationStore.migrated(db, 'sqlite', where);
  }

  private static async migrated(
    db: Kysely<Database>,
    dialect: SqlDialectName,
    where: string,
    url?: string,
  ): Promise<SqlConversationStore> {
    try {
      await migrate(db, dialect);
    } catch (err) {
      await db.destroy().catch(() => {});
      throw new AppError('STORAGE_UNAVAILABLE', `cannot migrate the ${where}: ${safeReason(err, url)}`, 503);
    }
    return new SqlConversationStore(db, dialect);
  }

  async create(state: ConversationState): Promise<void> {
    try {
      await this.db.insertInto('conversations').values(this.encodeConversation(state)).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(state.id);
      throw err;
    }
  }

  async get(id: string): Promise<ConversationState | undefined> {
    const row = await this.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? decodeConversation(row) : undefined;
  }

  async append(conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]> {
    return this.db.transaction().execute(async (trx) => {
      // Lock the conversation (PostgreSQL; SQLite writes are serialized anyway) so concurrent writers to one
      // conversation take turns: its messages get ids in commit order and "after id" replays miss nothing.
      const found = await trx
        .selectFrom('conversations')
        .select('id')
        .where('id', '=', conversationId)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!found) throw notFound(conversationId);
      return insertMessages(trx, conversationId, messages);
    });
  }

  async saveTurn(
    state: ConversationState,
    messages: NewMessage[],
    effects: TurnEffects = {},
  ): Promise<MessageRecord[]> {
    return this.db.transaction().execute(async (trx) => {
      const { id, seq: _seq, ...changes } = this.encodeConversation(state); // the update also locks the row until commit
      const res = await trx.updateTable('conversations').set(changes).where('id', '=', id).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw notFound(id);
      if (effects.inboundId !== undefined) {
        try {
          await trx
            .insertInto('inbound_webhooks')
            .values({ webhook_id: effects.inboundId, received_at: new Date().toISOString() })
            .execute();
        } catch (err) {
          if (isUniqueViolation(err)) throw replayed(effects.inboundId);
          throw err;
        }
      }
      const out = await insertMessages(trx, id, messages);
      const events = effects.events ?? [];
      if (events.length) {
        // Sequence numbers are taken under the row lock: per-conversation order even with several instances.
        const row = await trx.selectFrom('conversations').select('seq').where('id', '=', id).executeTakeFirstOrThrow();
        let seq = Number(row.seq);
        const now = new Date().toISOString();
        for (const e of events) {
          seq++;
          await trx
            .insertInto('outbox')
            .values({
              webhook_id: newWebhookId(),
              conversation_id: id,
              seq,
              type: e.type,
              body: webhookBody(e, id, seq, now),
              status: 'pending',
              attempts: 0,
              next_attempt_at: now,
              locked_until: null,
              last_error: null,
              created_at: now,
              delivered_at: null,
            })
            .execute();
        }
        await trx.updateTable('conversations').set({ seq }).where('id', '=', id).execute();
      }
      if (effects.joined) {
        const j = effects.joined;
        await trx
          .insertInto('handoff_joins')
          .values({
            queue: j.queue,
            requested_at: j.requestedAt,
            joined_at: j.joinedAt,
            delay_ms: Math.max(0, Date.parse(j.joinedAt) - Date.parse(j.requestedAt)),
          })
          .execute();
      }
      return out;
    });
  }

  async claimDue(now: Date, limit: number, leaseMs: number): Promise<OutboxEvent[]> {
    const t = now.toISOString();
    return this.db.transaction().execute(async (trx) => {
      // The earliest pending event of each conversation, when due and not leased by another worker.
      const rows = await trx
        .selectFrom('outbox as o')
        .selectAll('o')
        .where('o.status', '=', 'pending')
        .where('o.next_attempt_at', '<=', t)
        .where((eb) => eb.or([eb('o.locked_until', 'is', null), eb('o.locked_until', '<', t)]))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('outbox as p')
                .select('p.id')
                .whereRef('p.conversation_id', '=', 'o.conversation_id')
                .where('p.status', '=', 'pending')
                .whereRef('p.seq', '<', 'o.seq'),
            ),
          ),
        )
        .orderBy('o.id')
        .limit(limit)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked())
        .execute();
      if (rows.length === 0) return [];
      const until = new Date(now.getTime() + leaseMs).toISOString();
      await trx
        .updateTable('outbox')
        .set({ locked_until: until })
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.map(decodeOutbox);
    });
  }

  async markDelivered(id: number, at: Date): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({ status: 'delivered', delivered_at: at.toISOString(), locked_until: null })
      .where('id', '=', id)
      .execute();
  }

  async markRetry(id: number, attempts: number, nextAttemptAt: Date, error: string): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({
        attempts,
        next_attempt_at: nextAttemptAt.toISOString(),
        last_error: error.slice(0, 500),
        locked_until: null,
      })
      .where('id', '=', id)
      .execute();
  }

  async markDead(id: number, attempts: number, error: string): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({ status: 'dead', attempts, last_error: error.slice(0, 500), locked_until: null })
      .where('id', '=', id)
      .execute();
  }

  async listDead(): Promise<OutboxEvent[]> {
    return (await this.db.selectFrom('outbox').selectAll().where('status', '=', 'dead').orderBy('id').execute()).map(
      decodeOutbox,
    );
  }

  async replay(id: number, now: Date): Promise<boolean> {
    const r = await this.db
      .updateTable('outbox')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now.toISOString(), locked_until: null })
      .where('id', '=', id)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async events(conversationId: string): Promise<OutboxEvent[]> {
    return (
      await this.db
        .selectFrom('outbox')
        .selectAll()
        .where('conversation_id', '=', conversationId)
        .orderBy('seq')
        .execute()
    ).map(decodeOutbox);
  }

  async pendingCount(): Promise<number> {
    const r = await this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async rememberInbound(webhookId: string, at: Date): Promise<boolean> {
    try {
      await this.db
        .insertInto('inbound_webhooks')
        .values({ webhook_id: webhookId, received_at: at.toISOString() })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async queuePosition(queue: QueueName, requestedAt: string, conversationId: string): Promise<number> {
    const r = await this.db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('handoff_status', '=', 'queued')
      .where('handoff_queue', '=', queue)
      .where('handoff_requested_at', '<', requestedAt)
      .where('id', '!=', conversationId)
      .executeTakeFirstOrThrow();
    return Number(r.n) + 1;
  }

  async recentJoinDelays(queue: QueueName, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('handoff_joins')
      .select('delay_ms')
      .where('queue', '=', queue)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => Number(r.delay_ms));
  }

  async getSetting(key: string): Promise<string | undefined> {
    return (await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('settings').where('key', '=', key).execute();
      if (value !== null) await trx.insertInto('settings').values({ key, value }).execute();
    });
  }

  async linkChannel(ref: ChannelRef): Promise<ChannelRef> {
    const row = encodeRef(ref);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.channelRefByExternal(ref.channelId, ref.conversation.id);
      if (existing) {
        const { conversation_id: _c, channel_id: _ch, external_id: _e, ...changes } = row;
        await this.db
          .updateTable('channel_refs')
          .set(changes)
          .where('conversation_id', '=', existing.conversationId)
          .execute();
        return { ...ref, conversationId: existing.conversationId };
      }
      try {
        await this.db.insertInto('channel_refs').values(row).execute();
        return ref;
      } catch (err) {
        // Another instance linked the same channel conversation meanwhile: use its conversation.
        if (!isUniqueViolation(err) || attempt > 0) throw err;
      }
    }
  }

  async channelRef(conversationId: string): Promise<ChannelRef | undefined> {
    const r = await this.db
      .selectFrom('channel_refs')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst();
    return r ? decodeRef(r) : undefined;
  }

  async channelRefByExternal(channelId: string, externalConversationId: string): Promise<ChannelRef | undefined> {
    const r = await this.db
      .selectFrom('channel_refs')
      .selectAll()
      .where('channel_id', '=', channelId)
      .where('external_id', '=', externalConversationId)
      .executeTakeFirst();
    return r ? decodeRef(r) : undefined;
  }

  async transcript(conversationId: string, afterId = 0): Promise<MessageRecord[]> {
    const rows = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('id', '>', afterId)
      .orderBy('id')
      .execute();
    return rows.map(decodeMessage);
  }

  async customerMessage(conversationId: string, clientId: string): Promise<MessageRecord | undefined> {
    const row = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('sender', '=', 'customer')
      .where('client_id', '=', clientId)
      .orderBy('id')
      .executeTakeFirst();
    return row ? decodeMessage(row) : undefined;
  }

  async conversationsCreated(from: string, to: string): Promise<ConversationRecord[]> {
    const convs = await this.db
      .selectFrom('conversations')
      .selectAll()
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const messages = await this.db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .selectAll('messages')
      .where('conversations.created_at', '>=', from)
      .where('conversations.created_at', '<', to)
      .orderBy('messages.id')
      .execute();
    const events = await this.db
      .selectFrom('outbox')
      .innerJoin('conversations', 'conversations.id', 'outbox.conversation_id')
      .select(['outbox.conversation_id', 'outbox.body'])
      .where('outbox.type', '=', 'handoff.requested')
      .where('conversations.created_at', '>=', from)
      .where('conversations.created_at', '<', to)
      .orderBy('outbox.conversation_id')
      .orderBy('outbox.seq')
      .execute();
    const byId = new Map<string, ConversationRecord>();
    for (const c of convs) byId.set(c.id, { state: decodeConversation(c), messages: [], handoffs: [] });
    for (const m of messages) byId.get(m.conversation_id)?.messages.push(decodeMessage(m));
    for (const e of events) {
      const h = handoffFromEvent(e.body);
      if (h) byId.get(e.conversation_id)?.handoffs.push(h);
    }
    return [...byId.values()];
  }

  async queuedHandoffs(): Promise<Partial<Record<QueueName, number>>> {
    const rows = await this.db
      .selectFrom('conversations')
      .select(['handoff_queue', (eb) => eb.fn.countAll().as('n')])
      .where('handoff_status', '=', 'queued')
      .groupBy('handoff_queue')
      .execute();
    const out: Partial<Record<QueueName, number>> = {};
    for (const r of rows) if (r.handoff_queue) out[r.handoff_queue as QueueName] = Number(r.n);
    return out;
  }

  async inboxMarks(): Promise<InboxMark[]> {
    const rows = await this.db.selectFrom('inbox_marks').selectAll().orderBy('at').execute();
    return rows.map((r) => ({
      key: r.key,
      state: r.state as InboxMarkState,
      terms: JSON.parse(r.terms) as string[],
      at: r.at,
      by: r.by_user,
    }));
  }

  async setInboxMark(mark: InboxMark): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('inbox_marks').where('key', '=', mark.key).execute();
      await trx
        .insertInto('inbox_marks')
        .values({ key: mark.key, state: mark.state, terms: JSON.stringify(mark.terms), at: mark.at, by_user: mark.by })
        .execute();
    });
  }

  /** The editors' audit log and version snapshots, in the same database. */
  editorStore(): EditorStore {
    return new SqlEditorStore(this.db as unknown as Kysely<EditorTables>);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  private encodeConversation(s: ConversationState): Insertable<ConversationsTable> {
    return {
      id: s.id,
      channel: s.channel,
      token_hash: s.tokenHash ?? null,
      lang: s.lang ?? null,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
      misunderstandings: s.misunderstandings,
      dialog: s.dialog ? JSON.stringify(s.dialog) : null,
      awaiting_csat: this.dialect === 'postgres' ? s.awaitingCsat : s.awaitingCsat ? 1 : 0,
      csat_score: s.csat?.score ?? null,
      csat_at: s.csat?.at ?? null,
      handoff: s.handoff ? JSON.stringify(s.handoff) : null,
      handoff_status: s.handoff?.status ?? null,
      handoff_queue: s.handoff?.queue ?? null,
      handoff_requested_at: s.handoff?.requestedAt ?? null,
      last_topic: s.lastTopic ?? null,
      offered: s.offered?.length ? JSON.stringify(s.offered) : null,
      seq: 0,
    };
  }
}

/** One insert per message, in order, so ids follow the order of `messages` (inside the caller's transaction). */
async function insertMessages(db: Db, conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]> {
  const out: MessageRecord[] = [];
  for (const m of messages) {
    const row = {
      conversation_id: conversationId,
      at: m.at,
      sender: m.from,
      text: m.text,
      action: m.action ?? null,
      source: m.source ? JSON.stringify(m.source) : null,
      kb_version: m.kbVersion ?? null,
      suggestions: m.suggestions?.length ? JSON.stringify(m.suggestions) : null,
      client_id: m.clientId ?? null,
    };
    const { id } = await db.insertInto('messages').values(row).returning('id').executeTakeFirstOrThrow();
    out.push(decodeMessage({ ...row, id }));
  }
  return out;
}

function decodeConversation(r: Selectable<ConversationsTable>): ConversationState {
  const s: ConversationState = {
    id: r.id,
    channel: r.channel,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    misunderstandings: Number(r.misunderstandings),
    dialog: r.dialog === null ? null : (JSON.parse(r.dialog) as DialogState),
    awaitingCsat: r.awaiting_csat === true || r.awaiting_csat === 1,
    csat: r.csat_score === null ? null : { score: Number(r.csat_score), at: r.csat_at ?? '' },
    handoff: r.handoff === null ? null : (JSON.parse(r.handoff) as HandoffState),
  };
  if (r.token_hash !== null) s.tokenHash = r.token_hash;
  if (r.last_topic !== null) s.lastTopic = r.last_topic;
  if (r.offered !== null) s.offered = JSON.parse(r.offered) as Suggestion[];
  if (r.lang !== null) s.lang = r.lang as Lang;
  return s;
}

function encodeRef(ref: ChannelRef): Insertable<ChannelRefsTable> {
  const { conversationId, channelId, serviceUrl, updatedAt, ...rest } = ref;
  return {
    conversation_id: conversationId,
    channel_id: channelId,
    external_id: ref.conversation.id,
    service_url: serviceUrl,
    reference: JSON.stringify(rest),
    updated_at: updatedAt,
  };
}

function decodeRef(r: Selectable<ChannelRefsTable>): ChannelRef {
  const rest = JSON.parse(r.reference) as Pick<ChannelRef, 'conversation' | 'bot' | 'user' | 'locale'>;
  return {
    conversationId: r.conversation_id,
    channelId: r.channel_id,
    serviceUrl: r.service_url,
    ...rest,
    updatedAt: r.updated_at,
  };
}

function decodeOutbox(r: Selectable<OutboxTable>): OutboxEvent {
  const e: OutboxEvent = {
    id: Number(r.id),
    webhookId: r.webhook_id,
    conversationId: r.conversation_id,
    seq: Number(r.seq),
    type: r.type as OutboxEvent['type'],
    body: r.body,
    status: r.status as OutboxEvent['status'],
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
  };
  if (r.last_error !== null) e.lastError = r.last_error;
  if (r.delivered_at !== null) e.deliveredAt = r.delivered_at;
  return e;
}

function decodeMessage(r: Selectable<MessagesTable>): MessageRecord {
  const m: MessageRecord = {
    id: Number(r.id),
    conversationId: r.conversation_id,
    at: r.at,
    from: r.sender,
    text: r.text,
  };
  if (r.action !== null) m.action = r.action;
  if (r.source !== null) m.source = JSON.parse(r.source) as ReplySource;
  if (r.kb_version !== null) m.kbVersion = r.kb_version;
  if (r.suggestions !== null) m.suggestions = JSON.parse(r.suggestions) as Suggestion[];
  if (r.client_id !== null) m.clientId = r.client_id;
  return m;
}

/** The store the configuration asks for: PostgreSQL when a database URL is set, the SQLite file otherwise. */
export function createStore(config: { databaseUrl?: string; sqliteFile: string }): Promise<SqlConversationStore> {
  return SqlConversationStore.open({ url: config.databaseUrl, sqliteFile: config.sqliteFile });
}
