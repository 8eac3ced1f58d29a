import { Router } from 'express';
import { z } from 'zod';
import { AppError, parseBody } from '../../domain/errors';
import type { MessageRecord } from '../../domain/conversation';
import { QUEUES } from '../../domain/handoff';
import type { Engine } from '../../engine/engine';
import type { AttachmentLinks } from '../../handoff/attachmentLink';
import { agentName } from './auth';

/** What the desk asks of the engine. */
export type DeskEngine = Pick<
  Engine,
  | 'deskList'
  | 'deskConversation'
  | 'messagesPage'
  | 'claim'
  | 'deskEvent'
  | 'transfer'
  | 'notes'
  | 'addNote'
  | 'searchAnswers'
  | 'events'
>;

/** Conversations listed at once (oldest first): more than a desk shows, few enough to read on every change. */
export const DESK_LIST_LIMIT = 100;
/** Messages of a transcript shown when a conversation is opened (the newest). */
export const DESK_TRANSCRIPT_LIMIT = 200;

const textBody = z.object({ text: z.string().trim().min(1).max(10_000) }).strict();
const noteBody = z.object({ text: z.string().trim().min(1).max(2_000) }).strict();
const transferBody = z.object({ queue: z.enum(QUEUES as [string, ...string[]]) }).strict();
const closeBody = z.object({ note: z.string().max(2_000).optional() }).strict();
const idParam = z.string().min(1).max(100);

const conversationId = (raw: unknown) => {
  const r = idParam.safeParse(raw);
  if (!r.success) throw new AppError('INVALID_ID', 'conversation id must be 1 to 100 characters', 400);
  return r.data;
};

/** Messages as the desk shows them: files with a same-origin signed link (thumbnails, downloads). */
export function deskMessages(links: AttachmentLinks | undefined, now: Date) {
  return (records: MessageRecord[]) =>
    records.map(({ conversationId: c, ...m }) => ({
      ...m,
      ...(m.attachments?.length
        ? {
            attachments: m.attachments.map((a) => {
              if (!links) return a;
              const u = new URL(links.url(c, a.id, now));
              return { ...a, url: `${u.pathname}${u.search}` };
            }),
          }
        : {}),
    }));
}

/** The desk's API (every route behind requireAgent, mounted by the channel): list, read, claim, write, move, close. */
export function deskRoutes(engine: DeskEngine, links: AttachmentLinks | undefined): Router {
  const r = Router();
  r.get('/api/desk/me', (_req, res) => void res.json({ name: agentName(res.locals) }));
  r.get('/api/desk/conversations', async (_req, res) => {
    res.json({ conversations: await engine.deskList(DESK_LIST_LIMIT) });
  });
  r.get('/api/desk/conversations/:id', async (req, res) => {
    const id = conversationId(req.params.id);
    // Only one that is or was with a person: any other id is a 404 like an unknown one.
    const state = await engine.deskConversation(id);
    const page = await engine.messagesPage(id, { limit: DESK_TRANSCRIPT_LIMIT, newest: true });
    res.json({
      conversation: { id, channel: state.channel, lang: state.lang ?? state.handoff?.lang, handoff: state.handoff },
      messages: deskMessages(links, new Date())(page),
      notes: await engine.notes(id),
    });
  });
  r.post('/api/desk/conversations/:id/claim', async (req, res) => {
    const id = conversationId(req.params.id);
    await engine.claim(id, agentName(res.locals));
    res.json({ claimed: true, agent: agentName(res.locals) });
  });
  r.post('/api/desk/conversations/:id/messages', async (req, res) => {
    const { text } = parseBody(textBody, req.body, 'expected {"text": "..."}');
    const name = agentName(res.locals);
    await engine.deskEvent(
      { type: 'agent.message', conversationId: conversationId(req.params.id), text, agent: { name } },
      name,
    );
    res.status(202).json({ accepted: true });
  });
  r.post('/api/desk/conversations/:id/typing', async (req, res) => {
    const name = agentName(res.locals);
    await engine.deskEvent(
      { type: 'agent.typing', conversationId: conversationId(req.params.id), agent: { name } },
      name,
    );
    res.status(202).json({ accepted: true });
  });
  r.post('/api/desk/conversations/:id/transfer', async (req, res) => {
    const { queue } = parseBody(transferBody, req.body, 'expected {"queue": "returns"}');
    await engine.transfer(conversationId(req.params.id), queue as (typeof QUEUES)[number], agentName(res.locals));
    res.json({ transferred: true, queue });
  });
  r.post('/api/desk/conversations/:id/close', async (req, res) => {
    const { note } = parseBody(closeBody, req.body ?? {}, 'expected {} or {"note": "..."}');
    const id = conversationId(req.params.id);
    const e = { type: 'handoff.completed' as const, conversationId: id, ...(note ? { note } : {}) };
    await engine.deskEvent(e, agentName(res.locals));
    res.json({ closed: true });
  });
  r.get('/api/desk/conversations/:id/notes', async (req, res) => {
    const id = conversationId(req.params.id);
    await engine.deskConversation(id);
    res.json({ notes: await engine.notes(id) });
  });
  r.post('/api/desk/conversations/:id/notes', async (req, res) => {
    const { text } = parseBody(noteBody, req.body, 'expected {"text": "..."}');
    res.status(201).json({ note: await engine.addNote(conversationId(req.params.id), agentName(res.locals), text) });
  });
  // Answers in the customer's language: the agent pastes one into the reply box.
  r.get('/api/desk/conversations/:id/answers', async (req, res) => {
    const id = conversationId(req.params.id);
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 500) : '';
    const state = await engine.deskConversation(id);
    const lang = state.lang ?? state.handoff?.lang ?? 'fr';
    res.json({ lang, answers: q.trim() ? engine.searchAnswers(q, lang) : [] });
  });
  return r;
}
