import { deskClaimKey, deskNotesKey, parseDeskNotes, type DeskNote } from '../domain/desk';
import { AppError } from '../domain/errors';
import type { ConversationState } from '../domain/conversation';
import { QUEUES, type QueueName } from '../domain/handoff';
import type { Lang } from '../domain/types';
import { agentEvent } from './agentEvents';
import type { EngineCore } from './core';
import { transferredText } from './deskMessages';
import { statusReply } from './queue';

// The agent desk's actions on a conversation with a person: claim (one agent each, across instances), transfer to
// another queue, internal notes, knowledge-base answers to paste. The Engine facade runs them in the conversation's
// order; replies, typing and close are the agents' events (agentEvents.ts) once the claim is checked.

/** Notes kept per conversation, and their size: a note is a line for colleagues, not a document. */
export const MAX_NOTES = 100;
export const MAX_NOTE_CHARS = 2_000;

export type { DeskNote };

/** The claim of one handoff: a setting every instance sees, set by compare-and-set ('' once released). */
const claimKey = (state: ConversationState) => deskClaimKey(state.id, state.handoff!.id);

/**
 * The conversation as the desk may see it: one that is or was with a person (a current handoff, or a handoff request
 * in its outbox). Any other is a 404 worded like an unknown id, so that the desk cannot probe customers' ids.
 */
export async function deskConversation(core: EngineCore, conversationId: string): Promise<ConversationState> {
  const state = await core.store.get(conversationId);
  if (!state || (!state.handoff && !(await core.store.hasHandoffRequest(conversationId))))
    throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${conversationId}" not found`, 404);
  return state;
}

/** The conversation, with a person (404 or 409 otherwise). */
async function handedOff(core: EngineCore, conversationId: string): Promise<ConversationState> {
  const state = await deskConversation(core, conversationId);
  if (!state.handoff)
    throw new AppError('NOT_WITH_AGENT', `conversation "${conversationId}" is not handed off to a person`, 409);
  return state;
}

const takenBy = (conversationId: string, holder: string) =>
  new AppError('ALREADY_CLAIMED', `conversation "${conversationId}" was already taken by ${holder}`, 409);

/**
 * `agent` takes the conversation: exactly one agent wins, on every instance (compare-and-set on the store), and the
 * others get 409 naming who has it. The claim becomes an agent.joined (the customer sees the agent join).
 */
export async function claim(core: EngineCore, conversationId: string, agent: string): Promise<void> {
  const state = await handedOff(core, conversationId);
  const h = state.handoff!;
  if (h.status === 'active' && h.agentName !== agent) throw takenBy(conversationId, h.agentName ?? 'another agent');
  const key = claimKey(state);
  const won = (await core.store.swapSetting(key, undefined, agent)) || (await core.store.swapSetting(key, '', agent));
  if (!won) {
    const holder = await core.store.getSetting(key);
    if (holder !== agent) throw takenBy(conversationId, holder || 'another agent');
  }
  try {
    await agentEvent(core, { type: 'agent.joined', conversationId, agent: { name: agent } });
  } catch (e) {
    if (won) await core.store.swapSetting(key, agent, '');
    throw e;
  }
}

/** The conversation, if `agent` is the one in charge of it (409 otherwise: claim it first, or someone else has it). */
export async function heldBy(core: EngineCore, conversationId: string, agent: string): Promise<ConversationState> {
  const state = await handedOff(core, conversationId);
  const h = state.handoff!;
  if (h.status !== 'active')
    throw new AppError('NOT_CLAIMED', `conversation "${conversationId}" is waiting: claim it first`, 409);
  if (h.agentName !== agent) throw takenBy(conversationId, h.agentName ?? 'another agent');
  return state;
}

/**
 * Back to waiting, in `queue`: the agent in charge lets go (any agent may move a waiting one), the customer is
 * told in their language where they are now. The request time is kept: the customer does not lose their turn.
 */
export async function transfer(core: EngineCore, conversationId: string, queue: QueueName, agent: string) {
  if (!QUEUES.includes(queue)) throw new AppError('INVALID_QUEUE', `unknown queue "${queue}"`, 400);
  const state = await handedOff(core, conversationId);
  if (state.handoff!.status === 'active') await heldBy(core, conversationId, agent);
  const h = state.handoff!;
  const key = claimKey(state);
  const holder = await core.store.getSetting(key);
  const lang: Lang = state.lang ?? h.lang;
  state.handoff = { id: h.id, queue, lang: h.lang, reason: h.reason, status: 'queued', requestedAt: h.requestedAt };
  const now = core.now().toISOString();
  state.updatedAt = now;
  const status = await statusReply(core, state, lang);
  const saved = await core.store.saveTurn(state, [
    { at: now, from: 'bot', text: transferredText(lang, queue), source: { kind: 'handoff', id: 'transfer' } },
    {
      at: now,
      from: 'bot',
      text: status.text,
      source: status.source,
      ...(status.suggestions ? { suggestions: status.suggestions } : {}),
    },
  ]);
  if (holder) await core.store.swapSetting(key, holder, '');
  core.events.emit('message', state.id, saved, 'agent');
}

/** The conversation's internal notes, oldest first (a plain read: the desk checks deskConversation first). */
export async function notes(core: EngineCore, conversationId: string): Promise<DeskNote[]> {
  return parseDeskNotes(await core.store.getSetting(deskNotesKey(conversationId)));
}

/** Add an internal note (compare-and-set, so that two agents writing at once keep both notes). */
export async function addNote(core: EngineCore, conversationId: string, agent: string, text: string) {
  await handedOff(core, conversationId);
  const note: DeskNote = { at: core.now().toISOString(), agent, text: text.slice(0, MAX_NOTE_CHARS) };
  for (let attempt = 0; attempt < 10; attempt++) {
    const raw = await core.store.getSetting(deskNotesKey(conversationId));
    const list = parseDeskNotes(raw);
    if (list.length >= MAX_NOTES)
      throw new AppError('TOO_MANY_NOTES', `conversation "${conversationId}" has ${MAX_NOTES} notes already`, 409);
    if (await core.store.swapSetting(deskNotesKey(conversationId), raw, JSON.stringify([...list, note]))) return note;
  }
  throw new AppError('BUSY', `notes of conversation "${conversationId}" are being written: try again`, 409);
}

/** A knowledge-base answer an agent may paste, in the customer's language. */
export interface DeskAnswer {
  id: string;
  title: string;
  answer: string;
  score: number;
}

/** The knowledge base's best answers to `text` in `lang` (FAQ entries only: no small talk). */
export function searchAnswers(core: EngineCore, text: string, lang: Lang): DeskAnswer[] {
  const r = core.match(text, lang);
  return r.candidates.flatMap((c) => {
    const e = core.c.byId.get(c.id);
    if (!e || e.kind !== 'faq') return [];
    const answer = e.answer[lang];
    return answer ? [{ id: e.id, title: e.title[lang] ?? e.id, answer, score: c.score }] : [];
  });
}

/** A conversation on the desk's list: where it waits (or who has it), why, since when, and its last customer words. */
export interface DeskItem {
  conversationId: string;
  channel: string;
  queue: QueueName;
  lang: Lang;
  reason: string;
  status: 'queued' | 'active';
  requestedAt: string;
  agentName?: string;
  preview?: string;
}

/** Messages read back for a preview: the last customer message among them. */
const PREVIEW_SCAN = 10;

/** The conversations with a person, oldest request first, at most `limit`, each with a preview. */
export async function deskList(core: EngineCore, limit: number): Promise<DeskItem[]> {
  const states = await core.store.handedOff(limit);
  return Promise.all(
    states.map(async (s) => {
      const h = s.handoff!;
      const page = await core.store.messagesPage(s.id, { limit: PREVIEW_SCAN, newest: true });
      const last = page.filter((m) => m.from === 'customer' && m.text).pop();
      return {
        conversationId: s.id,
        channel: s.channel,
        queue: h.queue,
        lang: s.lang ?? h.lang,
        reason: h.reason,
        status: h.status,
        requestedAt: h.requestedAt,
        ...(h.agentName ? { agentName: h.agentName } : {}),
        ...(last ? { preview: last.text.slice(0, 200) } : {}),
      };
    }),
  );
}
