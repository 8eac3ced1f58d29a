import type { Lang, ReplyKind, ReplySource } from '../domain/types';
import type { MessageRecord } from '../domain/conversation';
import type { ConversationRecord } from '../domain/insights';
import { helpfulness, type Helpfulness } from './feedback';

/**
 * Service figures, computed from stored conversations. The definitions (also in README "Service figures"):
 *
 * - Population: conversations created in [from, to) with at least one customer message (a widget opened and
 *   left untouched is not a conversation), narrowed by language (the conversation's), channel and topic.
 * - Topic of a conversation: the topic of the first knowledge-base entry the bot answered with (or of the entry
 *   that starts the first dialog it ran), else the stored last topic, else "none".
 * - Response time of a customer message: from the message to the first later message from the bot or an agent.
 *   First response time: that of the conversation's first customer message. Messages never replied to are left out.
 * - Resolved by the bot: no handoff was requested and the bot gave at least one knowledge-base answer (reply kind
 *   "faq") or completed a dialog (asked the satisfaction question right after a dialog step). Resolution time:
 *   first customer message -> that first answer or dialog end.
 * - Resolved by a person: a handoff was requested and an agent handed the conversation back ("completed").
 *   Resolution time: first customer message -> the handback.
 * - Bot resolution rate: resolved by the bot / conversations. Handoff rate: conversations with a handoff request /
 *   conversations; handoffs by reason and queue count the requests.
 * - Time to agent: handoff request -> first agent message or join notice after it (requests cancelled or not yet
 *   taken are left out; `joined` counts the others).
 * - CSAT: the 1-5 answers to the satisfaction question; average and count per score.
 * - Helpfulness: the 👍 and 👎 on answers, per entry (feedback.ts).
 * - Statistics: n, mean, p50 and p90 by nearest rank (the value at rank ceil(p * n) in ascending order), in ms.
 */
export interface Stat {
  n: number;
  avg: number;
  p50: number;
  p90: number;
}

export interface FigureFilter {
  lang?: Lang;
  channel?: string;
  topic?: string;
}

export interface Breakdown {
  conversations: number;
  resolvedByBot: number;
  handoffs: number;
}

export interface Figures {
  from: string;
  to: string;
  filter: FigureFilter;
  conversations: number;
  customerMessages: number;
  firstResponseMs: Stat | null;
  responseMs: Stat | null;
  resolutionMs: Stat | null;
  resolved: { byBot: number; byPerson: number; unresolved: number; botRate: number | null };
  handoffs: {
    requests: number;
    conversations: number;
    rate: number | null;
    byReason: Record<string, number>;
    byQueue: Record<string, number>;
  };
  agentJoinMs: Stat | null;
  csat: { count: number; average: number | null; distribution: Record<'1' | '2' | '3' | '4' | '5', number> };
  helpfulness: Helpfulness;
  /** Bot replies by source kind (agents' messages under "agent"). */
  replies: Partial<Record<ReplyKind, number>>;
  /** Per UTC day of creation, per language, per channel, per topic. */
  byDay: Record<string, Breakdown>;
  byLang: Record<string, Breakdown>;
  byChannel: Record<string, Breakdown>;
  byTopic: Record<string, Breakdown>;
}

/** Topic of a reply's entry or dialog, from the knowledge base. */
export type TopicOf = (source: ReplySource) => string | undefined;

export function stat(values: number[]): Stat | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.max(0, Math.ceil(p * s.length) - 1)]!;
  return { n: s.length, avg: s.reduce((a, b) => a + b, 0) / s.length, p50: rank(0.5), p90: rank(0.9) };
}

const ms = (a: string, b: string) => Date.parse(b) - Date.parse(a);

/** The topic of a conversation (see above). */
export function topicOfConversation(r: ConversationRecord, topicOf?: TopicOf): string {
  if (topicOf) {
    for (const m of r.messages) {
      if (m.from !== 'bot' || !m.source?.id || (m.source.kind !== 'faq' && m.source.kind !== 'dialog')) continue;
      const t = topicOf(m.source);
      if (t) return t;
    }
  }
  return r.state.lastTopic ?? 'none';
}

/** Whether a conversation is in the population narrowed by `filter` (see above). */
export function matchesFilter(r: ConversationRecord, filter: FigureFilter, topicOf?: TopicOf): boolean {
  if (!r.messages.some((m) => m.from === 'customer')) return false;
  if (filter.lang && r.state.lang !== filter.lang) return false;
  if (filter.channel && r.state.channel !== filter.channel) return false;
  return !filter.topic || topicOfConversation(r, topicOf) === filter.topic;
}

const isReply = (m: MessageRecord) => m.from === 'bot' || m.from === 'agent';

/** When the bot resolved the conversation (first answer or dialog end), if it did. */
function botResolution(r: ConversationRecord): string | undefined {
  if (r.handoffs.length > 0) return undefined;
  for (let i = 0; i < r.messages.length; i++) {
    const m = r.messages[i]!;
    if (m.from !== 'bot' || !m.source) continue;
    if (m.source.kind === 'faq') return m.at;
    const prev = r.messages[i - 1];
    if (
      m.source.kind === 'dialog' &&
      m.source.id === 'csat' &&
      prev?.from === 'bot' &&
      prev.source?.kind === 'dialog' &&
      prev.source.id !== 'csat'
    )
      return m.at;
  }
  return undefined;
}

/** Durations and scores collected over the conversations, summarized at the end. */
interface Samples {
  first: number[];
  response: number[];
  resolution: number[];
  join: number[];
  scores: number[];
}

function emptyFigures(from: string, to: string, filter: FigureFilter): Figures {
  return {
    from,
    to,
    filter,
    conversations: 0,
    customerMessages: 0,
    firstResponseMs: null,
    responseMs: null,
    resolutionMs: null,
    resolved: { byBot: 0, byPerson: 0, unresolved: 0, botRate: null },
    handoffs: { requests: 0, conversations: 0, rate: null, byReason: {}, byQueue: {} },
    agentJoinMs: null,
    csat: { count: 0, average: null, distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 } },
    helpfulness: { up: 0, down: 0, rate: null, byEntry: {} },
    replies: {},
    byDay: {},
    byLang: {},
    byChannel: {},
    byTopic: {},
  };
}

export function computeFigures(
  records: ConversationRecord[],
  o: { from: string; to: string; filter?: FigureFilter; topicOf?: TopicOf },
): Figures {
  const filter = o.filter ?? {};
  const f = emptyFigures(o.from, o.to, filter);
  const samples: Samples = { first: [], response: [], resolution: [], join: [], scores: [] };
  const population = records.filter((r) => matchesFilter(r, filter, o.topicOf));
  for (const r of population) count(f, samples, r, o.topicOf);
  f.helpfulness = helpfulness(population);
  const { scores } = samples;
  f.firstResponseMs = stat(samples.first);
  f.responseMs = stat(samples.response);
  f.resolutionMs = stat(samples.resolution);
  f.agentJoinMs = stat(samples.join);
  if (f.conversations) {
    f.resolved.botRate = f.resolved.byBot / f.conversations;
    f.handoffs.rate = f.handoffs.conversations / f.conversations;
  }
  f.csat.count = scores.length;
  f.csat.average = scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null;
  return f;
}

/** Add one conversation to the figures. */
function count(f: Figures, samples: Samples, r: ConversationRecord, topicOf: TopicOf | undefined): void {
  const customer = r.messages.filter((m) => m.from === 'customer');
  f.conversations++;
  f.customerMessages += customer.length;
  r.messages.forEach((m, i) => {
    if (m.from !== 'customer') {
      const kind = m.source?.kind ?? (m.from === 'agent' ? 'agent' : undefined);
      if (kind) f.replies[kind] = (f.replies[kind] ?? 0) + 1;
      return;
    }
    const reply = r.messages.slice(i + 1).find(isReply);
    if (!reply) return;
    samples.response.push(ms(m.at, reply.at));
    if (m === customer[0]) samples.first.push(ms(m.at, reply.at));
  });

  const start = customer[0]!.at;
  const byBot = botResolution(r);
  const handback = r.handoffs.length
    ? r.messages.find((m) => m.from === 'bot' && m.source?.kind === 'handoff' && m.source.id === 'completed')
    : undefined;
  if (byBot) {
    f.resolved.byBot++;
    samples.resolution.push(ms(start, byBot));
  } else if (handback) {
    f.resolved.byPerson++;
    samples.resolution.push(ms(start, handback.at));
  } else f.resolved.unresolved++;

  countHandoffs(f, samples, r);
  if (r.state.csat) {
    samples.scores.push(r.state.csat.score);
    const k = String(r.state.csat.score) as keyof Figures['csat']['distribution'];
    if (k in f.csat.distribution) f.csat.distribution[k]++;
  }
  const add = (table: Record<string, Breakdown>, key: string) => {
    const b = (table[key] ??= { conversations: 0, resolvedByBot: 0, handoffs: 0 });
    b.conversations++;
    if (byBot) b.resolvedByBot++;
    if (r.handoffs.length) b.handoffs++;
  };
  add(f.byDay, r.state.createdAt.slice(0, 10));
  add(f.byLang, r.state.lang ?? 'none');
  add(f.byChannel, r.state.channel);
  add(f.byTopic, topicOfConversation(r, topicOf));
}

function countHandoffs(f: Figures, samples: Samples, r: ConversationRecord): void {
  if (r.handoffs.length) f.handoffs.conversations++;
  for (const h of r.handoffs) {
    f.handoffs.requests++;
    f.handoffs.byReason[h.reason] = (f.handoffs.byReason[h.reason] ?? 0) + 1;
    f.handoffs.byQueue[h.queue] = (f.handoffs.byQueue[h.queue] ?? 0) + 1;
    const joined = r.messages.find((m) => m.source?.kind === 'agent' && m.at >= h.requestedAt);
    if (joined) samples.join.push(ms(h.requestedAt, joined.at));
  }
}
