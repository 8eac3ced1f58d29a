import type { FeedbackVote, Lang, Reply } from '../domain/types';
import { MESSAGES } from './messages';

/**
 * A click on "was this helpful? 👍 👎" under an answer. The vote itself is the customer's stored message (its action
 * `feedback:<vote>:<entry>`): the figures and the editors' inbox read it from the transcript, so nothing else is
 * written. A 👎 invites the customer to rephrase (the next message shows what was really asked) or to ask a person.
 */
export function feedbackReply(vote: FeedbackVote, entryId: string, lang: Lang): Reply {
  const m = MESSAGES[lang];
  if (vote === 'up') return { text: m.feedbackThanks, source: { kind: 'feedback', id: entryId }, lang };
  return {
    text: m.feedbackSorry,
    suggestions: [{ label: m.talkToPerson, value: 'handoff' }],
    source: { kind: 'feedback', id: entryId },
    lang,
  };
}
