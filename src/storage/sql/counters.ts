import { sql } from 'kysely';
import { RateLimiterPostgres, RateLimiterSQLite } from 'rate-limiter-flexible';
import { LimiterCounters } from '../counters';
import type { RateCounters } from '../ports';
import type { SqlContext } from './tables';

const SWEEP_MS = 5 * 60_000;

/**
 * Rate-limit counters in the store's own database (table rate_limits, migration 0008), through the driver's
 * connection: every instance on the same SQLite file or PostgreSQL database counts the same hits. Expired rows
 * are swept every few minutes here (not by the library's own timer, which would outlive a closed store).
 */
export function sqlCounters(ctx: SqlContext, own?: RateCounters): { counters: RateCounters; stop(): void } {
  const driver = ctx.driver;
  if (!driver) throw new Error('rate-limit counters need the driver connection of the store');
  const table = { tableName: 'rate_limits', tableCreated: true, clearExpiredByTimeout: false };
  // SQLite: the store's own counters on prepared statements and shared commits (./sqliteTurns), same table.
  const counters =
    own ??
    new LimiterCounters((opts) =>
      'pool' in driver
        ? new RateLimiterPostgres({ ...opts, ...table, storeClient: driver.pool, storeType: 'pool' })
        : new RateLimiterSQLite({ ...opts, ...table, storeClient: driver.sqlite, storeType: 'better-sqlite3' }),
    );
  const sweep = setInterval(() => {
    // A failed sweep is retried at the next one; counters work regardless.
    sql`delete from rate_limits where expire < ${Date.now()}`.execute(ctx.db).catch(() => undefined);
  }, SWEEP_MS);
  sweep.unref();
  return { counters, stop: () => clearInterval(sweep) };
}
