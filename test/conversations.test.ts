/**
 * Conversation tests written as data: test/conversations/*.yaml (customer says -> expected entry or "fallback").
 * The first reply of a fresh conversation is classified as
 *   exact    - the expected entry's answer, the dialog it starts, a person for `handoff`, or for `fallback` the
 *              fallback itself;
 *   clarify  - a "did you mean" (for an entry: one that offers it among the choices);
 *   anything else is wrong.
 * Each case says which it expects (`result: clarify`, default exact) and gets exactly that; over all cases the
 * exact-answer rate must not fall below today's (README: "292 resolved exactly").
 * A case may say a first message (`after`, its reply unchecked: "annuler" after a "did you mean") and button values
 * the reply must offer (`offers`) or never offer (`never`).
 * (test/conversations/dev/ holds the separate development set used to tune thresholds: not run here.)
 */
import { join } from 'node:path';
import { buildCore } from '../src/app';
import { loadConfig } from '../src/config';
import { loadConversationCases, outcome, type ConversationCase } from '../src/engine/conversationCases';

const ROOT = join(__dirname, '..');
const core = buildCore(loadConfig({ LOG_LEVEL: 'silent', KB_DIR: join(ROOT, 'knowledge-base') }));
const cases = loadConversationCases(join(__dirname, 'conversations'));

/**
 * Today's measured figures: 292 of the 303 cases resolved exactly (257 of 265 before the long messages of
 * long-messages.yaml, harder, were added). Raise them when the bot gets better.
 */
const EXACT_FLOOR = 292;
const EXACT_RATE_FLOOR = 292 / 303;

type Result = 'exact' | 'clarify' | 'wrong';
interface Run {
  result: Result;
  lang: string;
  text: string;
  /** The first reply, as the failure message shows it. */
  got: string;
  /** The values of its buttons. */
  offered: string[];
}

const runs = new Map<ConversationCase, Promise<Run>>();
/** The bot's first reply to the case in a new conversation, classified (once per case, shared by the tests). */
function run(c: ConversationCase): Promise<Run> {
  let r = runs.get(c);
  if (!r) {
    r = (async () => {
      const conv = await core.engine.createConversation({ channel: 'test', lang: c.lang });
      if (c.after !== undefined) await core.engine.handle({ conversationId: conv.id, channel: 'test', text: c.after });
      const [first] = await core.engine.handle({ conversationId: conv.id, channel: 'test', text: c.says });
      const source = first!.source;
      const offered = (first!.suggestions ?? []).map((s) => s.value);
      const got = `${outcome(source)} [${offered.join(', ')}]`;
      let result: Result = 'wrong';
      if (c.expect === 'handoff') {
        if (source.kind === 'handoff') result = 'exact';
      } else if (c.expect === 'fallback') {
        if (source.kind === 'fallback') result = 'exact';
        else if (source.kind === 'clarify') result = 'clarify';
      } else {
        // An entry that starts a dialog answers with the dialog's first question.
        const dialog = core.kb.entries.find((e) => e.id === c.expect)?.dialog;
        if (outcome(source) === c.expect || (dialog !== undefined && source.kind === 'dialog' && source.id === dialog))
          result = 'exact';
        else if (source.kind === 'clarify' && offered.includes(`faq:${c.expect}`)) result = 'clarify';
      }
      return { result, lang: first!.lang, text: first!.text, got, offered };
    })();
    runs.set(c, r);
  }
  return r;
}

describe('conversation cases', () => {
  it('cover every knowledge-base entry in the three languages, and out-of-scope questions', () => {
    // Out-of-scope examples are covered by the "fallback" cases.
    const missing = core.kb.entries
      .filter((e) => e.kind !== 'outofscope')
      .flatMap((e) =>
        (['fr', 'ro', 'en'] as const)
          .filter((lang) => !cases.some((c) => c.expect === e.id && c.lang === lang))
          .map((lang) => `${e.id}/${lang}`),
      );
    expect(missing).toEqual([]);
    for (const lang of ['fr', 'ro', 'en'] as const)
      expect(cases.filter((c) => c.expect === 'fallback' && c.lang === lang).length).toBeGreaterThanOrEqual(5);
  });

  it.each(cases.map((c) => [`${c.lang}: ${c.says} -> ${c.expect} (${c.result ?? 'exact'})`, c] as const))(
    '%s',
    async (_name, c) => {
      const r = await run(c);
      const wanted = c.result ?? 'exact';
      if (r.result !== wanted)
        throw new Error(
          `expected ${wanted} for ${c.expect}, got ${r.result}: ${r.got}` +
            (r.result === 'exact' ? ' (answered exactly now: drop `result: clarify` and raise EXACT_FLOOR)' : ''),
        );
      expect(r.text.length).toBeGreaterThan(0);
      for (const v of c.offers ?? []) expect(r.offered).toContain(v);
      for (const v of c.never ?? []) expect(r.offered).not.toContain(v);
      if (c.expect !== 'fallback' && c.expect !== 'handoff') expect(r.lang).toBe(c.lang);
    },
  );

  it(`resolve at least ${EXACT_FLOOR} cases exactly (answer, dialog, person or honest fallback), no "did you mean"`, async () => {
    const results = await Promise.all(cases.map((c) => run(c)));
    const exact = results.filter((r) => r.result === 'exact').length;
    process.stdout.write(`conversation cases: ${exact}/${cases.length} resolved exactly\n`);
    expect(exact).toBeGreaterThanOrEqual(EXACT_FLOOR);
    expect(exact / cases.length).toBeGreaterThanOrEqual(EXACT_RATE_FLOOR);
  });
});
