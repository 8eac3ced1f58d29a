import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../tables';

/**
 * A bot reply's language (the widget's own words follow it) and whether it asked "was this helpful?" (the widget and
 * the Activity channels show the 👍 👎 buttons from the stored message). The votes themselves are customer messages.
 */
export async function up(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  await db.schema.alterTable('messages').addColumn('lang', 'text').execute();
  await db.schema
    .alterTable('messages')
    .addColumn('feedback', dialect === 'postgres' ? 'boolean' : 'integer')
    .execute();
}
