/**
 * The turn's storage hot path, over real HTTP (shared by hotpath.test.ts on SQLite and hotpath.pg.test.ts): what
 * each customer message costs the store, and that nothing written is lost or reordered on the way.
 */
import type { StartedApp } from '../support/app';
import { say, widgetConversation, type Conv } from './limits-support';

const FAQ = ['Comment obtenir une copie de ma facture ?', "j'ai perdu ma facture", 'où télécharger la facture'];

/** Counts the calls of the store's conversation methods while `fn` runs. */
export async function storeCalls(s: StartedApp, fn: () => Promise<void>) {
  const names = ['get', 'getForTurn', 'messageCount', 'append', 'saveTurn'] as const;
  const spies = names.map((n) => [n, jest.spyOn(s.app.store, n)] as const);
  try {
    await fn();
    return {
      counts: Object.fromEntries(spies.map(([n, spy]) => [n, spy.mock.calls.length])),
      saved: spies
        .find(([n]) => n === 'saveTurn')![1]
        .mock.calls.map((c) => (c[1] as { from: string }[]).map((m) => m.from)),
    };
  } finally {
    for (const [, spy] of spies) spy.mockRestore();
  }
}

export async function ask(s: StartedApp, c: Conv, text: string) {
  const res = await say(s.base, c, { text });
  expect(res.status).toBe(200);
  return ((await res.json()) as { replies: { text: string; source: { kind: string } }[] }).replies;
}

export function hotpathScenario(app: () => StartedApp) {
  test('a FAQ answer: one read (conversation and count) and one write (customer message and replies)', async () => {
    const s = app();
    const c = await widgetConversation(s.base);
    const { counts, saved } = await storeCalls(s, async () => {
      for (const q of FAQ) expect((await ask(s, c, q))[0]!.source.kind).toBe('faq');
    });
    expect(counts).toEqual({ get: 0, getForTurn: 3, messageCount: 0, append: 0, saveTurn: 3 });
    expect(saved).toEqual([
      ['customer', 'bot'],
      ['customer', 'bot'],
      ['customer', 'bot'],
    ]);
    // The transcript keeps the order: each question, then its answer, with increasing ids.
    const t = await s.app.store.transcript(c.conversationId);
    expect(t.map((m) => [m.from, m.from === 'customer' ? m.text : ''])).toEqual(
      FAQ.flatMap((q) => [
        ['customer', q],
        ['bot', ''],
      ]),
    );
    expect(t.map((m) => m.id)).toEqual([...t.map((m) => m.id)].sort((a, b) => a - b));
  });

  test('a message that hands over is stored before the handoff reads the transcript', async () => {
    const s = app();
    const c = await widgetConversation(s.base);
    await ask(s, c, FAQ[0]!);
    const replies = await ask(s, c, 'je veux parler à un conseiller');
    expect(replies.some((r) => r.source.kind === 'handoff')).toBe(true);
    const events = await s.app.store.events(c.conversationId);
    const requested = events.find((e) => e.type === 'handoff.requested');
    expect(requested?.body).toContain('je veux parler à un conseiller');
    const t = await s.app.store.transcript(c.conversationId);
    expect(t.filter((m) => m.from === 'customer').map((m) => m.text)).toEqual([
      FAQ[0],
      'je veux parler à un conseiller',
    ]);
  });

  test('the quota counts what the turn read with the conversation: the notice once, then nothing stored', async () => {
    const s = app();
    const c = await widgetConversation(s.base);
    // MAX_MESSAGES_PER_CONVERSATION=10 (the app's settings): five questions fill it.
    for (let i = 0; i < 5; i++) await ask(s, c, FAQ[i % FAQ.length]!);
    for (let i = 0; i < 2; i++)
      expect((await ask(s, c, FAQ[0]!))[0]!.text).toMatch(/longueur maximale \(10 messages\)/);
    const t = await s.app.store.transcript(c.conversationId);
    expect(t).toHaveLength(11);
    expect(t[10]!.text).toMatch(/longueur maximale/);
    expect(await s.app.store.messageCount(c.conversationId)).toBe(11);
  });

  test('a failed save leaves nothing half written, and the next message is answered', async () => {
    const s = app();
    const c = await widgetConversation(s.base);
    const spy = jest.spyOn(s.app.store, 'saveTurn').mockRejectedValueOnce(new Error('disk full'));
    try {
      expect((await say(s.base, c, { text: FAQ[0] })).status).toBe(500);
    } finally {
      spy.mockRestore();
    }
    // Not acknowledged, not stored: the client sends it again.
    expect(await s.app.store.transcript(c.conversationId)).toEqual([]);
    expect((await ask(s, c, FAQ[0]!))[0]!.source.kind).toBe('faq');
    expect((await s.app.store.transcript(c.conversationId)).map((m) => m.from)).toEqual(['customer', 'bot']);
  });
}

/** The settings of the scenario's app. */
export const HOTPATH_ENV = { MAX_MESSAGES_PER_CONVERSATION: '10', HANDOFF_TRIGGERS: 'customer-request' };
