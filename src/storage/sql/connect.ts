import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { AppError, ConfigError } from '../../domain/errors';
import { safeReason } from './driverErrors';
import { migrate } from './migrations';
import { SqlContext, type Database } from './tables';

/** Where the data is: a PostgreSQL URL (postgres:// or postgresql://) or, when there is none, a SQLite file. */
export interface SqlLocation {
  url?: string;
  sqliteFile?: string;
}

const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url);

/**
 * Opens and migrates PostgreSQL when `url` is a postgres:// URL, otherwise the SQLite file `sqliteFile`. A bad
 * setting is a ConfigError; a database that cannot be opened or migrated is a 503 STORAGE_UNAVAILABLE naming it
 * (never with the password).
 */
export async function openDatabase(opts: SqlLocation): Promise<SqlContext> {
  const url = opts.url?.trim();
  if (url && isPostgresUrl(url)) return openPostgres(url);
  if (url)
    throw new ConfigError(
      `unsupported database URL scheme "${url.split(':')[0]}:" (expected postgres:// or postgresql://; leave it empty for SQLite)`,
    );
  if (!opts.sqliteFile) throw new ConfigError('no database: set a PostgreSQL URL or a SQLite file');
  return openSqlite(opts.sqliteFile);
}

/** "db on host:port" from a PostgreSQL URL, without the user name or password. */
function describePostgres(url: string): string {
  try {
    const u = new URL(url);
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default database)';
    return `PostgreSQL database "${db}" on ${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return 'PostgreSQL database (unparsable URL)';
  }
}

async function openPostgres(url: string): Promise<SqlContext> {
  const where = describePostgres(url);
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reports the problem.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy().catch(() => {});
    throw new AppError('STORAGE_UNAVAILABLE', `cannot connect to the ${where}: ${safeReason(err, url)}`, 503);
  }
  return migrated(new SqlContext(db, 'postgres', { pool }), where, url);
}

async function openSqlite(file: string): Promise<SqlContext> {
  const inMemory = file === ':memory:';
  const where = inMemory ? 'in-memory SQLite database' : `SQLite database ${path.resolve(file)}`;
  let database: BetterSqlite3.Database | undefined;
  try {
    if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    database = new BetterSqlite3(file, { timeout: 5000 });
    database.pragma('busy_timeout = 5000');
    database.pragma('journal_mode = WAL'); // also the first read: fails here on a file that is not a database
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // Deleted content is overwritten with zeros, so that an erased customer's text is not left in the file.
    database.pragma('secure_delete = ON');
  } catch (err) {
    database?.close();
    throw new AppError('STORAGE_UNAVAILABLE', `cannot open the ${where}: ${safeReason(err)}`, 503);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return migrated(new SqlContext(db, 'sqlite', { sqlite: database }), where);
}

async function migrated(ctx: SqlContext, where: string, url?: string): Promise<SqlContext> {
  try {
    await migrate(ctx.db, ctx.dialect);
  } catch (err) {
    await ctx.db.destroy().catch(() => {});
    throw new AppError('STORAGE_UNAVAILABLE', `cannot migrate the ${where}: ${safeReason(err, url)}`, 503);
  }
  return ctx;
}
