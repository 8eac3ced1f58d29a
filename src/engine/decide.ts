import type { KbEntry, Lang, Reply } from '../domain/types';
import type { ConversationState } from '../domain/conversation';
import type { MatchResult } from '../matching/matcher';
import { queueFor } from '../handoff/policy';
import type { EngineCore } from './core';
import { askCsat } from './csat';
import { startDialog } from './dialogSteps';
import { answerReply, clarifyReply, fallbackReply } from './replies';
import type { EngineOptions } from './types';

export type Decision =
  | { action: 'answer'; id: string; confidence: number }
  | { action: 'clarify'; ids: [string, string]; confidence: number }
  | { action: 'fallback'; id?: string; confidence?: number };

/**
 * The decision rule, on its own so that tuning and tests use exactly what the bot does: answer when confident
 * and no other entry is close; "did you mean" when two entries are close; otherwise the honest fallback
 * (always for messages that resemble the out-of-scope examples).
 */
export function decide(
  match: MatchResult,
  kindOf: (id: string) => KbEntry['kind'] | undefined,
  o: Pick<EngineOptions, 'answerThreshold' | 'clarifyThreshold' | 'clarifyMargin'>,
): Decision {
  const [c1, c2] = match.candidates;
  if (!c1) return { action: 'fallback' };
  const confidence = match.confidence;
  if (kindOf(c1.id) === 'outofscope') return { action: 'fallback', id: c1.id, confidence };
  const close = c2 !== undefined && c1.score - c2.score < o.clarifyMargin;
  if (confidence >= o.answerThreshold && !close) return { action: 'answer', id: c1.id, confidence };
  if (close && kindOf(c2.id) !== 'outofscope' && confidence >= o.clarifyThreshold)
    return { action: 'clarify', ids: [c1.id, c2.id], confidence };
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
  const d = decide(match, core.kindOf, core.options);
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
  return [fallbackReply(c, core.options.fallbackTopics, lang, d.confidence, d.id)];
}
