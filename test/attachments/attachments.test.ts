/** Attachments on a real SQLite file through the real app on loopback (the shared scenario, ./scenario.ts). */
import type { StartedApp } from '../support/app';
import { attachmentTests, start } from './scenario';

let running: StartedApp | undefined;

beforeAll(async () => {
  running = await start({});
});

afterAll(async () => {
  await running?.close();
});

describe('attachments on SQLite', () => {
  attachmentTests(() => running!);
});
