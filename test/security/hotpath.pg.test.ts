/** The turn's storage hot path on PostgreSQL (a fresh database, real HTTP on loopback): see hotpath-scenario.ts. */
import { startApp, type StartedApp } from '../support/app';
import { freshPgDatabase } from '../support/postgres';
import { HOTPATH_ENV, hotpathScenario } from './hotpath-scenario';

let db: Awaited<ReturnType<typeof freshPgDatabase>>;
let s: StartedApp;

beforeAll(async () => {
  db = await freshPgDatabase('savbot_hotpath');
  s = await startApp({ ...HOTPATH_ENV, DATABASE_URL: db.url });
});

afterAll(async () => {
  await s?.close();
  await db?.drop();
});

hotpathScenario(() => s);
