import type { Kysely } from 'kysely';

/**
 * Buttons are stored with bot messages (history after a reload, channel replays) and on the conversation (a typed
 * label counts as a click). Shipped.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('suggestions', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('offered', 'text').execute();
}
