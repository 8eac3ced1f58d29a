import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from '../tables';

/**
 * Rate-limit counters shared by every instance, in the table layout rate-limiter-flexible's RateLimiterSQLite and
 * RateLimiterPostgres read and write (key = "<limit>:<client>", points in the window, expiry in epoch ms).
 */
export async function up(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const pg = dialect === 'postgres';
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', pg ? 'varchar(255)' : 'text', (c) => c.primaryKey())
    .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expire', pg ? 'bigint' : 'integer')
    .execute();
  await sql`create index rate_limits_expire on rate_limits (expire)`.execute(db);
}
