/** When the bot answers, asks "did you mean A or B?", or falls back honestly (engine options, MATCH_* settings). */
export interface DecisionThresholds {
  /** Answer when the match confidence is at least this and no other entry is close. */
  answerThreshold: number;
  /** Two entries are "close" when their scores differ by less than this: ask "did you mean A or B?"... */
  clarifyMargin: number;
  /** ...provided the confidence is at least this; below it, the honest fallback. */
  clarifyThreshold: number;
}

/** Chosen with `npm run tune` on test/conversations/dev (never on the test cases); .env.example repeats them. */
export const DEFAULT_THRESHOLDS: DecisionThresholds = {
  answerThreshold: 0.28,
  clarifyMargin: 0.2,
  clarifyThreshold: 0.28,
};
