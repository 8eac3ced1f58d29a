/** Attachments on PostgreSQL (bytea) through the real app on loopback: the shared scenario of ./scenario.ts. */
import type { StartedApp } from '../support/app';
import { freshPgDatabase } from '../support/postgres';
import { attachmentTests, start } from './scenario';

let running: StartedApp | undefined;
let db: Awaited<ReturnType<typeof freshPgDatabase>> | undefined;

beforeAll(async () => {
  db = await freshPgDatabase('savbot_attachments');
  running = await start({ DATABASE_URL: db.url });
});

afterAll(async () => {
  await running?.close();
  await db?.drop();
});

describe('attachments on PostgreSQL', () => {
  attachmentTests(() => running!);
});
