import type { Kysely } from 'kysely';

/** Bot Framework conversation references: agents' replies reach Teams / Web Chat customers from any instance. Shipped. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('channel_refs')
    .addColumn('conversation_id', 'text', (c) => c.primaryKey().references('conversations.id').onDelete('cascade'))
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('service_url', 'text', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('channel_refs_channel_external', ['channel_id', 'external_id'])
    .execute();
}
