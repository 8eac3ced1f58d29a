import type { Lang } from '../domain/types';
import type { ConversationRecord, InboxMark } from '../domain/insights';
import { DEFAULT_REPHRASE_WINDOW_MS, probablyWrong, type GivenAnswer } from './feedback';

/** Why a customer message counts as unanswered ("probably-wrong": answered, probably wrong, see feedback.ts). */
export type UnansweredReason = 'fallback' | 'clarify' | 'low-confidence' | 'probably-wrong';

export interface UnansweredMessage {
  text: string;
  at: string;
  conversationId: string;
  lang: Lang;
  reason: UnansweredReason;
  /** The answer given, for "probably-wrong". */
  answer?: GivenAnswer;
}

export interface InboxGroup {
  /** Stable id of the group: its key terms, base64url (so a mark needs no lookup to know what it covers). */
  key: string;
  terms: string[];
  count: number;
  langs: Lang[];
  reasons: Partial<Record<UnansweredReason, number>>;
  firstAt: string;
  lastAt: string;
  /** Most recent first, at most `examples`. */
  examples: { text: string; at: string; conversationId: string; lang: Lang; answer?: GivenAnswer }[];
  /** The entry the matcher leans to for the group's first message (filled by the caller). */
  topGuess?: { id: string; title: string; confidence: number };
}

export interface InboxOptions {
  /** An answer below this confidence counts as a doubtful answer ("low-confidence"). */
  lowConfidence: number;
  /** Two messages are the same question when the Jaccard index of their terms is at least this. */
  similarity: number;
  examples: number;
  /** Key terms kept per group (long messages). */
  maxTerms: number;
  /** A rephrasing or a request for a person this soon after an answer marks it probably wrong. */
  rephraseWindowMs: number;
}

export const DEFAULT_INBOX_OPTIONS: InboxOptions = {
  lowConfidence: 0.4,
  similarity: 0.5,
  examples: 5,
  maxTerms: 24,
  rephraseWindowMs: DEFAULT_REPHRASE_WINDOW_MS,
};

/**
 * Customer messages the bot did not answer well: typed text (not a button) whose turn got the honest fallback,
 * a "did you mean A or B?" (topic menus excluded: they answer a button), or an answer with confidence below
 * `lowConfidence`; also the message not understood that brought a person (reason "misunderstood"), whose fallback
 * was replaced by the handoff notice. Other turns inside a dialog, with a person, or answering the satisfaction
 * question are not counted: their replies are dialog/handoff replies. And answers probably wrong (feedback.ts),
 * with the answer given. Language: the conversation's.
 */
export function unansweredMessages(
  records: ConversationRecord[],
  lowConfidence = DEFAULT_INBOX_OPTIONS.lowConfidence,
  defaultLang: Lang = 'fr',
  rephraseWindowMs = DEFAULT_INBOX_OPTIONS.rephraseWindowMs,
): UnansweredMessage[] {
  const out: UnansweredMessage[] = [];
  for (const r of records) {
    const ms = r.messages;
    // Answered, but the customer said or showed it missed (a 👎, a rephrasing, a person asked for right after).
    const wrong = probablyWrong(r, rephraseWindowMs);
    // The second message in a row not understood is answered by the handoff notice, not a fallback: it is the
    // last customer message before a handoff requested for that reason.
    const beforeHandoff = new Set<number>();
    for (const h of r.handoffs) {
      if (h.reason !== 'misunderstood') continue;
      const last = ms.filter((m) => m.from === 'customer' && m.action === undefined && m.at <= h.requestedAt).pop();
      if (last) beforeHandoff.add(last.id);
    }
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i]!;
      if (m.from !== 'customer' || m.action !== undefined || !/[\p{L}\p{N}]/u.test(m.text)) continue;
      const answer = wrong.get(m.id);
      if (answer) {
        const lang = r.state.lang ?? defaultLang;
        out.push({ text: m.text, at: m.at, conversationId: m.conversationId, lang, reason: 'probably-wrong', answer });
        continue;
      }
      if (beforeHandoff.has(m.id)) {
        out.push({
          text: m.text,
          at: m.at,
          conversationId: m.conversationId,
          lang: r.state.lang ?? defaultLang,
          reason: 'fallback',
        });
        continue;
      }
      const turn = [];
      for (let j = i + 1; j < ms.length && ms[j]!.from !== 'customer'; j++)
        if (ms[j]!.from === 'bot' && ms[j]!.source) turn.push(ms[j]!.source!);
      let reason: UnansweredReason | undefined;
      // The "message too long" notice is a fallback without id or confidence placed before the real reply.
      const replies =
        turn.length > 1
          ? turn.filter((s) => !(s.kind === 'fallback' && s.id === undefined && s.confidence === undefined))
          : turn;
      if (replies.some((s) => s.kind === 'faq' && (s.confidence ?? 1) < lowConfidence)) reason = 'low-confidence';
      else if (
        replies.some(
          (s) =>
            s.kind === 'faq' ||
            s.kind === 'dialog' ||
            s.kind === 'smalltalk' ||
            s.kind === 'handoff' ||
            s.kind === 'agent',
        )
      )
        reason = undefined;
      else if (replies.some((s) => s.kind === 'clarify' && !s.id?.startsWith('topic:'))) reason = 'clarify';
      else if (replies.some((s) => s.kind === 'fallback')) reason = 'fallback';
      if (reason)
        out.push({
          text: m.text,
          at: m.at,
          conversationId: m.conversationId,
          lang: r.state.lang ?? defaultLang,
          reason,
        });
    }
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

export function jaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  const sb = new Set(b);
  let inter = 0;
  for (const x of new Set(a)) if (sb.has(x)) inter++;
  return inter / (new Set(a).size + sb.size - inter);
}

export const keyOf = (terms: readonly string[]) => Buffer.from(terms.join(' '), 'utf8').toString('base64url');

/** The terms a group key stands for; undefined if `key` is not one. */
export function termsOfKey(key: string): string[] | undefined {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(key)) return undefined;
  const terms = Buffer.from(key, 'base64url').toString('utf8').split(' ').filter(Boolean);
  return terms.length && keyOf(terms) === key ? terms : undefined;
}

/**
 * Groups similar unanswered messages (greedy, in time order): a message joins the group whose key terms (the
 * stemmed content words of its first message, as the matcher's analyzer produces them) are most similar by Jaccard
 * index, if at least `similarity`; otherwise it starts a group. Messages covered by an editor's mark are left out:
 * a dismissed group's for good, a handled group's when written before it was marked handled.
 */
export function groupUnanswered(
  messages: UnansweredMessage[],
  termsOf: (text: string, lang: Lang) => string[],
  marks: InboxMark[] = [],
  options: Partial<InboxOptions> = {},
): InboxGroup[] {
  const o = { ...DEFAULT_INBOX_OPTIONS, ...options };
  const groups: InboxGroup[] = [];
  for (const m of messages) {
    const terms = [...new Set(termsOf(m.text, m.lang))].sort().slice(0, o.maxTerms);
    if (terms.length === 0) continue;
    if (marks.some((k) => jaccard(k.terms, terms) >= o.similarity && (k.state === 'dismissed' || m.at <= k.at)))
      continue;
    let best: InboxGroup | undefined;
    let bestScore = 0;
    for (const g of groups) {
      const s = jaccard(g.terms, terms);
      if (s >= o.similarity && s > bestScore) [best, bestScore] = [g, s];
    }
    if (!best) {
      best = { key: keyOf(terms), terms, count: 0, langs: [], reasons: {}, firstAt: m.at, lastAt: m.at, examples: [] };
      groups.push(best);
    }
    best.count++;
    if (!best.langs.includes(m.lang)) best.langs.push(m.lang);
    best.reasons[m.reason] = (best.reasons[m.reason] ?? 0) + 1;
    best.lastAt = m.at;
    best.examples.unshift({
      text: m.text,
      at: m.at,
      conversationId: m.conversationId,
      lang: m.lang,
      ...(m.answer ? { answer: m.answer } : {}),
    });
    if (best.examples.length > o.examples) best.examples.pop();
  }
  return groups.sort((a, b) => b.count - a.count || (a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : 0));
}
