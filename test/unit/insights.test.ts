import type { ReplySource } from '../../src/domain/types';
import { stat } from '../../src/insights/figures';
import { duration, formatFigures } from '../../src/insights/format';
import { groupUnanswered, jaccard, keyOf, termsOfKey, unansweredMessages } from '../../src/insights/inbox';
import { parseSince } from '../../src/insights/service';
import { computeFigures } from '../../src/insights/figures';
import { newConversationState, type MessageRecord } from '../../src/domain/conversation';
import type { ConversationRecord } from '../../src/domain/insights';

let id = 0;
const msg = (
  from: MessageRecord['from'],
  text: string,
  source?: ReplySource,
  extra: Partial<MessageRecord> = {},
): MessageRecord => ({
  id: ++id,
  conversationId: 'c1',
  at: `2026-11-02T10:00:${String(id).padStart(2, '0')}.000Z`,
  from,
  text,
  ...(source ? { source } : {}),
  ...extra,
});
const record = (messages: MessageRecord[]): ConversationRecord => ({
  state: { ...newConversationState({ id: 'c1', channel: 'widget', at: '2026-11-02T10:00:00.000Z' }), lang: 'fr' },
  messages,
  handoffs: [],
});

describe('unanswered messages', () => {
  test('fallback, did-you-mean and low confidence count; answers, buttons, topic menus and empty text do not', () => {
    const r = record([
      msg('customer', 'truc inconnu'),
      msg('bot', 'fb', { kind: 'fallback', confidence: 0.1 }),
      msg('customer', 'A ou B ?'),
      msg('bot', 'clarify', { kind: 'clarify', id: 'a', confidence: 0.3 }),
      msg('customer', 'presque'),
      msg('bot', 'faq', { kind: 'faq', id: 'a', confidence: 0.35 }),
      msg('customer', 'bien compris'),
      msg('bot', 'faq', { kind: 'faq', id: 'a', confidence: 0.9 }),
      msg('customer', 'Livraison', undefined, { action: 'topic:delivery' }),
      msg('bot', 'menu', { kind: 'clarify', id: 'topic:delivery' }),
      msg('customer', 'topic typed'),
      msg('bot', 'menu', { kind: 'clarify', id: 'topic:delivery' }),
      msg('customer', '???'),
      msg('bot', 'empty', { kind: 'fallback' }),
      // A long message: the "too long" notice (a bare fallback) comes before the real answer.
      msg('customer', 'très long texte'),
      msg('bot', 'too long', { kind: 'fallback' }),
      msg('bot', 'faq', { kind: 'faq', id: 'a', confidence: 0.8 }),
    ]);
    expect(unansweredMessages([r]).map((m) => [m.text, m.reason])).toEqual([
      ['truc inconnu', 'fallback'],
      ['A ou B ?', 'clarify'],
      ['presque', 'low-confidence'],
    ]);
    expect(unansweredMessages([r], 0.3).map((m) => m.text)).toEqual(['truc inconnu', 'A ou B ?']);
  });

  test('group keys carry their terms and refuse anything else', () => {
    const key = keyOf(['cors', 'livr']);
    expect(termsOfKey(key)).toEqual(['cors', 'livr']);
    expect(termsOfKey('not a key')).toBeUndefined();
    expect(termsOfKey('')).toBeUndefined();
    expect(jaccard(['a', 'b'], ['b', 'c'])).toBeCloseTo(1 / 3);
    expect(jaccard([], [])).toBe(0);
  });

  test('messages join the most similar group at or above the threshold', () => {
    const terms = (t: string) => t.split(' ');
    const m = (text: string, at: string) => ({
      text,
      at,
      conversationId: 'c',
      lang: 'fr' as const,
      reason: 'fallback' as const,
    });
    const groups = groupUnanswered([m('a b', '1'), m('a b c', '2'), m('c d', '3'), m('a b c d e f', '4')], terms);
    // "a b c" vs "a b": 2/3 joins; "c d" vs "a b": 0 starts a group; "a b c d e f" vs "a b": 2/6 and vs "c d": 2/6: alone.
    expect(groups.map((g) => [g.terms.join(' '), g.count])).toEqual([
      ['a b', 2],
      ['a b c d e f', 1],
      ['c d', 1],
    ]);
  });
});

test('stat: nearest-rank percentiles', () => {
  // 1..10: p50 = 5th value, p90 = 9th value.
  expect(stat([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])).toEqual({ n: 10, avg: 5.5, p50: 5, p90: 9 });
  expect(stat([])).toBeNull();
});

test('parseSince: durations and ISO dates, refusing anything else with the value', () => {
  const now = new Date('2026-11-08T00:00:00.000Z');
  expect(parseSince('7d', now).toISOString()).toBe('2026-11-01T00:00:00.000Z');
  expect(parseSince('24h', now).toISOString()).toBe('2026-11-07T00:00:00.000Z');
  expect(parseSince('90m', now).toISOString()).toBe('2026-11-07T22:30:00.000Z');
  expect(parseSince('2026-11-03', now).toISOString()).toBe('2026-11-03T00:00:00.000Z');
  expect(() => parseSince('last week', now)).toThrow('since="last week"');
});

test('the report table names every figure', () => {
  expect(duration(850)).toBe('850 ms');
  expect(duration(12_400)).toBe('12.4 s');
  expect(duration(192_000)).toBe('3.2 min');
  const f = computeFigures(
    [record([msg('customer', 'x'), msg('bot', 'faq', { kind: 'faq', id: 'a', confidence: 0.9 })])],
    { from: 'a', to: 'b', filter: { lang: 'fr' } },
  );
  const text = formatFigures({ ...f, unanswered: [{ text: 'truc   inconnu', count: 3, langs: ['fr'] }] });
  expect(text).toContain('period                a .. b (lang=fr)');
  expect(text).toMatch(/^resolved by the bot +1 \(100\.0 %\)$/m);
  expect(text).toMatch(/^first response time +avg 1\.0 s, p50 1\.0 s, p90 1\.0 s \(n=1\)$/m);
  expect(text).toContain('     3  [fr] truc inconnu');
});
