import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The PostgreSQL the storage tests use: TEST_POSTGRES_URL (the local one by default), or the embedded one that
 * postgres-setup.ts started when nothing answered there. Tests that need it fail (never skip) when it is down.
 */
export const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL || DEFAULT_PG_URL;

async function withPgAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates a fresh database with a random name; returns its URL and a function that drops it. */
export async function freshPgDatabase(prefix = 'savbot_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withPgAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: () => withPgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
