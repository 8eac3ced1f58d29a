import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../tables';

/** The customer's email address and consent (JSON text of EmailState): replies and transcripts by email. */
export async function up(db: Kysely<unknown>, _dialect: SqlDialectName): Promise<void> {
  await db.schema.alterTable('conversations').addColumn('email', 'text').execute();
}
