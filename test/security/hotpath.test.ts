/**
 * The turn's storage hot path on SQLite (a real file, real HTTP on loopback): one read and one write transaction
 * per customer message, the statements of the hot path prepared once, not at every message, and concurrent writes
 * committed together without mixing their failures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { ConversationState, NewMessage } from '../../src/domain/conversation';
import type { AppError } from '../../src/domain/errors';
import { createStore } from '../../src/storage/sql/store';
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

test('concurrent writes share a commit, and one that fails is rolled back alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-hotpath-'));
  const store = await createStore({ sqliteFile: join(dir, 'bot.db') });
  try {
    const at = new Date().toISOString();
    const conv = (id: string): ConversationState => ({
      id,
      channel: 'widget',
      createdAt: at,
      updatedAt: at,
      misunderstandings: 0,
      dialog: null,
      awaitingCsat: false,
      csat: null,
      handoff: null,
    });
    await store.create(conv('a'));
    await store.create(conv('b'));
    const msg = (text: string): NewMessage => ({ at, from: 'customer', text });
    const results = await Promise.allSettled([
      store.saveTurn({ ...conv('a'), lang: 'fr' }, [msg('a1'), msg('a2')]),
      store.saveTurn(conv('missing'), [msg('lost')]),
      store.append('b', [msg('b1')]),
      store.saveTurn(conv('b'), [msg('b2')], { inboundId: 'wh-1' }),
      store.saveTurn(conv('b'), [msg('b3')], { inboundId: 'wh-1' }),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as AppError).code))).toEqual([
      'ok',
      'CONVERSATION_NOT_FOUND',
      'ok',
      'ok',
      'REPLAYED',
    ]);
    expect((await store.transcript('a')).map((m) => m.text)).toEqual(['a1', 'a2']);
    expect((await store.transcript('b')).map((m) => m.text)).toEqual(['b1', 'b2']);
    expect((await store.get('a'))?.lang).toBe('fr');
    expect(await store.getForTurn('b')).toMatchObject({ state: { id: 'b' }, messageCount: 2 });
    expect(await store.getForTurn('missing')).toBeUndefined();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite rate counters: one count for two stores on one file, the first refusal told once, nothing prepared per hit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-hotpath-'));
  const one = await createStore({ sqliteFile: join(dir, 'bot.db') });
  const two = await createStore({ sqliteFile: join(dir, 'bot.db') });
  try {
    const a = one.rateCounters().counter('msg', 3, 60);
    const b = two.rateCounters().counter('msg', 3, 60);
    expect((await a.hit('k')).allowed).toBe(true);
    const prepare = jest.spyOn(BetterSqlite3.prototype, 'prepare');
    const verdicts = [await b.hit('k'), await a.hit('k'), await b.hit('k'), await a.hit('k')];
    expect(verdicts.map((v) => [v.allowed, v.firstRefusal])).toEqual([
      [true, false],
      [true, false],
      [false, true],
      [false, false],
    ]);
    expect(verdicts[2]!.retryAfterMs).toBeGreaterThan(0);
    expect(verdicts[2]!.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((await a.peek('k')).allowed).toBe(false);
    expect((await a.peek('other')).allowed).toBe(true);
    expect((await a.hit('other')).allowed).toBe(true);
    const prepared = prepare.mock.calls.length;
    prepare.mockRestore();
    // The second store's upsert at its first hit, the first store's peek at its first peek: nothing per hit.
    expect(prepared).toBe(2);
  } finally {
    await one.close();
    await two.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
