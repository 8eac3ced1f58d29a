import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../tables';

/**
 * Customers' files: their bytes in the database (SQLite BLOB, PostgreSQL bytea), so that every instance serves
 * them and they are erased, backed up and restored with their conversation; messages carry their references.
 */
export async function up(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const pg = dialect === 'postgres';
  await db.schema
    .createTable('attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', pg ? 'bigint' : 'integer', (c) => c.notNull())
    .addColumn('bytes', pg ? 'bytea' : 'blob', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attachments_conversation').on('attachments').column('conversation_id').execute();
  // JSON text of the AttachmentRef[] a message carries.
  await db.schema.alterTable('messages').addColumn('attachments', 'text').execute();
}
