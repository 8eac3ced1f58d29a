import type { KbEntry, KnowledgeBase, Lang, Reply } from '../domain/types';
import type { ConversationState } from '../domain/conversation';
import type { MatchResult } from '../matching/matcher';
import { queueFor } from '../handoff/policy';
import { asksForPerson } from '../nlp/cues';
import type { EngineCore } from './core';
import { askCsat } from './csat';
import { startDialog } from './dialogSteps';
import { answerReply, clarifyReply, fallbackReply } from './replies';
import type { EngineOptions } from './types';

export type Decision =
  | { action: 'answer'; id: string; confidence: number }
  | { action: 'clarify'; ids: [string, string]; confidence: number }
  | { action: 'fallback'; id?: string; confidence?: number };

/** What the message says whatever the content: the handoff entry to answer when it asks for a person. */
export interface Cues {
  person?: string;
}

/** The cues of a customer's text for decide() (the editors' console can pass the same). */
export function cuesOf(text: string, kb: Pick<KnowledgeBase, 'entries'>): Cues {
  const person = asksForPerson(text) ? kb.entries.find((e) => e.kind === 'handoff')?.id : undefined;
  return person ? { person } : {};
}

// Two courtesies in one message ("thanks, goodbye", "mulțumesc, la revedere"): the closing one answers.
const CLOSING = ['goodbye', 'thanks'];
/** How close to one of its sample questions a part of the message must be to count as saying it. */
const CLOSING_SIMILARITY = 0.4;
/** How much closer to a real entry's sample questions than to the off-topic examples a message must be to leave them. */
const OUT_OF_SCOPE_MARGIN = 0.05;
/** Whether entry `a` closes a conversation more than entry `b` ("goodbye" over "thanks" over anything else). */
function closer(a: string, b: string): boolean {
  const rank = (id: string) => (CLOSING.includes(id) ? CLOSING.indexOf(id) : CLOSING.length);
  return rank(a) < rank(b);
}

/**
 * The decision rule, on its own so that tuning and tests use exactly what the bot does: answer when confident
 * and no other entry is close; "did you mean" when two entries are close; otherwise the honest fallback
 * (always for messages that resemble the out-of-scope examples, and for messages whose subject the shop never
 * mentions). Small talk is courtesy around a request, never a choice offered beside a real entry.
 */
export function decide(
  match: MatchResult,
  kindOf: (id: string) => KbEntry['kind'] | undefined,
  o: Pick<EngineOptions, 'answerThreshold' | 'clarifyThreshold' | 'clarifyMargin'>,
  cues: Cues = {},
): Decision {
  const confidence = match.confidence;
  if (cues.person) return { action: 'answer', id: cues.person, confidence };
  const [c1, c2] = match.candidates;
  if (!c1) return { action: 'fallback' };
  const k1 = kindOf(c1.id);
  if (k1 === 'outofscope') {
    // A story about a product (12 words or more) leans to the off-topic examples by its length; a real entry whose
    // sample questions the message resembles more ("connect to my account" beside "my Instagram password") is what was asked.
    const real = c2 && (kindOf(c2.id) === 'faq' || kindOf(c2.id) === 'handoff') ? c2 : undefined;
    const own = real ? Math.sqrt(real.score * (real.similarity ?? 0)) : 0;
    if (
      real &&
      match.long &&
      !match.unknown &&
      (real.similarity ?? 0) > c1.similarity! + OUT_OF_SCOPE_MARGIN &&
      own >= o.clarifyThreshold
    )
      return own >= o.answerThreshold
        ? { action: 'answer', id: real.id, confidence: own }
        : { action: 'fallback', confidence: own };
    return { action: 'fallback', id: c1.id, confidence };
  }
  // Sharing only "sell"/"vendre"/"vinde" with an entry is no reason to answer from it.
  if (match.unknown && k1 === 'faq') return { action: 'fallback', confidence };
  const k2 = c2 && kindOf(c2.id);
  let close = c2 !== undefined && c1.score - c2.score < o.clarifyMargin;
  // A closing courtesy said in so many words ("merci beaucoup, au revoir") closes, however strong the thanks.
  const saysClosing = c2 !== undefined && (c2.similarity ?? 0) >= CLOSING_SIMILARITY && closer(c2.id, c1.id);
  if (k1 === 'smalltalk' && k2 === 'smalltalk' && (close || saysClosing)) {
    const closing = CLOSING.find((id) => id === c1.id || id === c2!.id) ?? c1.id;
    if (confidence >= o.clarifyThreshold) return { action: 'answer', id: closing, confidence };
    return { action: 'fallback', confidence };
  }
  if (close && k2 === 'smalltalk') close = false;
  // A story close to the off-topic examples by its length, but resembling a real entry more: that entry.
  else if (close && k2 === 'outofscope' && match.long && k1 === 'faq' && !match.unknown)
    close = match.similarity <= (c2!.similarity ?? 1) + OUT_OF_SCOPE_MARGIN;
  else if (close && k1 === 'smalltalk' && k2 !== 'outofscope') {
    // "Bonjour, ..." leaning to the greeting beside a real entry: the real entry on its own merits.
    const own = Math.sqrt(c2!.score * (c2!.similarity ?? 0));
    if (own >= o.answerThreshold) return { action: 'answer', id: c2!.id, confidence: own };
    return { action: 'fallback', confidence: own };
  }
  if (confidence >= o.answerThreshold && !close) return { action: 'answer', id: c1.id, confidence };
  if (close && k2 !== 'outofscope' && confidence >= o.clarifyThreshold)
    return { action: 'clarify', ids: [c1.id, c2!.id], confidence };
  return { action: 'fallback', confidence };
}

/** Act on the decision for a matched message: answer (or start the entry's dialog), clarify, or fall back. */
export async function act(
  core: EngineCore,
  state: ConversationState,
  match: MatchResult,
  lang: Lang,
  text: string,
): Promise<Reply[]> {
  const c = core.c;
  const d = decide(match, core.kindOf, core.options, cuesOf(text, c.kb));
  if (d.action === 'answer') {
    const e = c.byId.get(d.id)!;
    if (e.dialog && c.dialogs?.has(e.dialog))
      return startDialog(core, state, e.dialog, lang, text, answerReply(c, e, lang, d.confidence));
    if (e.kind === 'faq') state.lastTopic = e.topic;
    const reply = answerReply(c, e, lang, d.confidence);
    if (e.kind === 'handoff') core.requestHandoff(state, 'customer-request', queueFor(state.lastTopic));
    else if (e.handoff) core.requestHandoff(state, 'content', queueFor(e.topic));
    // Saying goodbye ends the conversation: ask for a rating once.
    if (e.id === 'goodbye' && !state.csat) return [reply, askCsat(state, lang)];
    return [reply];
  }
  if (d.action === 'clarify') return [clarifyReply(c, d.ids, lang, d.confidence)];
  // Not understood: nothing matched well enough (a weak lean towards the out-of-scope examples included).
  if (!d.id || (d.confidence ?? 0) < core.options.answerThreshold) core.ctx(state).misunderstood = true;
  return [fallbackReply(c, core.options.fallbackTopics, lang, d.confidence, d.id, match.candidates)];
}
