/**
 * Service figures and the unanswered inbox, computed from conversations seeded directly into each real store
 * (memory, a SQLite file, a fresh PostgreSQL database) with fixed timestamps. The expected numbers are worked out
 * by hand below from the seed, not measured by the code under test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lang, ReplySource } from '../../src/domain/types';
import { newConversationState, type NewMessage } from '../../src/domain/conversation';
import type { HandoffReason, QueueName } from '../../src/domain/handoff';
import { MemoryConversationStore } from '../../src/storage/memory';
import type { ConversationStore, InsightsStore } from '../../src/storage/ports';
import { Insights } from '../../src/insights/service';
import { loadKnowledgeBase } from '../../src/knowledge/loader';
import { Analyzer } from '../../src/nlp/analyzer';
import { SqlConversationStore } from '../../src/storage/sql/store';
import { freshPgDatabase } from '../support/postgres';

type Store = ConversationStore & InsightsStore;

const { kb } = loadKnowledgeBase(path.join(__dirname, '..', '..', 'knowledge-base'));
const analyzer = new Analyzer(kb.synonyms);
// A small topic table of our own, so that the expected topics below do not depend on the sample knowledge base.
const TOPICS: Record<string, string> = {
  'delivery-delay': 'delivery',
  'warranty-coverage': 'warranty',
  'repair-status': 'repair',
};
const topicOf = (s: ReplySource) => (s.id ? TOPICS[s.id] : undefined);

interface Seed {
  id: string;
  channel: string;
  lang?: Lang;
  createdAt: string;
  csat?: number;
  queued?: { queue: QueueName; requestedAt: string };
  handoffs?: { reason: HandoffReason; queue: QueueName; requestedAt: string }[];
  /** [time, sender, text, source] */
  messages: [string, 'customer' | 'bot' | 'agent', string, ReplySource?][];
}

const c = (at: string, text: string): Seed['messages'][number] => [at, 'customer', text];
const b = (at: string, kind: ReplySource['kind'], id?: string, confidence?: number): Seed['messages'][number] => [
  at,
  'bot',
  `(${kind})`,
  { kind, ...(id ? { id } : {}), ...(confidence !== undefined ? { confidence } : {}) },
];

const SEEDS: Seed[] = [
  // A: answered from the knowledge base, then thanks; rated 5.
  {
    id: 'A',
    channel: 'widget',
    lang: 'fr',
    createdAt: '2026-11-02T09:59:59.000Z',
    csat: 5,
    messages: [
      c('2026-11-02T10:00:00.000Z', 'Ma commande a du retard'),
      b('2026-11-02T10:00:00.400Z', 'faq', 'delivery-delay', 0.8),
      c('2026-11-02T10:01:00.000Z', 'merci'),
      b('2026-11-02T10:01:00.200Z', 'smalltalk', 'thanks', 0.9),
    ],
  },
  // B: a dialog that ends (satisfaction question right after a dialog step); rated 4.
  {
    id: 'B',
    channel: 'widget',
    lang: 'en',
    createdAt: '2026-11-02T10:59:00.000Z',
    csat: 4,
    messages: [
      c('2026-11-02T11:00:00.000Z', 'where is my repair'),
      b('2026-11-02T11:00:01.000Z', 'dialog', 'repair-status'),
      c('2026-11-02T11:00:31.000Z', 'R-204518'),
      b('2026-11-02T11:00:32.000Z', 'dialog', 'repair-status'),
      b('2026-11-02T11:00:32.000Z', 'dialog', 'csat'),
      c('2026-11-02T11:00:40.000Z', '4'),
      b('2026-11-02T11:00:40.500Z', 'dialog', 'csat'),
    ],
  },
  // C: not understood twice -> handoff (misunderstood, general), an agent joins 2 min later, hands back; rated 2.
  {
    id: 'C',
    channel: 'teams',
    lang: 'fr',
    createdAt: '2026-11-03T12:00:00.000Z',
    csat: 2,
    handoffs: [{ reason: 'misunderstood', queue: 'general', requestedAt: '2026-11-03T12:00:10.500Z' }],
    messages: [
      c('2026-11-03T12:00:00.000Z', 'blabla xyz'),
      b('2026-11-03T12:00:00.500Z', 'fallback', undefined, 0.1),
      c('2026-11-03T12:00:10.000Z', 'toujours rien compris'),
      b('2026-11-03T12:00:10.500Z', 'handoff'),
      b('2026-11-03T12:00:10.500Z', 'handoff', 'queue'),
      b('2026-11-03T12:02:10.500Z', 'agent', 'Ana'),
      ['2026-11-03T12:02:30.000Z', 'agent', 'Bonjour, je regarde', { kind: 'agent', id: 'Ana' }],
      b('2026-11-03T12:05:00.000Z', 'handoff', 'completed'),
      b('2026-11-03T12:05:00.000Z', 'dialog', 'csat'),
      c('2026-11-03T12:05:30.000Z', '2'),
      b('2026-11-03T12:05:30.500Z', 'dialog', 'csat'),
    ],
  },
  // D: asks for a person (customer-request, warranty), then cancels: unresolved, nobody joined.
  {
    id: 'D',
    channel: 'widget',
    lang: 'ro',
    createdAt: '2026-11-03T13:00:00.000Z',
    handoffs: [{ reason: 'customer-request', queue: 'warranty', requestedAt: '2026-11-03T13:00:00.300Z' }],
    messages: [
      c('2026-11-03T13:00:00.000Z', 'vreau un operator'),
      b('2026-11-03T13:00:00.300Z', 'handoff', 'human-agent', 0.9),
      b('2026-11-03T13:00:00.300Z', 'handoff', 'queue'),
      c('2026-11-03T13:01:00.000Z', 'anulează'),
      b('2026-11-03T13:01:00.200Z', 'handoff'),
    ],
  },
  // E: a fallback and a "did you mean" on the same question (one inbox group), then an answer.
  {
    id: 'E',
    channel: 'widget',
    lang: 'fr',
    createdAt: '2026-11-05T14:00:00.000Z',
    messages: [
      c('2026-11-05T14:00:00.000Z', 'Est-ce que vous livrez en Corse ?'),
      b('2026-11-05T14:00:00.250Z', 'fallback', undefined, 0.2),
      c('2026-11-05T14:00:20.000Z', 'Vous livrez en Corse ?'),
      b('2026-11-05T14:00:20.250Z', 'clarify', 'delivery-delay', 0.3),
      c('2026-11-05T14:01:00.000Z', 'Combien de temps dure la garantie ?'),
      b('2026-11-05T14:01:00.250Z', 'faq', 'warranty-coverage', 0.9),
    ],
  },
  // F: English fallback (its own group: other words).
  {
    id: 'F',
    channel: 'widget',
    lang: 'en',
    createdAt: '2026-11-05T15:00:00.000Z',
    messages: [
      c('2026-11-05T15:00:00.000Z', 'do you deliver to Corsica?'),
      b('2026-11-05T15:00:00.100Z', 'fallback', undefined, 0.15),
    ],
  },
  // I: answered, but with low confidence (0.3 < 0.4): resolved by the bot and in the inbox.
  {
    id: 'I',
    channel: 'widget',
    lang: 'fr',
    createdAt: '2026-11-05T16:00:00.000Z',
    messages: [
      c('2026-11-05T16:00:00.000Z', 'la garantie couvre la rayure ?'),
      b('2026-11-05T16:00:00.600Z', 'faq', 'warranty-coverage', 0.3),
    ],
  },
  // G: before the period (not counted, not in the inbox).
  {
    id: 'G',
    channel: 'widget',
    lang: 'fr',
    createdAt: '2026-10-20T10:00:00.000Z',
    messages: [c('2026-10-20T10:00:00.000Z', 'blabla xyz'), b('2026-10-20T10:00:00.100Z', 'fallback', undefined, 0.1)],
  },
  // H: opened, nothing written (not a conversation).
  { id: 'H', channel: 'widget', createdAt: '2026-11-04T10:00:00.000Z', messages: [] },
  // K: waiting for a person now (queue gauge), created before the period.
  {
    id: 'K',
    channel: 'widget',
    lang: 'fr',
    createdAt: '2026-10-01T10:00:00.000Z',
    queued: { queue: 'returns', requestedAt: '2026-10-01T10:00:01.000Z' },
    messages: [],
  },
];

async function seed(store: Store, seeds: Seed[], prefix: string): Promise<void> {
  for (const s of seeds) {
    const id = `${prefix}-${s.id}`;
    const state = newConversationState({
      id,
      channel: s.channel,
      at: s.createdAt,
      ...(s.lang ? { lang: s.lang } : {}),
    });
    await store.create(state);
    if (s.csat) state.csat = { score: s.csat, at: s.createdAt };
    if (s.queued)
      state.handoff = {
        id: `h-${id}`,
        queue: s.queued.queue,
        lang: s.lang ?? 'fr',
        reason: 'customer-request',
        status: 'queued',
        requestedAt: s.queued.requestedAt,
      };
    const messages: NewMessage[] = s.messages.map(([at, from, text, source]) => ({
      at,
      from,
      text,
      ...(source ? { source } : {}),
    }));
    const events = (s.handoffs ?? []).map((h, i) => ({
      type: 'handoff.requested' as const,
      data: { handoffId: `h-${id}-${i}`, ...h },
    }));
    await store.saveTurn(state, messages, { events });
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'savbot-insights-'));
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const d of drops) await d();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const backends: { name: string; open(): Promise<Store> }[] = [
  { name: 'memory', open: async () => new MemoryConversationStore() },
  { name: 'SQLite', open: () => SqlConversationStore.open({ sqliteFile: path.join(tmp, `figures-${Date.now()}.db`) }) },
  {
    name: 'PostgreSQL',
    async open() {
      const db = await freshPgDatabase('savbot_insights');
      drops.push(db.drop);
      return SqlConversationStore.open({ url: db.url });
    },
  },
];

describe.each(backends)('figures and inbox: $name', (backend) => {
  let store: Store;
  let clock = new Date('2026-11-08T00:00:00.000Z');
  let insights: Insights;
  beforeAll(async () => {
    store = await backend.open();
    await seed(store, SEEDS, 's');
    insights = new Insights({ store, termsOf: (t, l) => analyzer.analyze(t, l).terms, topicOf, now: () => clock });
  });
  afterAll(() => store.close());

  test('the figures of the period, as computed by hand', async () => {
    const f = await insights.figures({ since: '7d' });
    expect([f.from, f.to]).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-08T00:00:00.000Z']);
    // In the period with a customer message: A B C D E F I (G is before, H has no message).
    expect(f.conversations).toBe(7);
    // Customer messages: A 2 + B 3 + C 3 + D 2 + E 3 + F 1 + I 1.
    expect(f.customerMessages).toBe(15);
    // First replies: A 400, B 1000, C 500, D 300, E 250, F 100, I 600 ms -> sorted 100 250 300 400 500 600 1000;
    // mean 3150 / 7 = 450; p50 = rank ceil(3.5) = 4th = 400; p90 = rank ceil(6.3) = 7th = 1000.
    expect(f.firstResponseMs).toEqual({ n: 7, avg: 450, p50: 400, p90: 1000 });
    // Every customer message: A 400 200; B 1000 1000 500; C 500 500 500 (its second message is answered by the
    // handoff notice 500 ms later, "2" by the thanks); D 300 200; E 250 250 250; F 100; I 600 -> n 15, sum 6550,
    // mean 436.67; sorted 100 200 200 250 250 250 300 [400] 500 500 500 500 600 1000 1000: p50 = 8th = 400,
    // p90 = rank ceil(13.5) = 14th = 1000.
    expect(f.responseMs).toEqual({ n: 15, avg: 6550 / 15, p50: 400, p90: 1000 });
    // By the bot: A (answer 400 ms after the first message), B (dialog end at 11:00:32 = 32000 ms), E (first
    // answer at 14:01:00.250 = 60250 ms; fallback and clarify are not answers), I (600 ms, even at low confidence).
    // By a person: C, handed back at 12:05:00 = 300000 ms. Unresolved: D (cancelled), F (fallback only).
    expect(f.resolved).toEqual({ byBot: 4, byPerson: 1, unresolved: 2, botRate: 4 / 7 });
    // 400 600 32000 60250 300000: mean 393250 / 5 = 78650; p50 = 3rd = 32000; p90 = rank ceil(4.5) = 5th.
    expect(f.resolutionMs).toEqual({ n: 5, avg: 78650, p50: 32000, p90: 300000 });
    // C and D: 2 of 7 conversations.
    expect(f.handoffs).toEqual({
      requests: 2,
      conversations: 2,
      rate: 2 / 7,
      byReason: { misunderstood: 1, 'customer-request': 1 },
      byQueue: { general: 1, warranty: 1 },
    });
    // C: requested 12:00:10.500, join notice 12:02:10.500 -> 120000 ms; D was cancelled before anyone joined.
    expect(f.agentJoinMs).toEqual({ n: 1, avg: 120000, p50: 120000, p90: 120000 });
    // A 5, B 4, C 2: (5 + 4 + 2) / 3.
    expect(f.csat).toEqual({ count: 3, average: 11 / 3, distribution: { '1': 0, '2': 1, '3': 0, '4': 1, '5': 1 } });
    // faq: A E I; smalltalk: A; dialog: B 4 + C 2; fallback: C E F; handoff: C 3 + D 3; agent: C join + message; clarify: E.
    expect(f.replies).toEqual({ faq: 3, smalltalk: 1, dialog: 6, fallback: 3, handoff: 6, agent: 2, clarify: 1 });
    // Topics: A delivery-delay -> delivery; B dialog repair-status -> repair; E, I warranty-coverage -> warranty.
    expect(f.byTopic).toEqual({
      delivery: { conversations: 1, resolvedByBot: 1, handoffs: 0 },
      repair: { conversations: 1, resolvedByBot: 1, handoffs: 0 },
      none: { conversations: 3, resolvedByBot: 0, handoffs: 2 },
      warranty: { conversations: 2, resolvedByBot: 2, handoffs: 0 },
    });
    expect(f.byDay).toEqual({
      '2026-11-02': { conversations: 2, resolvedByBot: 2, handoffs: 0 },
      '2026-11-03': { conversations: 2, resolvedByBot: 0, handoffs: 2 },
      '2026-11-05': { conversations: 3, resolvedByBot: 2, handoffs: 0 },
    });
    expect(f.byLang).toEqual({
      fr: { conversations: 4, resolvedByBot: 3, handoffs: 1 },
      en: { conversations: 2, resolvedByBot: 1, handoffs: 0 },
      ro: { conversations: 1, resolvedByBot: 0, handoffs: 1 },
    });
    expect(f.byChannel).toEqual({
      widget: { conversations: 6, resolvedByBot: 4, handoffs: 1 },
      teams: { conversations: 1, resolvedByBot: 0, handoffs: 1 },
    });
    // Most frequent unanswered question: E's two messages about Corsica.
    expect(f.unanswered[0]).toMatchObject({ text: 'Vous livrez en Corse ?', count: 2, langs: ['fr'] });
  });

  test('figures narrowed by language, channel and topic', async () => {
    // French: A C E I; by the bot A E I = 3/4; handoff C = 1/4; CSAT A 5, C 2 -> 3.5.
    const fr = await insights.figures({ since: '7d' }, { lang: 'fr' });
    expect([fr.conversations, fr.resolved.botRate, fr.handoffs.rate, fr.csat.average]).toEqual([4, 0.75, 0.25, 3.5]);
    // Teams: C only, resolved by a person in 300000 ms.
    const teams = await insights.figures({ since: '7d' }, { channel: 'teams' });
    expect([teams.conversations, teams.resolved.byPerson, teams.resolutionMs?.avg]).toEqual([1, 1, 300000]);
    // Its unanswered questions are those of the same conversations: C's two messages (newest first).
    expect(teams.unanswered.map((u) => [u.text, u.count])).toEqual([
      ['toujours rien compris', 1],
      ['blabla xyz', 1],
    ]);
    // Warranty: E and I, both resolved by the bot: 60250 and 600 -> mean 30425.
    const warranty = await insights.figures({ since: '7d' }, { topic: 'warranty' });
    expect([warranty.conversations, warranty.resolved.botRate, warranty.resolutionMs?.avg]).toEqual([2, 1, 30425]);
    // E's Corsica group (2) and I's low-confidence answer.
    expect(warranty.unanswered.map((u) => [u.text, u.count])).toEqual([
      ['Vous livrez en Corse ?', 2],
      ['la garantie couvre la rayure ?', 1],
    ]);
  });

  test('queue length per queue from the store', async () => {
    expect(await store.queuedHandoffs()).toEqual({ returns: 1 });
  });

  test('the inbox groups similar unanswered messages; dismissed and handled groups leave it', async () => {
    const groups = await insights.inbox({ since: '7d' });
    // Unanswered: C "blabla xyz" (fallback) and "toujours rien compris" (not understood again: the handoff notice
    // replaced its fallback), E x2 (fallback, clarify: same terms livr+cors), F (fallback), I (low confidence).
    // D's messages got handoff replies (a request for a person): not in the inbox. Most frequent first, then newest.
    expect(groups.map((g) => [g.examples.map((e) => e.text), g.count, g.langs, g.reasons])).toEqual([
      [['Vous livrez en Corse ?', 'Est-ce que vous livrez en Corse ?'], 2, ['fr'], { fallback: 1, clarify: 1 }],
      [['la garantie couvre la rayure ?'], 1, ['fr'], { 'low-confidence': 1 }],
      [['do you deliver to Corsica?'], 1, ['en'], { fallback: 1 }],
      [['toujours rien compris'], 1, ['fr'], { fallback: 1 }],
      [['blabla xyz'], 1, ['fr'], { fallback: 1 }],
    ]);
    expect(groups[0]!.examples[0]).toEqual({
      text: 'Vous livrez en Corse ?',
      at: '2026-11-05T14:00:20.000Z',
      conversationId: 's-E',
      lang: 'fr',
    });
    expect((await insights.inbox({ since: '7d' }, 'en')).map((g) => g.count)).toEqual([1]);

    const corsica = groups[0]!.key;
    const blabla = groups[4]!.key;
    await insights.mark(corsica, 'dismissed', 'alice');
    await insights.mark(blabla, 'handled', 'alice'); // at 2026-11-08T00:00
    expect((await insights.inbox({ since: '7d' })).map((g) => g.examples[0]!.text)).toEqual([
      'la garantie couvre la rayure ?',
      'do you deliver to Corsica?',
      'toujours rien compris',
    ]);
    expect((await store.inboxMarks()).map((m) => [m.key, m.state, m.by]).sort()).toEqual(
      [
        [blabla, 'handled', 'alice'],
        [corsica, 'dismissed', 'alice'],
      ].sort(),
    );

    // A day later, both questions come back: the dismissed one stays hidden, the handled one is back (the bot
    // still does not answer it), with only the new message.
    clock = new Date('2026-11-09T00:00:00.000Z');
    await seed(
      store,
      [
        {
          id: 'L',
          channel: 'widget',
          lang: 'fr',
          createdAt: '2026-11-08T12:00:00.000Z',
          messages: [
            c('2026-11-08T12:00:00.000Z', 'Vous livrez en Corse ?'),
            b('2026-11-08T12:00:00.100Z', 'fallback', undefined, 0.1),
            c('2026-11-08T12:01:00.000Z', 'blabla xyz'),
            b('2026-11-08T12:01:00.100Z', 'fallback', undefined, 0.1),
          ],
        },
      ],
      's',
    );
    const later = await insights.inbox({ since: '8d' });
    expect(later.map((g) => [g.examples[0]!.text, g.count])).toEqual([
      ['blabla xyz', 1],
      ['la garantie couvre la rayure ?', 1],
      ['do you deliver to Corsica?', 1],
      ['toujours rien compris', 1],
    ]);
    await expect(insights.mark('not a key!', 'dismissed', 'alice')).rejects.toMatchObject({
      code: 'INVALID_INBOX_KEY',
      status: 400,
    });
  });
});

describe.each(backends)('feedback on answers: $name', (backend) => {
  let store: Store;
  afterAll(() => store?.close());

  test("a bot answer's language and feedback flag, and the votes, come back; helpfulness and 'probably wrong' from them", async () => {
    store = await backend.open();
    const at = (s: number) => new Date(Date.parse('2026-10-10T10:00:00.000Z') + s * 1000).toISOString();
    const state = newConversationState({ id: 'fb-1', channel: 'widget', at: at(0), lang: 'ro' });
    await store.create(state);
    const answer = (s: number, text: string, id: string): NewMessage => ({
      at: at(s),
      from: 'bot',
      text,
      source: { kind: 'faq', id, confidence: 0.41 },
      lang: 'ro',
      feedback: true,
    });
    const saved = await store.saveTurn(
      state,
      [
        { at: at(1), from: 'customer', text: 'vindeți trotinete electrice?' },
        answer(1.2, 'Piese de schimb…', 'spare-parts'),
        { at: at(20), from: 'customer', text: '👎', action: 'feedback:down:spare-parts' },
        { at: at(20.1), from: 'bot', text: 'Ne pare rău', source: { kind: 'feedback', id: 'spare-parts' }, lang: 'ro' },
        { at: at(30), from: 'customer', text: 'cât costă livrarea?' },
        answer(30.2, 'Tarife: …', 'delivery-options'),
        // Helped: the request for a person after the vote says nothing of the delivery answer.
        { at: at(40), from: 'customer', text: '👍', action: 'feedback:up:delivery-options' },
        { at: at(45), from: 'customer', text: 'cum returnez un aspirator?' },
        answer(45.2, 'Aveți 30 de zile…', 'return-policy'),
        // A person asked for within the window: the return answer missed.
        { at: at(50), from: 'customer', text: 'vreau un om' },
        { at: at(50.1), from: 'bot', text: 'Un operator…', source: { kind: 'handoff', id: 'talk-to-person' } },
      ],
      {},
    );
    expect(saved.filter((m) => m.feedback).map((m) => m.source?.id)).toEqual([
      'spare-parts',
      'delivery-options',
      'return-policy',
    ]);
    const [record] = await store.conversationsCreated(at(0), at(3600));
    const bots = record!.messages.filter((m) => m.from === 'bot');
    expect(bots.map((m) => [m.lang ?? null, m.feedback ?? false])).toEqual([
      ['ro', true],
      ['ro', false],
      ['ro', true],
      ['ro', true],
      [null, false],
    ]);
    expect(record!.messages[2]).toMatchObject({ from: 'customer', action: 'feedback:down:spare-parts', text: '👎' });

    const insights = new Insights({
      store,
      termsOf: (t, l) => analyzer.analyze(t, l).terms,
      now: () => new Date('2026-10-11T00:00:00.000Z'),
    });
    const period = { since: '2026-10-10', until: '2026-10-11' };
    const f = await insights.figures(period);
    expect(f.helpfulness).toEqual({
      up: 1,
      down: 1,
      rate: 0.5,
      byEntry: { 'spare-parts': { up: 0, down: 1, rate: 0 }, 'delivery-options': { up: 1, down: 0, rate: 1 } },
    });
    const groups = await insights.inbox(period);
    expect(
      groups.map((g) => [g.examples[0]!.text, g.reasons, g.examples[0]!.answer?.id, g.examples[0]!.answer?.signal]),
    ).toEqual([
      ['cum returnez un aspirator?', { 'probably-wrong': 1 }, 'return-policy', 'person'],
      ['vindeți trotinete electrice?', { 'probably-wrong': 1 }, 'spare-parts', 'down-vote'],
    ]);
    expect(groups[1]!.examples[0]!.answer!.text).toBe('Piese de schimb…');
  });
});
