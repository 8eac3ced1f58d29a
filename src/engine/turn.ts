import { AppError } from '../domain/errors';
import type { IncomingMessage, Lang, Reply } from '../domain/types';
import { checkToken, type ConversationState, type MessageRecord, type NewMessage } from '../domain/conversation';
import { DIALOG_MESSAGES } from '../dialogs/messages';
import { fold } from '../nlp/normalize';
import type { LanguageGuess } from '../nlp/language';
import { HANDOFF_MESSAGES } from '../handoff/messages';
import { queueFor } from '../handoff/policy';
import type { EngineCore } from './core';
import { recordCsat, typedCsat } from './csat';
import { act } from './decide';
import { startDialog } from './dialogSteps';
import { inDialog } from './dialogTurn';
import { openHandoff, withPerson } from './handoffFlow';
import { MESSAGES } from './messages';
import { clip, overQuota } from './quota';
import { answerReply, fallbackReply, topicReply } from './replies';
import type { TurnTrace } from './types';

/**
 * One customer message: the conversation is read once (and the token checked against it), the message is stored
 * before anything else, then passed to the person in charge or understood by the bot; the turn is saved whole.
 */
export async function runTurn(core: EngineCore, msg: IncomingMessage, trace?: TurnTrace): Promise<Reply[]> {
  const state = await core.store.get(msg.conversationId);
  // Same answer for an unknown conversation and a wrong token: do not reveal which conversations exist.
  if (msg.tokenHash !== undefined) checkToken(state, msg.tokenHash, core.now(), core.options.tokenIdleMs);
  if (!state) throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${msg.conversationId}" not found`, 404);
  if (msg.text !== undefined) msg = { ...msg, text: clip(core, msg.text) };
  const quota = await overQuota(core, state, msg);
  if (quota) return quota;
  // Typing the label of a button just offered is clicking it (Teams' imBack, text-only channels, habits).
  if (msg.action === undefined && msg.text !== undefined && state.offered?.length) {
    const typed = fold(msg.text);
    const hit = state.offered.find((s) => fold(s.label) === typed);
    if (hit) msg = { ...msg, action: hit.value };
  }
  const customer = await storeCustomerMessage(core, state, msg);
  core.observer?.received?.(msg.channel);
  let replies: Reply[];
  if (state.handoff) replies = await withPerson(core, state, msg, customer);
  else {
    replies =
      msg.action !== undefined
        ? await onAction(core, state, msg.action)
        : await onText(core, state, msg.text ?? '', trace);
    const fallback = core.ctx(state).misunderstood === true;
    state.misunderstandings = fallback ? state.misunderstandings + 1 : 0;
    // Not understood twice in a row: a person will do better.
    if (fallback && state.misunderstandings >= 2 && core.requestHandoff(state, 'misunderstood')) {
      const lang = replies[0]?.lang ?? state.lang ?? core.options.defaultLang;
      replies = [{ text: HANDOFF_MESSAGES[lang].misunderstood, source: { kind: 'handoff' }, lang }];
    }
  }
  return finishTurn(core, state, replies);
}

/** What the customer wrote is stored first: nothing is lost even if processing fails. */
async function storeCustomerMessage(
  core: EngineCore,
  state: ConversationState,
  msg: IncomingMessage,
): Promise<MessageRecord> {
  const clientId = msg.clientId ? { clientId: msg.clientId } : {};
  const [customer] = await core.store.append(state.id, [
    msg.action !== undefined
      ? {
          at: core.now().toISOString(),
          from: 'customer',
          text: msg.text ?? msg.action,
          action: msg.action,
          ...clientId,
        }
      : { at: core.now().toISOString(), from: 'customer', text: msg.text ?? '', ...clientId },
  ]);
  return customer!;
}

/** Create a requested handoff, then save the state, the bot's replies and the events in one transaction. */
export async function finishTurn(core: EngineCore, state: ConversationState, replies: Reply[]): Promise<Reply[]> {
  const c = core.ctx(state);
  const lang = state.lang ?? replies[0]?.lang ?? core.options.defaultLang;
  if (c.handoff && !state.handoff) replies = await openHandoff(core, state, lang, replies);
  state.updatedAt = core.now().toISOString();
  const out: NewMessage[] = replies.map((r) => ({
    at: core.now().toISOString(),
    from: 'bot',
    text: r.text,
    source: r.source,
    kbVersion: core.c.kb.version,
    ...(r.suggestions?.length ? { suggestions: r.suggestions } : {}),
  }));
  const last = replies[replies.length - 1];
  state.offered = last?.suggestions?.length ? last.suggestions : undefined;
  const saved = await core.store.saveTurn(state, out, {
    events: c.events,
    ...(c.joined ? { joined: c.joined } : {}),
  });
  core.forget(state);
  if (c.handoff && state.handoff) core.observer?.handoff?.(state.handoff.reason, state.handoff.queue);
  core.observeSaved(saved);
  core.events.emit('message', state.id, saved, 'turn');
  return replies;
}

/** A typed message: rating, anger, the dialog under way, or matching and the decision. */
async function onText(core: EngineCore, state: ConversationState, raw: string, trace?: TurnTrace): Promise<Reply[]> {
  const text = raw.trim();
  const current = state.lang ?? core.options.defaultLang;
  if (!text || !/[\p{L}\p{N}]/u.test(text))
    return [{ text: MESSAGES[current].empty, source: { kind: 'fallback' }, lang: current }];
  const tooLong = text.length > core.options.maxTextLength;
  const clipped = tooLong ? text.slice(0, core.options.maxTextLength) : text;

  if (state.awaitingCsat) {
    state.awaitingCsat = false;
    const score = typedCsat(clipped);
    if (score !== undefined) return recordCsat(core, state, score);
  }
  // Computed once per message, and only when needed: a known language inside a dialog asks for nothing.
  let chosen: { lang: Lang; guess: LanguageGuess } | undefined;
  const choose = () => (chosen ??= core.chooseLanguage(state, clipped));
  {
    const lang = state.lang ?? choose().lang;
    if (core.isAngry(clipped, lang)) {
      state.lang = lang;
      core.requestHandoff(state, 'angry', queueFor(state.dialog?.dialogId ?? state.lastTopic));
      return [{ text: HANDOFF_MESSAGES[lang].angry, source: { kind: 'handoff' }, lang }];
    }
  }
  let replies: Reply[];
  let lang: Lang;
  // A dialog removed by a content update: the conversation goes on without it.
  if (state.dialog && !core.c.dialogs?.has(state.dialog.dialogId)) state.dialog = null;
  if (state.dialog && core.c.dialogs) {
    // Inside a dialog, short answers ("oui", "R-204518") must not switch the conversation's language.
    lang = state.lang ?? core.options.defaultLang;
    if (trace) trace.lang = lang;
    replies = await inDialog(core, state, clipped, lang, trace);
  } else {
    const understood = understand(core, clipped, choose());
    lang = understood.lang;
    state.lang = lang;
    if (trace) {
      trace.lang = lang;
      trace.match = understood.match;
    }
    replies = await act(core, state, understood.match, lang, clipped);
  }
  if (tooLong) replies.unshift({ text: MESSAGES[lang].tooLong, source: { kind: 'fallback' }, lang });
  return replies;
}

/** Match in the conversation's language, or in the detected one when only that understands the message. */
function understand(core: EngineCore, text: string, chosen: { lang: Lang; guess: LanguageGuess }) {
  const { guess } = chosen;
  let lang = chosen.lang;
  let match = core.match(text, lang);
  // A short message in another language ("merci" in an English conversation): if it is understood
  // there and not here, the customer switched.
  if (guess.lang !== lang && match.confidence < core.options.answerThreshold) {
    const other = core.match(text, guess.lang);
    if (other.confidence >= core.options.answerThreshold && other.confidence > match.confidence) {
      match = other;
      lang = guess.lang;
    }
  }
  return { lang, match };
}

/** A button: rating, question, dialog, topic, person, "none of these", or a dialog's own choice. */
async function onAction(core: EngineCore, state: ConversationState, action: string): Promise<Reply[]> {
  const c = core.c;
  const lang = state.lang ?? core.options.defaultLang;
  const [verb, arg] = action.includes(':')
    ? [action.slice(0, action.indexOf(':')), action.slice(action.indexOf(':') + 1)]
    : [action, ''];
  if (verb === 'csat' && /^[1-5]$/.test(arg)) return recordCsat(core, state, Number(arg));
  if (verb === 'faq') {
    const e = c.byId.get(arg);
    if (e && e.kind !== 'outofscope') {
      if (e.dialog && c.dialogs?.has(e.dialog)) {
        state.dialog = null;
        return startDialog(core, state, e.dialog, lang, '');
      }
      const reply = answerReply(c, e, lang, 1);
      // A question answered in the middle of a dialog: come back to its step.
      if (state.dialog && c.dialogs) return [reply, c.dialogs.prompt(state.dialog, lang, DIALOG_MESSAGES[lang].resume)];
      return [reply];
    }
  } else if (verb === 'dialog' && c.dialogs?.has(arg)) {
    state.dialog = null;
    return startDialog(core, state, arg, lang, '');
  } else if (verb === 'topic') {
    const reply = topicReply(c, arg, lang);
    if (reply) return [reply];
  } else if (verb === 'handoff') {
    const queue = queueFor(state.dialog?.dialogId ?? state.lastTopic);
    state.dialog = null;
    core.requestHandoff(state, 'customer-request', queue);
    const h = c.kb.entries.find((e) => e.kind === 'handoff');
    if (h) return [answerReply(c, h, lang, 1)];
    return [{ text: MESSAGES[lang].talkToPerson, source: { kind: 'handoff' }, lang }];
  } else if (verb === 'fallback') {
    return [fallbackReply(c, core.options.fallbackTopics, lang)];
  } else if (state.dialog && c.dialogs) {
    // A dialog's own button (a choice, yes/no, skip): the same as typing its value.
    return inDialog(core, state, action, lang);
  }
  return [{ text: MESSAGES[lang].unknownAction, source: { kind: 'fallback' }, lang }];
}
