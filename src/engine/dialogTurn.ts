import type { Lang, Reply } from '../domain/types';
import type { ConversationState } from '../domain/conversation';
import type { DialogRunner } from '../dialogs/runner';
import { CANCEL_WORDS, DIALOG_MESSAGES, HELP_WORDS } from '../dialogs/messages';
import { fold } from '../nlp/normalize';
import { queueFor } from '../handoff/policy';
import type { EngineCore } from './core';
import { act, decide } from './decide';
import { afterDialog, takeFiles } from './dialogSteps';
import { answerReply, clarifyReply } from './replies';
import type { TurnTrace } from './types';

type DialogState = NonNullable<ConversationState['dialog']>;

/** The customer wrote while a dialog waits for an answer. */
export async function inDialog(
  core: EngineCore,
  state: ConversationState,
  text: string,
  lang: Lang,
  trace?: TurnTrace,
): Promise<Reply[]> {
  const dialogs = core.c.dialogs!;
  const d = state.dialog!;
  const files = takeFiles(core, state);
  if (files.length) {
    // Files answer the step (a file step takes them, another keeps them for a later file step): no digression.
    delete d.pending;
    return afterDialog(core, state, await dialogs.answer(d, text, lang, files));
  }
  const f = fold(text);
  if (d.pending) {
    const confirmed = await onSwitchAnswer(core, state, dialogs, f, lang);
    if (confirmed) return confirmed;
    // Neither yes nor no: take it as an answer to the current step.
  }
  if (CANCEL_WORDS.has(f)) {
    state.dialog = null;
    return [{ text: DIALOG_MESSAGES[lang].cancelled, source: { kind: 'dialog', id: d.dialogId }, lang }];
  }
  if (HELP_WORDS.has(f) || f === '') return dialogs.help(d, lang);
  const interrupted = interruption(core, state, dialogs, text, lang, trace);
  if (interrupted) return interrupted;
  const step = await dialogs.answer(d, text, lang);
  return afterDialog(core, state, step);
}

/**
 * The answer to "leave this request for the other subject?": yes answers the question that was set aside, no comes
 * back to the step; undefined for anything else (the pending question is dropped either way).
 */
async function onSwitchAnswer(
  core: EngineCore,
  state: ConversationState,
  dialogs: DialogRunner,
  folded: string,
  lang: Lang,
): Promise<Reply[] | undefined> {
  const d = state.dialog!;
  const answer = /^(oui|yes|da|ok|d accord|sure|bien sur|sigur)\b/.test(folded)
    ? 'yes'
    : /^(non|no|nu)\b/.test(folded)
      ? 'no'
      : undefined;
  const pendingText = d.pending!.text;
  delete d.pending;
  if (answer === 'yes') {
    state.dialog = null;
    const { lang: l } = core.chooseLanguage(state, pendingText);
    const match = core.match(pendingText, l);
    return act(core, state, match, l, pendingText);
  }
  if (answer === 'no') return [dialogs.prompt(d, lang, DIALOG_MESSAGES[lang].resume)];
  return undefined;
}

/**
 * A question asked in the middle: answer it and come back to the step (for free-text steps only when the bot is
 * quite sure, since almost anything is a valid free text), offer to switch to another dialog, or hand off.
 * Undefined when the text is an answer to the step.
 */
function interruption(
  core: EngineCore,
  state: ConversationState,
  dialogs: DialogRunner,
  text: string,
  lang: Lang,
  trace?: TurnTrace,
): Reply[] | undefined {
  const c = core.c;
  const d = state.dialog!;
  const ask = dialogs.currentAsk(d);
  const valid = dialogs.accepts(d, text, lang);
  const free = dialogs.takesAnyText(d);
  if (!ask || (valid && !free)) return undefined;
  const match = core.match(text, lang);
  if (trace) trace.match = match;
  const decision = decide(match, core.kindOf, core.options);
  // Almost anything is a valid free text ("door scratched, box crushed"): there, only a confident question
  // about another subject is a digression.
  const sure =
    !free ||
    (match.confidence >= 0.6 && isQuestion(text) && c.byId.get(match.candidates[0]?.id ?? '')?.dialog !== d.dialogId);
  if (decision.action === 'answer' && sure) {
    const e = c.byId.get(decision.id)!;
    if (e.kind === 'handoff') {
      core.requestHandoff(state, 'customer-request', queueFor(d.dialogId));
      state.dialog = null;
      return [answerReply(c, e, lang, decision.confidence)];
    }
    if (e.dialog && e.dialog === d.dialogId) return [dialogs.prompt(d, lang)];
    if (e.dialog && dialogs.has(e.dialog)) {
      d.pending = { kind: 'switch', text };
      return [switchQuestion(dialogs, d, lang)];
    }
    if (e.kind === 'faq' || (e.kind === 'smalltalk' && !valid))
      return [answerReply(c, e, lang, decision.confidence), dialogs.prompt(d, lang, DIALOG_MESSAGES[lang].resume)];
  }
  if (decision.action === 'clarify' && !valid) {
    const ids = decision.ids.filter((id) => !c.byId.get(id)?.dialog);
    if (ids.length === 2)
      return [
        clarifyReply(c, ids as [string, string], lang, decision.confidence),
        dialogs.prompt(d, lang, DIALOG_MESSAGES[lang].resume),
      ];
  }
  return undefined;
}

/** "Leave this request for the other subject?" with yes/no buttons. */
function switchQuestion(dialogs: DialogRunner, d: DialogState, lang: Lang): Reply {
  const m = DIALOG_MESSAGES[lang];
  return {
    text: m.switchQuestion(dialogs.title(d, lang)),
    suggestions: [
      { label: m.yes, value: 'yes' },
      { label: m.no, value: 'no' },
    ],
    source: { kind: 'dialog', id: d.dialogId },
    lang,
  };
}

const QUESTION_START =
  /^(comment|quand|ou|pourquoi|quel|quelle|quels|quelles|est ce|combien|how|when|where|why|what|which|can|could|do|does|is|are|cum|cand|unde|de ce|care|ce|cat|cate|pot|puteti)\b/;

/** A question rather than a statement: ends with "?" or starts with an interrogative word. */
function isQuestion(text: string): boolean {
  return /\?\s*$/.test(text) || QUESTION_START.test(fold(text));
}
