import type { IncomingMessage, Lang, Reply } from '../domain/types';
import type { ConversationState, EmailState } from '../domain/conversation';
import { asksTranscriptByEmail, emailIn, looksLikeEmail } from '../nlp/email';
import type { EngineCore } from './core';
import { emailOfferKey } from '../domain/handoff';
import { HANDOFF_MESSAGES } from '../handoff/messages';
import { EMAIL_MESSAGES } from './emailMessages';
import { MESSAGES } from './messages';

/**
 * Email with the customer when nobody is online: the offer to continue by email (outside opening hours, or when no
 * agent joined within HANDOFF_EMAIL_AFTER_MS), the address asked with its consent notice, the transcript asked for
 * by email, and the agents' replies queued for the mail worker (outbox target 'email', src/channels/email/).
 */

/** Transcripts mailed per conversation at most: an address typed by a stranger cannot be flooded. */
export const MAX_TRANSCRIPT_MAILS = 3;

const reply = (text: string, lang: Lang, id: string, suggestions?: Reply['suggestions']): Reply => ({
  text,
  ...(suggestions ? { suggestions } : {}),
  source: { kind: 'handoff', id },
  lang,
});

/** "Continue by email?" with its two buttons, and the queue's cancel button that it replaces as the last one. */
function offerReply(lang: Lang, closed: boolean): Reply {
  const m = EMAIL_MESSAGES[lang];
  return reply(m.offer(closed), lang, 'email-offer', [
    { label: m.continueButton, value: 'email:continue' },
    { label: m.waitButton, value: 'email:wait' },
    { label: HANDOFF_MESSAGES[lang].cancelButton, value: 'handoff:cancel' },
  ]);
}

/**
 * The offer, once per handoff, when it is due: mail configured, the customer not already continuing by email, and
 * the queue closed (`atOpening`: the handoff just opened) or the handoff queued for HANDOFF_EMAIL_AFTER_MS.
 */
export function emailOfferDue(core: EngineCore, state: ConversationState, atOpening = false): boolean {
  const h = state.handoff;
  const e = state.email;
  if (!core.email || !h || h.status !== 'queued' || e?.replies || e?.asking || e?.offeredFor === h.id) return false;
  const now = core.now();
  if (!core.hours.isOpen(h.queue, now)) return true;
  return !atOpening && now.getTime() - Date.parse(h.requestedAt) >= core.email.afterMs;
}

/**
 * The offer's reply when it is due; else nothing. Once per handoff: noted in the state, and taken by compare-and-set
 * of `email.offer:<conversationId>` from the previous handoff's id to this one's, so that two instances (a turn
 * here, the offers job there) never both make it.
 */
export async function emailOffer(
  core: EngineCore,
  state: ConversationState,
  lang: Lang,
  atOpening = false,
): Promise<Reply[]> {
  if (!emailOfferDue(core, state, atOpening)) return [];
  const h = state.handoff!;
  const key = emailOfferKey(state.id);
  const last = await core.store.getSetting(key);
  const won = last !== h.id && (await core.store.swapSetting(key, last, h.id));
  // Lost: another instance makes it; noted anyway so that this state is not checked again.
  state.email = { ...state.email, offeredFor: h.id };
  return won ? [offerReply(lang, !core.hours.isOpen(h.queue, core.now()))] : [];
}

/**
 * A message about email: the offer's buttons, the address asked for (or typed after the offer), a request for the
 * transcript by email. Undefined when the message is about something else (and the question asked is dropped).
 */
export function emailTurn(
  core: EngineCore,
  state: ConversationState,
  msg: IncomingMessage,
  lang: Lang,
): Reply[] | undefined {
  const action = msg.action;
  if (!core.email) return action?.startsWith('email:') ? [unknownAction(lang)] : undefined;
  const e: EmailState = state.email ?? {};
  const m = EMAIL_MESSAGES[lang];
  if (action === 'email:continue') {
    if (!state.handoff) return [unknownAction(lang)];
    if (e.address) return given(core, state, e.address, 'replies', lang);
    state.email = { ...e, asking: 'replies' };
    return [reply(m.askAddress('replies'), lang, 'email-ask')];
  }
  if (action === 'email:wait') {
    state.email = withoutAsking(e);
    return [reply(m.keepWaiting, lang, 'email-wait')];
  }
  if (action !== undefined) return undefined;
  const text = (msg.text ?? '').trim();
  const address = emailIn(text);
  const afterOffer = state.handoff !== null && e.offeredFor === state.handoff.id && !e.replies;
  if (address && (e.asking || afterOffer)) return given(core, state, address, e.asking ?? 'replies', lang);
  if (e.asking) {
    if (looksLikeEmail(text)) return [reply(m.invalid, lang, 'email-ask')];
    state.email = withoutAsking(e);
  }
  if (!asksTranscriptByEmail(text)) return undefined;
  if (e.address) return transcript(core, state, e.address, lang);
  state.email = { ...state.email, asking: 'transcript' };
  return [reply(m.askAddress('transcript'), lang, 'email-ask')];
}

function withoutAsking(e: EmailState): EmailState {
  const { asking: _a, ...rest } = e;
  return rest;
}

function unknownAction(lang: Lang): Reply {
  return { text: MESSAGES[lang].unknownAction, source: { kind: 'fallback' }, lang };
}

/** The address given after the notice: kept with the consent's time, then used for what it was asked for. */
function given(
  core: EngineCore,
  state: ConversationState,
  address: string,
  purpose: 'replies' | 'transcript',
  lang: Lang,
): Reply[] {
  const e = withoutAsking(state.email ?? {});
  const consentAt = e.address === address && e.consentAt ? e.consentAt : core.now().toISOString();
  state.email = { ...e, address, consentAt, ...(purpose === 'replies' ? { replies: true } : {}) };
  if (purpose === 'transcript') return transcript(core, state, address, lang);
  return [reply(EMAIL_MESSAGES[lang].confirmReplies(address), lang, 'email-confirmed')];
}

/** The transcript so far, mailed by the worker (at most MAX_TRANSCRIPT_MAILS times per conversation). */
function transcript(core: EngineCore, state: ConversationState, address: string, lang: Lang): Reply[] {
  const e = state.email ?? {};
  const sent = e.transcripts ?? 0;
  if (sent >= MAX_TRANSCRIPT_MAILS) return [reply(EMAIL_MESSAGES[lang].tooMany, lang, 'email-refused')];
  state.email = { ...e, transcripts: sent + 1 };
  core.ctx(state).events.push({
    type: 'email.transcript',
    target: 'email',
    data: { to: address, language: lang, until: core.now().toISOString() },
  });
  return [reply(EMAIL_MESSAGES[lang].confirmTranscript(address), lang, 'email-transcript')];
}

/**
 * An agent's reply to a customer continuing by email: queued for the mail worker, first tried HANDOFF_EMAIL_GRACE_MS
 * later (it sends nothing if the customer had a live stream open meanwhile).
 */
export function mailAgentReply(
  core: EngineCore,
  state: ConversationState,
  r: { text: string; agent: string; at: string; files?: number },
): void {
  const e = state.email;
  if (!core.email || !e?.replies || !e.address || !state.handoff) return;
  core.ctx(state).events.push({
    type: 'email.reply',
    target: 'email',
    notBefore: new Date(Date.parse(r.at) + core.email.graceMs).toISOString(),
    data: {
      to: e.address,
      language: state.lang ?? state.handoff.lang,
      handoffId: state.handoff.id,
      agent: r.agent,
      text: r.text,
      at: r.at,
      ...(r.files ? { files: r.files } : {}),
    },
  });
}
