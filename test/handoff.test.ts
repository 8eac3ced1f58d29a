/**
 * Handoff transcripts written as data: test/handoff/*.yaml. Each case is a conversation seen from the customer's
 * side: the customer says or clicks something, or an agent acts (`agent: { joined | message | typing | completed }`,
 * sent with engine.agentEvent); every turn lists what the customer must see (`expect: none` for silence while the
 * agent is in charge) and optionally where the handoff stands (`handoff: queued | active | none`). After each case,
 * the webhook events queued for the agents (the outbox) are checked: their order, numbering and content. `absent` is
 * a text nothing the customer sees in the turn may contain; `joins` seeds the store with recent handoff-to-join
 * delays of the general queue (ms), the history the estimated wait is computed from.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { buildCore } from '../src/app';
import { FileConnector } from '../src/connectors/file';
import { LANGS, type ReplySource } from '../src/domain/types';
import { loadDialogFiles } from '../src/dialogs/loader';
import { DialogRunner } from '../src/dialogs/runner';
import { Engine, type AgentEvent } from '../src/engine/engine';
import { BusinessHours } from '../src/handoff/policy';
import { HANDOFF_REASONS, QUEUES } from '../src/domain/handoff';
import { MemoryConversationStore } from '../src/storage/memory';
import { testConfig } from './support/config';

const ROOT = join(__dirname, '..');
const expectation = z
  .object({
    from: z.enum(['bot', 'agent']).optional(),
    kind: z.string().optional(),
    id: z.string().optional(),
    contains: z.string().min(1).optional(),
  })
  .strict();
const agentTurn = z.union([
  z.object({ joined: z.string().min(1) }).strict(),
  z.object({ message: z.string().min(1), name: z.string().min(1).optional() }).strict(),
  z.object({ typing: z.string().min(1) }).strict(),
  z.object({ completed: z.string().nullable() }).strict(),
]);
const turnSchema = z
  .object({
    says: z.string().optional(),
    click: z.string().optional(),
    agent: agentTurn.optional(),
    expect: z.union([z.literal('none'), expectation, z.array(expectation).min(1)]).optional(),
    handoff: z.enum(['queued', 'active', 'none']).optional(),
    absent: z.string().min(1).optional(),
  })
  .strict()
  .refine(
    (t) => [t.says, t.click, t.agent].filter((x) => x !== undefined).length === 1,
    'a turn has exactly one of says, click, agent',
  )
  .refine((t) => t.agent !== undefined || t.expect !== undefined, 'a customer turn needs `expect`');
const eventExpectation = z.union([z.string(), z.object({ type: z.string() }).catchall(z.unknown())]);
const caseSchema = z.array(
  z
    .object({
      name: z.string(),
      lang: z.enum(LANGS),
      /** Fixed clock for the case (ISO date); each turn is one second later. */
      now: z.string().datetime().optional(),
      joins: z.array(z.number().int().min(0)).optional(),
      /** The handoff.requested event expected first (omit when the case must not hand off). */
      handoff: z
        .object({
          reason: z.enum(HANDOFF_REASONS as [string, ...string[]]),
          queue: z.enum(QUEUES as [string, ...string[]]),
        })
        .strict()
        .optional(),
      /** Every outbox event of the conversation, in order: a type, or a type with fields its data must have. */
      events: z.array(eventExpectation),
      turns: z.array(turnSchema).min(1),
    })
    .strict(),
);
type Expectation = z.infer<typeof expectation>;

/** What the customer sees: a reply of the turn, or (for agent turns) a message added to the transcript. */
interface Seen {
  from: 'bot' | 'agent' | 'customer';
  text: string;
  source?: ReplySource;
}

const dir = join(__dirname, 'handoff');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
// The shipped knowledge base and dialogs, from a clean test environment.
const config = testConfig();
// Wednesday 2026-11-25 11:00 in Paris: agents are at work unless a case sets its own clock.
const DEFAULT_NOW = '2026-11-25T10:00:00Z';
// The content (knowledge base, matcher, language detector, dialogs) is built once; every case gets its own engine,
// conversation store (so its own queue: positions never depend on what other cases left behind) and clock.
const connector = new FileConnector(join(ROOT, 'data', 'backoffice.json'));
const shared = buildCore(config, undefined, undefined, connector);
const { kb, matcher, detector } = shared.engine.content;
const dialogSet = loadDialogFiles(
  Object.entries(shared.content.files.dialogs).map(([file, source]) => ({ file, source })),
  kb,
).set!;
const titles = new Map(kb.entries.map((e) => [e.id, e.title]));

/** A fresh engine on the shared content, with its own store and the given clock (dialogs included). */
function caseCore(now: () => Date): { engine: Engine; store: MemoryConversationStore } {
  const store = new MemoryConversationStore();
  const engine = new Engine({
    kb,
    matcher,
    detector,
    store,
    dialogs: new DialogRunner(dialogSet, connector, now, (id, lang) => titles.get(id)?.[lang]),
    options: { ...config.matching, defaultLang: config.defaultLang },
    now,
    handoff: { triggers: new Set(config.handoff.triggers), hours: new BusinessHours(config.handoff.hours) },
  });
  return { engine, store };
}

const matches = (r: Seen, e: Expectation) =>
  (e.from === undefined || r.from === e.from) &&
  (e.kind === undefined || r.source?.kind === e.kind) &&
  (e.id === undefined || r.source?.id === e.id) &&
  (e.contains === undefined || r.text.toLowerCase().includes(e.contains.toLowerCase()));

const show = (seen: Seen[]) =>
  seen
    .map((r) => `  ${r.from} [${r.source?.kind ?? ''}${r.source?.id ? ' ' + r.source.id : ''}] ${r.text}`)
    .join('\n') || '  (nothing)';

interface WebhookBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & { conversationId: string; seq: number };
}

describe.each(files)('%s', (file) => {
  const cases = caseSchema.parse(parse(readFileSync(join(dir, file), 'utf8')));
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const base = Date.parse(c.now ?? DEFAULT_NOW);
    let clock = new Date(base);
    const { engine, store } = caseCore(() => clock);
    // Recent joins, through the store's own path (an agent joining another conversation earlier).
    if (c.joins?.length) {
      const seed = await engine.createConversation({ channel: 'test', lang: c.lang });
      for (const delay of c.joins) {
        const joinedAt = new Date(base - 60_000).toISOString();
        const requestedAt = new Date(base - 60_000 - delay).toISOString();
        await store.saveTurn(seed, [], { joined: { queue: 'general', requestedAt, joinedAt } });
      }
    }
    const conv = await engine.createConversation({ channel: 'test', lang: c.lang });
    // What the outbox must show, derived from the turns as they run.
    const forwarded: string[] = [];
    const closed: string[] = [];
    const ratings: number[] = [];
    let requestTexts: string[] | undefined;
    const said: string[] = [];
    let agentName = 'Agent';
    for (const [i, t] of c.turns.entries()) {
      clock = new Date(base + (i + 1) * 1000);
      const label = `turn ${i + 1} (${t.says ?? t.click ?? JSON.stringify(t.agent)})`;
      const before = await engine.getConversation(conv.id);
      const lastId = (await engine.transcript(conv.id)).at(-1)?.id ?? 0;
      let seen: Seen[];
      if (t.agent) {
        const a = t.agent;
        let event: AgentEvent;
        const typing: string[] = [];
        const onTyping = (id: string, name: string) => id === conv.id && typing.push(name);
        if ('joined' in a)
          event = { type: 'agent.joined', conversationId: conv.id, agent: { name: (agentName = a.joined) } };
        else if ('message' in a)
          event = {
            type: 'agent.message',
            conversationId: conv.id,
            text: a.message,
            agent: { name: (agentName = a.name ?? agentName) },
          };
        else if ('typing' in a) event = { type: 'agent.typing', conversationId: conv.id, agent: { name: a.typing } };
        else
          event = {
            type: 'handoff.completed',
            conversationId: conv.id,
            ...(a.completed ? { note: a.completed } : {}),
          };
        engine.events.on('typing', onTyping);
        try {
          await engine.agentEvent(event);
        } finally {
          engine.events.off('typing', onTyping);
        }
        if ('typing' in a) expect(typing).toEqual([a.typing]);
        if ('completed' in a && before?.handoff) closed.push('completed');
        seen = (await engine.transcript(conv.id, lastId)).map((m) => ({
          from: m.from,
          text: m.text,
          ...(m.source ? { source: m.source } : {}),
        }));
      } else {
        const text = t.says ?? t.click!;
        const replies = await engine.handle({
          conversationId: conv.id,
          channel: 'test',
          ...(t.click !== undefined ? { action: t.click } : { text: t.says! }),
        });
        seen = replies.map((r) => ({ from: 'bot', text: r.text, source: r.source }));
        const after = await engine.getConversation(conv.id);
        said.push(text);
        if (before?.handoff && !after?.handoff) closed.push('cancelled-by-customer');
        else if (before?.handoff) forwarded.push(text);
        if (!before?.handoff && after?.handoff) requestTexts = [...said];
        const score =
          /^csat:([1-5])$/.exec(t.click ?? '') ?? (before?.awaitingCsat ? /^([1-5])$/.exec(text.trim()) : null);
        if (score && after?.csat) ratings.push(Number(score[1]));
      }
      const wanted =
        t.expect === undefined ? [] : t.expect === 'none' ? [] : Array.isArray(t.expect) ? t.expect : [t.expect];
      if (t.expect === 'none' && seen.length) throw new Error(`${label}: expected no reply, got:\n${show(seen)}`);
      for (const e of wanted)
        if (!seen.some((r) => matches(r, e)))
          throw new Error(`${label}: expected ${JSON.stringify(e)}, got:\n${show(seen)}`);
      if (t.absent !== undefined && seen.some((r) => r.text.toLowerCase().includes(t.absent!.toLowerCase())))
        throw new Error(`${label}: expected nothing containing ${JSON.stringify(t.absent)}, got:\n${show(seen)}`);
      if (t.handoff) {
        const h = (await engine.getConversation(conv.id))!.handoff;
        if ((h?.status ?? 'none') !== t.handoff)
          throw new Error(`${label}: expected the handoff to be ${t.handoff}, it is ${h?.status ?? 'none'}`);
      }
    }

    // The outbox: numbered 1, 2, 3... in order, each body the Standard Webhooks event for this conversation.
    const events = await store.events(conv.id);
    const bodies = events.map((e) => JSON.parse(e.body) as WebhookBody);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect([...events].sort((a, b) => a.id - b.id).map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    for (const [i, e] of events.entries()) {
      expect(e.webhookId).toMatch(/^msg_/);
      expect(bodies[i]!.type).toBe(e.type);
      expect(bodies[i]!.data.conversationId).toBe(conv.id);
      expect(bodies[i]!.data.seq).toBe(e.seq);
    }
    expect(new Set(events.map((e) => e.webhookId)).size).toBe(events.length);
    // The list in the case file, exactly.
    expect(events.map((e) => e.type)).toEqual(c.events.map((x) => (typeof x === 'string' ? x : x.type)));
    for (const [i, x] of c.events.entries())
      if (typeof x !== 'string')
        expect(bodies[i]!.data).toMatchObject(Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'type')));

    // The request first, with the reason, queue, language and what the customer wrote up to it.
    if (c.handoff) {
      expect(events[0]?.type).toBe('handoff.requested');
      const d = bodies[0]!.data as WebhookBody['data'] & { transcript: Seen[]; handoffId: string };
      expect(d).toMatchObject({
        reason: c.handoff.reason,
        queue: c.handoff.queue,
        language: c.lang,
        channel: 'test',
      });
      expect(typeof d.handoffId).toBe('string');
      expect(requestTexts).toBeDefined();
      for (const text of requestTexts!)
        expect(d.transcript).toContainEqual(expect.objectContaining({ from: 'customer', text }));
      // ...and what the bot told the customer when it handed over (the queue status).
      expect(d.transcript.at(-1)).toMatchObject({ from: 'bot', source: { kind: 'handoff', id: 'queue' } });
      // Every event of the handoff carries its id.
      for (const b of bodies.slice(1)) if (b.type !== 'csat.received') expect(b.data.handoffId).toBe(d.handoffId);
      expect(events.filter((e) => e.type === 'handoff.requested')).toHaveLength(1);
    } else expect(events.some((e) => e.type === 'handoff.requested')).toBe(false);
    // What the customer wrote while with a person, each once, in order.
    expect(bodies.filter((b) => b.type === 'conversation.message').map((b) => b.data.text)).toEqual(forwarded);
    const transcript = await engine.transcript(conv.id);
    for (const b of bodies.filter((x) => x.type === 'conversation.message'))
      expect(transcript.find((m) => m.id === b.data.messageId)).toMatchObject({
        from: 'customer',
        text: b.data.text,
      });
    expect(bodies.filter((b) => b.type === 'conversation.closed').map((b) => b.data.reason)).toEqual(closed);
    expect(bodies.filter((b) => b.type === 'csat.received').map((b) => b.data.score)).toEqual(ratings);
    // The rating comes after the handoff is closed.
    const closedAt = events.findIndex((e) => e.type === 'conversation.closed');
    const ratedAt = events.findIndex((e) => e.type === 'csat.received');
    if (ratedAt >= 0 && closedAt >= 0) expect(ratedAt).toBeGreaterThan(closedAt);
  });
});

describe('agent events the engine refuses', () => {
  it('an unknown conversation is 404 and a conversation with the bot is 409, with nothing written', async () => {
    const { engine, store } = caseCore(() => new Date(DEFAULT_NOW));
    await expect(
      engine.agentEvent({ type: 'agent.joined', conversationId: 'no-such-conversation', agent: { name: 'Marie' } }),
    ).rejects.toMatchObject({ status: 404 });
    const conv = await engine.createConversation({ channel: 'test', lang: 'fr' });
    await engine.handle({ conversationId: conv.id, channel: 'test', text: 'bonjour' });
    const before = await engine.transcript(conv.id);
    await expect(
      engine.agentEvent({ type: 'agent.message', conversationId: conv.id, text: 'hello', agent: { name: 'Marie' } }),
    ).rejects.toMatchObject({
      code: 'NOT_WITH_AGENT',
      status: 409,
    });
    expect(await engine.transcript(conv.id)).toEqual(before);
    expect(await store.events(conv.id)).toEqual([]);
  });
});
