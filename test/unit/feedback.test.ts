/**
 * Feedback on answers: the engine's answer to a 👍/👎 click, what is stored, and the two readings of the transcript
 * built on it (helpfulness per entry, "answered, probably wrong" in the editors' inbox), on hand-written records.
 */
import path from 'node:path';
import { parseFeedback, type ReplySource } from '../../src/domain/types';
import { newConversationState, type MessageRecord } from '../../src/domain/conversation';
import type { ConversationRecord } from '../../src/domain/insights';
import { buildContent } from '../../src/content/build';
import { readContentFiles } from '../../src/content/files';
import { Engine } from '../../src/engine/engine';
import { helpfulness, probablyWrong } from '../../src/insights/feedback';
import { computeFigures } from '../../src/insights/figures';
import { formatFigures } from '../../src/insights/format';
import { unansweredMessages } from '../../src/insights/inbox';
import { Metrics } from '../../src/metrics/metrics';
import { MemoryConversationStore } from '../../src/storage/memory';

const ROOT = path.join(__dirname, '..', '..');

let id = 0;
/** A message `s` seconds after 10:00. */
const msg = (s: number, from: MessageRecord['from'], text: string, source?: ReplySource, action?: string) =>
  ({
    id: ++id,
    conversationId: 'c1',
    at: new Date(Date.parse('2026-11-02T10:00:00.000Z') + s * 1000).toISOString(),
    from,
    text,
    ...(source ? { source } : {}),
    ...(action ? { action } : {}),
  }) as MessageRecord;
const record = (messages: MessageRecord[], cid = 'c1'): ConversationRecord => ({
  state: { ...newConversationState({ id: cid, channel: 'widget', at: '2026-11-02T10:00:00.000Z' }), lang: 'en' },
  messages: messages.map((m) => ({ ...m, conversationId: cid })),
  handoffs: [],
});
const faq = (entry: string, confidence = 0.8): ReplySource => ({ kind: 'faq', id: entry, confidence });

describe('feedback buttons in the engine', () => {
  let engine: Engine;
  beforeAll(async () => {
    const dirs = { kbDir: path.join(ROOT, 'knowledge-base'), dialogsDir: path.join(ROOT, 'dialogs') };
    const content = buildContent(readContentFiles(dirs), dirs, {}).content!;
    engine = new Engine({ ...content, store: new MemoryConversationStore(), options: { defaultLang: 'en' } });
  });

  test('an answer asks for feedback and carries its language; 👍 thanks, 👎 offers a person; both are stored', async () => {
    const conv = await engine.createConversation({ channel: 'test', lang: 'en' });
    const [answer] = await engine.handle({ conversationId: conv.id, channel: 'test', text: 'how much is shipping?' });
    expect(answer).toMatchObject({ feedback: true, lang: 'en', source: { kind: 'faq', id: 'delivery-options' } });
    expect(answer!.text).toMatch(/€4\.90/);
    const [up] = await engine.handle({
      conversationId: conv.id,
      channel: 'test',
      action: 'feedback:up:delivery-options',
    });
    expect(up).toEqual({
      text: 'Thank you for your feedback!',
      source: { kind: 'feedback', id: 'delivery-options' },
      lang: 'en',
    });
    const [down] = await engine.handle({
      conversationId: conv.id,
      channel: 'test',
      action: 'feedback:down:delivery-options',
      text: '👎',
    });
    expect(down!.source).toEqual({ kind: 'feedback', id: 'delivery-options' });
    expect(down!.suggestions).toEqual([{ label: 'Talk to a person', value: 'handoff' }]);
    const t = await engine.transcript(conv.id);
    expect(t.map((m) => [m.from, m.action ?? m.source?.kind, m.lang, m.feedback])).toEqual([
      ['customer', undefined, undefined, undefined],
      ['bot', 'faq', 'en', true],
      ['customer', 'feedback:up:delivery-options', undefined, undefined],
      ['bot', 'feedback', 'en', undefined],
      ['customer', 'feedback:down:delivery-options', undefined, undefined],
      ['bot', 'feedback', 'en', undefined],
    ]);
    expect(t[4]!.text).toBe('👎');
  });

  test('small talk and dialogs do not ask; a malformed vote is a stale button', async () => {
    const conv = await engine.createConversation({ channel: 'test', lang: 'fr' });
    const [hello] = await engine.handle({ conversationId: conv.id, channel: 'test', text: 'bonjour' });
    expect(hello!.source.kind).toBe('smalltalk');
    expect(hello!.feedback).toBeUndefined();
    const [bad] = await engine.handle({ conversationId: conv.id, channel: 'test', action: 'feedback:maybe:x' });
    expect(bad!.text).toMatch(/plus valable/);
    expect(parseFeedback('feedback:down:Not An Id')).toBeUndefined();
    expect(parseFeedback('feedback:down:warranty-claim')).toEqual({ vote: 'down', entryId: 'warranty-claim' });
  });
});

test('/metrics counts the votes by entry, for entries of the published knowledge base only', async () => {
  const dirs = { kbDir: path.join(ROOT, 'knowledge-base'), dialogsDir: path.join(ROOT, 'dialogs') };
  const store = new MemoryConversationStore();
  const metrics = new Metrics(store, { defaultMetrics: false });
  const engine = new Engine({
    ...buildContent(readContentFiles(dirs), dirs, {}).content!,
    store,
    observer: metrics.engineObserver(),
  });
  const conv = await engine.createConversation({ channel: 'test', lang: 'fr' });
  for (const action of [
    'feedback:down:delivery-options',
    'feedback:down:delivery-options',
    'feedback:up:no-such-entry',
  ])
    await engine.handle({ conversationId: conv.id, channel: 'test', action });
  const body = (await metrics.scrape()).body;
  expect(body).toMatch(/^savbot_feedback_total\{vote="down",entry="delivery-options"\} 2$/m);
  // A made-up id in a button value is answered, not counted: the label set stays the knowledge base's.
  expect(body).not.toMatch(/no-such-entry/);
});

describe('answered, probably wrong', () => {
  test('a 👎 marks the latest typed question answered from that entry, with the answer given', () => {
    const r = record([
      msg(0, 'customer', 'do you sell scooters?'),
      msg(1, 'bot', 'Spare parts are…', faq('spare-parts')),
      msg(30, 'customer', 'merci'),
      msg(31, 'bot', 'You are welcome', { kind: 'smalltalk', id: 'thanks' }),
      // Hours later: no window for a vote.
      msg(9000, 'customer', '👎', undefined, 'feedback:down:spare-parts'),
      msg(9001, 'bot', 'Sorry', { kind: 'feedback', id: 'spare-parts' }),
    ]);
    const wrong = probablyWrong(r);
    expect([...wrong.values()]).toEqual([{ id: 'spare-parts', text: 'Spare parts are…', signal: 'down-vote' }]);
    const inbox = unansweredMessages([r], 0.4, 'fr');
    expect(inbox.map((m) => [m.text, m.reason, m.answer?.id])).toEqual([
      ['do you sell scooters?', 'probably-wrong', 'spare-parts'],
    ]);
  });

  test('a rephrasing or a request for a person right after an answer marks it; thanks, the same entry or a late message do not', () => {
    const cases: [string, MessageRecord[], string | undefined][] = [
      [
        'answered from another entry',
        [msg(40, 'customer', 'electric scooters'), msg(41, 'bot', 'x', faq('returns'))],
        'rephrased',
      ],
      [
        'fallback',
        [msg(40, 'customer', 'trottinette'), msg(41, 'bot', 'x', { kind: 'fallback', confidence: 0.1 })],
        'rephrased',
      ],
      [
        'did you mean',
        [msg(40, 'customer', 'hmm'), msg(41, 'bot', 'x', { kind: 'clarify', id: 'a', confidence: 0.3 })],
        'rephrased',
      ],
      [
        'typed request for a person',
        [msg(40, 'customer', 'a human please'), msg(41, 'bot', 'x', { kind: 'handoff', id: 'talk-to-person' })],
        'person',
      ],
      [
        'person button',
        [msg(40, 'customer', 'Talk to a person', undefined, 'handoff'), msg(41, 'bot', 'x', { kind: 'handoff' })],
        'person',
      ],
      ['thanks', [msg(40, 'customer', 'thanks'), msg(41, 'bot', 'x', { kind: 'smalltalk', id: 'thanks' })], undefined],
      ['same entry again', [msg(40, 'customer', 'and the price?'), msg(41, 'bot', 'x', faq('spare-parts'))], undefined],
      [
        'a dialog',
        [msg(40, 'customer', 'track MV-1234567'), msg(41, 'bot', 'x', { kind: 'dialog', id: 'order-tracking' })],
        undefined,
      ],
      [
        'a 👍',
        [
          msg(40, 'customer', '👍', undefined, 'feedback:up:spare-parts'),
          msg(41, 'bot', 'x', { kind: 'feedback', id: 'spare-parts' }),
        ],
        undefined,
      ],
      [
        'after the window',
        [msg(200, 'customer', 'electric scooters'), msg(201, 'bot', 'x', faq('returns'))],
        undefined,
      ],
    ];
    for (const [name, next, signal] of cases) {
      const r = record([
        msg(0, 'customer', 'do you sell scooters?'),
        msg(1, 'bot', 'Spare parts are…', faq('spare-parts')),
        ...next,
      ]);
      const got = [...probablyWrong(r).entries()];
      expect({ name, got: got.map(([, a]) => a.signal) }).toEqual({ name, got: signal ? [signal] : [] });
      if (signal) expect(got[0]![0]).toBe(r.messages[0]!.id);
    }
    // The window is a setting of the inbox.
    const late = record([
      msg(0, 'customer', 'do you sell scooters?'),
      msg(1, 'bot', 'Spare parts are…', faq('spare-parts')),
      msg(200, 'customer', 'electric scooters'),
      msg(201, 'bot', 'x', faq('returns')),
    ]);
    expect(probablyWrong(late, 300_000).size).toBe(1);
    expect(unansweredMessages([late], 0.4, 'fr', 300_000).map((m) => m.reason)).toEqual(['probably-wrong']);
  });
});

describe('helpfulness per entry', () => {
  test('counts the last vote of each conversation on an entry, with the rate, in the figures and the report', () => {
    const a = record(
      [
        msg(0, 'customer', 'q'),
        msg(1, 'bot', 'a', faq('delivery-options')),
        msg(2, 'customer', '👎', undefined, 'feedback:down:delivery-options'),
        // Changed their mind: the 👍 is what counts for this conversation.
        msg(3, 'customer', '👍', undefined, 'feedback:up:delivery-options'),
        msg(4, 'customer', '👍', undefined, 'feedback:up:returns'),
      ],
      'A',
    );
    const b = record(
      [
        msg(0, 'customer', 'q'),
        msg(1, 'bot', 'a', faq('delivery-options')),
        msg(2, 'customer', '👎', undefined, 'feedback:down:delivery-options'),
      ],
      'B',
    );
    const h = helpfulness([a, b]);
    expect(h).toEqual({
      up: 2,
      down: 1,
      rate: 2 / 3,
      byEntry: { 'delivery-options': { up: 1, down: 1, rate: 0.5 }, returns: { up: 1, down: 0, rate: 1 } },
    });
    const f = computeFigures([a, b], { from: '2026-11-01T00:00:00.000Z', to: '2026-11-08T00:00:00.000Z' });
    expect(f.helpfulness).toEqual(h);
    expect(formatFigures(f)).toMatch(
      /helpful answers\s+66\.7 % \(up 2, down 1; by entry up\/down: delivery-options 1\/1 \(50\.0 %\), returns 1\/0 \(100\.0 %\)\)/,
    );
    expect(computeFigures([], { from: 'a', to: 'b' }).helpfulness).toEqual({ up: 0, down: 0, rate: null, byEntry: {} });
  });
});
