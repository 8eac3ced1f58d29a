import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from '../tables';

/** Conversations and their messages. Shipped: never edit, add the next migration. */
export async function up(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const pg = dialect === 'postgres';
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
}
