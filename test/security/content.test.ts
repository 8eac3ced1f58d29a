/** Published content shared through one SQLite file by two instances (see content-support.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedContentScenario } from './content-support';

jest.setTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), 'savbot-content-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite', () => {
  sharedContentScenario(() => ({ SQLITE_FILE: join(dir, 'bot.db') }));
});
