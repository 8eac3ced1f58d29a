/**
 * Privacy on PostgreSQL: the same scenario as privacy.test.ts (search, export, masked inbox and audited reveal,
 * erasure with its conversation.erased webhook and audit, retention) through the real app on a fresh database.
 */
import type { Server } from 'node:http';
import { Client } from 'pg';
import { ALICE_EMAIL, privacyTests, setUp, type Scenario } from './privacy-scenario';
import { freshPgDatabase } from '../support/postgres';

let s: Scenario | undefined;
let receiver: Server | undefined;
let db: Awaited<ReturnType<typeof freshPgDatabase>> | undefined;

beforeAll(async () => {
  db = await freshPgDatabase('savbot_privacy');
  ({ receiver, ...s } = await setUp({ DATABASE_URL: db.url }));
});

afterAll(async () => {
  await s?.running.close();
  if (receiver) await new Promise((ok) => receiver!.close(ok));
  await db?.drop();
});

describe('on PostgreSQL', () => {
  privacyTests(
    () => s!,
    async () => {
      // No table holds the erased customer's email any more (each table read as text, rows and all).
      const c = new Client({ connectionString: db!.url });
      await c.connect();
      try {
        const tables = await c.query<{ t: string }>(
          "select table_name as t from information_schema.tables where table_schema = 'public'",
        );
        for (const { t } of tables.rows) {
          const hit = await c.query(`select 1 from "${t}" x where x::text ilike $1 limit 1`, [`%${ALICE_EMAIL}%`]);
          expect([t, hit.rowCount]).toEqual([t, 0]);
        }
        const other = await c.query(`select 1 from messages x where x::text ilike $1`, ['%carol@example.org%']);
        expect(other.rowCount).toBe(1);
      } finally {
        await c.end();
      }
    },
  );
});
