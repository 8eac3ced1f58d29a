import { AppError } from '../domain/errors';
import { parseFeedback, type IncomingMessage, type Lang, type Reply } from '../domain/types';
import { checkToken, type ConversationState, type NewMessage } from '../domain/conversation';
import { DIALOG_MESSAGES } from '../dialogs/messages';
import { isDismissal } from '../nlp/cues';
import { fold } from '../nlp/normalize';
import type { LanguageGuess } from '../nlp/language';
import { HANDOFF_MESSAGES } from '../handoff/messages';
import { queueFor } from '../handoff/policy';
import type { EngineCore } from './core';
import { recordCsat, typedCsat } from './csat';
import { act } from './decide';
import { filesReceived, filesWithoutRequest, startDialog, takeFiles } from './dialogSteps';
import { inDialog } from './dialogTurn';
import { emailTurn } from './email';
import { feedbackReply } from './feedback';
import { openHandoff, withPerson } from './handoffFlow';
import { MESSAGES } from './messages';
import { clip, overQuota } from './quota';
import { answerReply, fallbackReply, topicReply } from './replies';
import type { MessageOrigin } from './events';
import type { TurnTrace } from './types';

/**
 * One customer message: the conversation and its message count are read once (and the token checked against them),
 * then the message is passed to the person in charge or understood by the bot, and the turn is saved whole: one read
 * and one write transaction for a plain answer. The customer's message is written with the bot's replies when the
 * bot answers from memory (FAQ, small talk, buttons: nothing is acknowledged before that commit, so nothing
 * acknowledged can be lost); it is written alone first when the turn reaches outside the process (a person in charge,
 * a dialog under way with its back-office lookups, a handoff being opened) or when processing fails.
 */
export async function runTurn(core: EngineCore, msg: IncomingMessage, trace?: TurnTrace): Promise<Reply[]> {
  const read = await core.store.getForTurn(msg.conversationId);
  const state = read?.state;
  // Same answer for an unknown conversation and a wrong token: do not reveal which conversations exist.
  if (msg.tokenHash !== undefined) checkToken(state, msg.tokenHash, core.now(), core.options.tokenIdleMs);
  if (!state) throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${msg.conversationId}" not found`, 404);
  if (msg.text !== undefined) msg = { ...msg, text: clip(core, msg.text) };
  const quota = await overQuota(core, state, msg, read!.messageCount);
  if (quota) return quota;
  // Typing the label of a button just offered is clicking it (Teams' imBack, text-only channels, habits).
  if (msg.action === undefined && msg.text !== undefined && state.offered?.length) {
    const typed = fold(msg.text);
    const hit = state.offered.find((s) => fold(s.label) === typed);
    if (hit) msg = { ...msg, action: hit.value };
    // "annuler", "never mind", "renunț" leave a "did you mean" rather than asking to cancel an order.
    else if (state.offered.some((s) => s.value === 'fallback') && isDismissal(msg.text))
      msg = { ...msg, action: 'dismiss' };
  }
  const pending = customerMessage(core, msg);
  if (msg.attachments?.length) core.ctx(state).attachments = msg.attachments;
  core.observer?.received?.(msg.channel);
  if (state.handoff) {
    const [customer] = await core.store.append(state.id, [pending]);
    return finishTurn(core, state, await withPerson(core, state, msg, customer!));
  }
  // A dialog under way may call the back office: its message is stored first. Otherwise it is saved with the turn.
  const deferred: NewMessage[] = [];
  if (state.dialog) await core.store.append(state.id, [pending]);
  else deferred.push(pending);
  let replies: Reply[];
  try {
    replies =
      mailTurn(core, state, msg) ??
      (msg.action !== undefined
        ? await onAction(core, state, msg.action)
        : await onText(core, state, msg.text ?? '', trace));
  } catch (err) {
    // What the customer wrote is kept even if processing fails.
    if (deferred.length) await core.store.append(state.id, deferred.splice(0)).catch(() => undefined);
    throw err;
  }
  const fallback = core.ctx(state).misunderstood === true;
  state.misunderstandings = fallback ? state.misunderstandings + 1 : 0;
  // Not understood twice in a row: a person will do better.
  if (fallback && state.misunderstandings >= 2 && core.requestHandoff(state, 'misunderstood')) {
    const lang = replies[0]?.lang ?? state.lang ?? core.options.defaultLang;
    replies = [{ text: HANDOFF_MESSAGES[lang].misunderstood, source: { kind: 'handoff' }, lang }];
  }
  return finishTurn(core, state, replies, deferred);
}

/** A message about email (src/engine/email.ts), in the conversation's language or the message's. */
function mailTurn(core: EngineCore, state: ConversationState, msg: IncomingMessage): Reply[] | undefined {
  if (!core.email) return undefined;
  const lang = state.lang ?? core.chooseLanguage(state, msg.text ?? '').lang;
  const replies = emailTurn(core, state, msg, lang);
  if (replies) state.lang = lang;
  return replies;
}

/** The customer's message as stored (text, the button's value, the client's id for retries). */
function customerMessage(core: EngineCore, msg: IncomingMessage): NewMessage {
  const extra = {
    ...(msg.clientId ? { clientId: msg.clientId } : {}),
    ...(msg.attachments?.length ? { attachments: msg.attachments } : {}),
  };
  return msg.action !== undefined
    ? { at: core.now().toISOString(), from: 'customer', text: msg.text ?? msg.action, action: msg.action, ...extra }
    : { at: core.now().toISOString(), from: 'customer', text: msg.text ?? '', ...extra };
}

/**
 * Create a requested handoff, then save the state, the customer's message when it is not stored yet (`customer`),
 * the bot's replies and the events in one transaction.
 */
export async function finishTurn(
  core: EngineCore,
  state: ConversationState,
  replies: Reply[],
  customer: NewMessage[] = [],
  origin: MessageOrigin = 'turn',
): Promise<Reply[]> {
  const c = core.ctx(state);
  const lang = state.lang ?? replies[0]?.lang ?? core.options.defaultLang;
  if (c.handoff && !state.handoff) {
    // The handoff's transcript (read from the store) must show the message that caused it.
    if (customer.length) await core.store.append(state.id, customer.splice(0));
    replies = await openHandoff(core, state, lang, replies);
  }
  state.updatedAt = core.now().toISOString();
  const out: NewMessage[] = replies.map((r) => ({
    at: core.now().toISOString(),
    from: 'bot',
    text: r.text,
    source: r.source,
    kbVersion: core.c.kb.version,
    ...(r.suggestions?.length ? { suggestions: r.suggestions } : {}),
    lang: r.lang,
    ...(r.feedback ? { feedback: true } : {}),
  }));
  const last = replies[replies.length - 1];
  state.offered = last?.suggestions?.length ? last.suggestions : undefined;
  const written = await core.store.saveTurn(state, [...customer, ...out], {
    events: core.outboxEvents(c),
    ...(c.joined ? { joined: c.joined } : {}),
  });
  // Subscribers hear what the bot stored, as before (the customer's message is in the store for the streams).
  const saved = written.slice(written.length - out.length);
  core.forget(state);
  if (c.handoff && state.handoff) core.observer?.handoff?.(state.handoff.reason, state.handoff.queue);
  core.observeSaved(saved);
  core.events.emit('message', state.id, saved, origin);
  return replies;
}

/** A typed message: rating, anger, the dialog under way, or matching and the decision. */
async function onText(core: EngineCore, state: ConversationState, raw: string, trace?: TurnTrace): Promise<Reply[]> {
  const text = raw.trim();
  const current = state.lang ?? core.options.defaultLang;
  if (!text || !/[\p{L}\p{N}]/u.test(text)) {
    // A photo sent alone is not an empty message: the dialog waiting for it takes it, or the bot says what it can do.
    if (state.dialog && core.c.dialogs?.has(state.dialog.dialogId) && core.ctx(state).attachments)
      return inDialog(core, state, '', current, trace);
    const files = takeFiles(core, state);
    if (files.length) return [filesWithoutRequest(core, files, current)];
    return [{ text: MESSAGES[current].empty, source: { kind: 'fallback' }, lang: current }];
  }
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
    // Files with a message that started no dialog taking them: still acknowledged by name.
    const files = takeFiles(core, state);
    if (files.length) replies.unshift(filesReceived(files, lang));
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
  const vote = parseFeedback(action);
  if (vote) {
    if (c.byId.has(vote.entryId)) core.observer?.feedback?.(vote.vote, vote.entryId);
    return [feedbackReply(vote.vote, vote.entryId, lang)];
  }
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
  } else if (verb === 'dismiss') {
    const topics = fallbackReply(c, core.options.fallbackTopics, lang).suggestions;
    return [
      { text: MESSAGES[lang].dismissed, suggestions: topics, source: { kind: 'clarify', id: 'dismissed' }, lang },
    ];
  } else if (state.dialog && c.dialogs) {
    // A dialog's own button (a choice, yes/no, skip): the same as typing its value.
    return inDialog(core, state, action, lang);
  }
  return [{ text: MESSAGES[lang].unknownAction, source: { kind: 'fallback' }, lang }];
}
