import type { Kysely } from 'kysely';

/** Direct Line clients (Web Chat) wait for their own message to come back with the id they gave it. Shipped. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('client_id', 'text').execute();
}
