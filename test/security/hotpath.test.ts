/**
 * The turn's storage hot path on SQLite (a real file, real HTTP on loopback): one read and one write transaction
 * per customer message, and the statements of the hot path prepared once, not at every message.
 */
import BetterSqlite3 from 'better-sqlite3';
import { startApp, type StartedApp } from '../support/app';
import { widgetConversation } from './limits-support';
import { ask, HOTPATH_ENV, hotpathScenario } from './hotpath-scenario';

let s: StartedApp;

beforeAll(async () => {
  s = await startApp(HOTPATH_ENV);
});

afterAll(async () => {
  await s?.close();
});

hotpathScenario(() => s);

test('after the first turns, a turn prepares no SQLite statement', async () => {
  const c = await widgetConversation(s.base);
  const d = await widgetConversation(s.base);
  await ask(s, c, 'Comment obtenir une copie de ma facture ?');
  const prepare = jest.spyOn(BetterSqlite3.prototype, 'prepare');
  try {
    await ask(s, c, "j'ai perdu ma facture");
    await ask(s, d, 'où télécharger la facture');
    expect(prepare).not.toHaveBeenCalled();
  } finally {
    prepare.mockRestore();
  }
});
