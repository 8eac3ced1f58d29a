import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../tables';

/**
 * Privacy: erased conversations stay as rows without personal data (erased_at, and the counts the figures need),
 * delivered webhook bodies lose their
 * transcript after their retention (stripped_at), and an audit of exports, erasures and reveals. Shipped.
 */
export async function up(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const pg = dialect === 'postgres';
  await db.schema.alterTable('conversations').addColumn('erased_at', 'text').execute();
  // The erased conversation's handoff requests (reason, queue, time: no personal data), which the figures count.
  await db.schema.alterTable('conversations').addColumn('erased_handoffs', 'text').execute();
  await db.schema.alterTable('outbox').addColumn('stripped_at', 'text').execute();
  // The retention job reads conversations by last activity.
  await db.schema.createIndex('conversations_updated_at').on('conversations').column('updated_at').execute();
  await db.schema
    .createTable('privacy_audit')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('conversation_ids', 'text', (c) => c.notNull())
    .addColumn('counts', 'text', (c) => c.notNull())
    .execute();
}
