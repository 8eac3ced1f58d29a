/** Published content shared through PostgreSQL by several instances (see content-support.ts). */
import { freshPgDatabase } from '../support/postgres';
import { sharedContentScenario } from './content-support';

jest.setTimeout(60_000);

let db: Awaited<ReturnType<typeof freshPgDatabase>>;
beforeAll(async () => {
  db = await freshPgDatabase('savbot_content');
});
afterAll(async () => {
  await db?.drop();
});

describe('PostgreSQL', () => {
  sharedContentScenario(() => ({ DATABASE_URL: db.url }));
});
