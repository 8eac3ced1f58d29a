import { randomUUID } from 'node:crypto';
import type { AttachmentRef, IncomingMessage, Lang, Reply } from '../domain/types';
import type { ConversationState, MessageRecord, NewMessage } from '../domain/conversation';
import type { HandoffState, NewOutboxEvent } from '../domain/handoff';
import { CANCEL_WORDS } from '../dialogs/messages';
import { fold } from '../nlp/normalize';
import { HANDOFF_MESSAGES } from '../handoff/messages';
import { contactOf, type Contact } from './contact';
import type { EngineCore } from './core';
import { askCsat } from './csat';
import { emailOffer, emailTurn } from './email';
import { nextOpening, statusReply } from './queue';

/**
 * Create the handoff requested during the turn: the conversation leaves its dialog and waits in the queue, the
 * customer is told where, and a handoff.requested event (first of the turn's events) carries the transcript.
 * Returns the turn's replies followed by the queue status.
 */
export async function openHandoff(
  core: EngineCore,
  state: ConversationState,
  lang: Lang,
  replies: Reply[],
): Promise<Reply[]> {
  const c = core.ctx(state);
  const request = c.handoff!;
  const now = core.now();
  const handoff: HandoffState = {
    id: randomUUID(),
    queue: request.queue,
    lang,
    reason: request.reason,
    status: 'queued',
    requestedAt: now.toISOString(),
  };
  state.handoff = handoff;
  state.dialog = null;
  state.awaitingCsat = false;
  state.misunderstandings = 0;
  const all = [...replies, await statusReply(core, state, lang), ...(await emailOffer(core, state, lang, true))];
  c.events.unshift(handoffRequested(state, handoff, await transcriptSummary(core, state.id), all, now, core));
  return all;
}

/** Messages of the transcript carried by handoff.requested; the rest is behind its signed transcript URL. */
export const WEBHOOK_TRANSCRIPT_MESSAGES = 50;
/** Messages read at a time when the transcript is scanned for contact details and what the bot tried. */
const SCAN_PAGE = 200;

interface TranscriptSummary {
  last: MessageRecord[];
  total: number;
  contact: Contact;
  tried: Set<string>;
  /** Every file of the transcript, oldest first. */
  files: AttachmentRef[];
}

/**
 * Files as the agents get them: their metadata and, when links are configured, a signed download URL that expires
 * (ATTACHMENT_URL_TTL_S), so the helpdesk fetches the bytes without the customer's token.
 */
export function filesForAgents(core: EngineCore, conversationId: string, refs: AttachmentRef[], now: Date) {
  const links = core.attachmentLinks;
  return refs.map((r) => {
    if (!links) return { ...r };
    const url = links.url(conversationId, r.id, now);
    const expires = Number(new URL(url).searchParams.get('expires'));
    return { ...r, url, urlExpiresAt: new Date(expires * 1000).toISOString() };
  });
}

/**
 * The stored transcript read page by page (never whole): its last messages, how many there are, the customer's
 * last email and phone number, and what the bot already tried (answers, dialogs), so the agent does not again.
 */
async function transcriptSummary(core: EngineCore, conversationId: string): Promise<TranscriptSummary> {
  const sum: TranscriptSummary = { last: [], total: 0, contact: {}, tried: new Set(), files: [] };
  for (let after = 0; ;) {
    const page = await core.store.messagesPage(conversationId, { after, limit: SCAN_PAGE });
    if (!page.length) return sum;
    after = page[page.length - 1]!.id;
    sum.total += page.length;
    sum.last = [...sum.last, ...page].slice(-WEBHOOK_TRANSCRIPT_MESSAGES);
    sum.contact = { ...sum.contact, ...contactOf(page).contact };
    for (const m of page) {
      if (m.from === 'bot' && m.source?.id && m.source.kind !== 'handoff')
        sum.tried.add(`${m.source.kind}:${m.source.id}`);
      if (m.attachments) sum.files.push(...m.attachments);
    }
  }
}

/** The handoff.requested event: what the helpdesk needs to take over without asking again. */
function handoffRequested(
  state: ConversationState,
  handoff: HandoffState,
  t: TranscriptSummary,
  replies: Reply[],
  now: Date,
  core: EngineCore,
): NewOutboxEvent {
  const files = (m: MessageRecord) =>
    m.attachments?.length ? { attachments: filesForAgents(core, state.id, m.attachments, now) } : {};
  const lines = [
    ...t.last.map((m) => ({
      at: m.at,
      from: m.from,
      text: m.text,
      ...(m.source ? { source: m.source } : {}),
      ...files(m),
    })),
    ...replies.map((r) => ({ at: now.toISOString(), from: 'bot' as const, text: r.text, source: r.source })),
  ].slice(-WEBHOOK_TRANSCRIPT_MESSAGES);
  // The replies of this turn are stored with it, so the link's transcript has them too.
  const link = core.transcriptLinks?.grant(state.id, now);
  return {
    type: 'handoff.requested',
    data: {
      handoffId: handoff.id,
      requestedAt: handoff.requestedAt,
      channel: state.channel,
      language: handoff.lang,
      queue: handoff.queue,
      reason: handoff.reason,
      ...(t.contact.email || t.contact.phone ? { contact: t.contact } : {}),
      transcript: lines,
      transcriptTotal: t.total + replies.length,
      ...(link
        ? {
            transcriptUrl: core.transcriptLinks!.urlOf(state.id, link),
            transcriptUrlExpiresAt: new Date(link.expires * 1000).toISOString(),
          }
        : {}),
      botTried: [...t.tried],
      ...(t.files.length ? { attachments: filesForAgents(core, state.id, t.files, now) } : {}),
    },
  };
}

/** The customer writes while a person is (about to be) in charge: pass it on, or cancel the request. */
export async function withPerson(
  core: EngineCore,
  state: ConversationState,
  msg: IncomingMessage,
  customer: MessageRecord,
): Promise<Reply[]> {
  const h = state.handoff!;
  const lang = state.lang ?? h.lang;
  const text = (msg.text ?? '').trim();
  const cancel = msg.action === 'handoff:cancel' || (msg.action === undefined && CANCEL_WORDS.has(fold(text)));
  if (cancel && h.status === 'queued') {
    state.handoff = null;
    core.ctx(state).events.push({
      type: 'conversation.closed',
      data: { handoffId: h.id, reason: 'cancelled-by-customer' },
    });
    return [{ text: HANDOFF_MESSAGES[lang].cancelled, source: { kind: 'handoff' }, lang }];
  }
  // Email buttons are the bot's business; a typed address or request still reaches the agents.
  const mail = emailTurn(core, state, msg, lang);
  if (mail && msg.action !== undefined) return mail;
  core.ctx(state).events.push({
    type: 'conversation.message',
    data: {
      handoffId: h.id,
      messageId: customer.id,
      text: msg.text ?? msg.action ?? '',
      at: customer.at,
      ...(customer.attachments?.length
        ? { attachments: filesForAgents(core, state.id, customer.attachments, core.now()) }
        : {}),
    },
  });
  if (mail) return mail;
  // A short acknowledgement, not the whole queue text again for every message (the status bar shows the place).
  if (h.status === 'queued') {
    const when = core.hours.isOpen(h.queue, core.now()) ? undefined : nextOpening(core, h.queue, lang);
    return [
      {
        text: HANDOFF_MESSAGES[lang].forwarded(when),
        suggestions: [{ label: HANDOFF_MESSAGES[lang].cancelButton, value: 'handoff:cancel' }],
        source: { kind: 'handoff', id: 'queue' },
        lang,
      },
      ...(await emailOffer(core, state, lang)),
    ];
  }
  return [];
}

/**
 * The agents hand the conversation back to the bot: the handoff is closed (a conversation.closed event), the
 * customer is told and asked for a rating. Returns the messages to store.
 */
export function completeHandoff(
  core: EngineCore,
  state: ConversationState,
  lang: Lang,
  now: string,
  note: string | undefined,
): NewMessage[] {
  const h = state.handoff!;
  state.handoff = null;
  core.ctx(state).events.push({
    type: 'conversation.closed',
    data: { handoffId: h.id, reason: 'completed', ...(note ? { note } : {}) },
  });
  const q = askCsat(state, lang);
  state.offered = q.suggestions;
  return [
    { at: now, from: 'bot', text: HANDOFF_MESSAGES[lang].completed, source: { kind: 'handoff', id: 'completed' } },
    { at: now, from: 'bot', text: q.text, source: q.source, ...(q.suggestions ? { suggestions: q.suggestions } : {}) },
  ];
}
