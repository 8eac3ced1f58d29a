import { sql, type Kysely } from 'kysely';

/** Editors' marks on unanswered-question groups. Shipped. */
export async function up(db: Kysely<unknown>): Promise<void> {
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
}
