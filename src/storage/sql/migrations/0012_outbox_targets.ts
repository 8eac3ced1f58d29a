import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../tables';

/**
 * Who delivers each outbox event: the agents' webhook (every event so far), Chatwoot, or the customer's mail. Each
 * target's worker claims its own events, in order per conversation within the target.
 */
export async function up(db: Kysely<unknown>, _dialect: SqlDialectName): Promise<void> {
  await db.schema
    .alterTable('outbox')
    .addColumn('target', 'text', (c) => c.notNull().defaultTo('webhook'))
    .execute();
  await db.schema
    .createIndex('outbox_target_status_next')
    .on('outbox')
    .columns(['target', 'status', 'next_attempt_at'])
    .execute();
}
