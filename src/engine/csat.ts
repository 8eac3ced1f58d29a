import { RE2JS } from 're2js';
import type { Lang, Reply } from '../domain/types';
import type { ConversationState } from '../domain/conversation';
import { DIALOG_MESSAGES } from '../dialogs/messages';
import type { EngineCore } from './core';

/** The satisfaction question (1 to 5 as buttons); the conversation now waits for the rating. */
export function askCsat(state: ConversationState, lang: Lang): Reply {
  state.awaitingCsat = true;
  return {
    text: DIALOG_MESSAGES[lang].csatQuestion,
    suggestions: [1, 2, 3, 4, 5].map((n) => ({ label: String(n), value: `csat:${n}` })),
    source: { kind: 'dialog', id: 'csat' },
    lang,
  };
}

// RE2 (linear time): customer text, where the backtracking version was quadratic on long runs of spaces.
const RATING = RE2JS.compile('^\\s*([1-5])\\s*(?:/\\s*5)?\\s*$');

/** A typed rating ("4", "4/5"), or undefined for anything else. */
export function typedCsat(text: string): number | undefined {
  const score = RATING.exec(text) as string[] | null;
  return score ? Number(score[1]) : undefined;
}

/** Keep the rating (an outbox event tells the helpdesk) and thank the customer. */
export function recordCsat(core: EngineCore, state: ConversationState, score: number): Reply[] {
  const lang = state.lang ?? core.options.defaultLang;
  state.awaitingCsat = false;
  state.csat = { score, at: core.now().toISOString() };
  core.ctx(state).events.push({ type: 'csat.received', data: { score } });
  return [{ text: DIALOG_MESSAGES[lang].csatThanks, source: { kind: 'dialog', id: 'csat' }, lang }];
}
