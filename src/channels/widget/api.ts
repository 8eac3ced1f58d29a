import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { parseBody } from '../../domain/errors';
import { LANGS, type Reply } from '../../domain/types';
import type { Engine } from '../../engine/engine';
import { parseBodyAfter, tokenHash } from '../auth';
import type { TrafficLimits } from '../limits';
import { pageRequest, readPage } from '../paging';
import { authorized, widgetToken } from './access';

// welcome: the widget opening its panel wants the greeting and its starter buttons stored first (engine.welcome).
const createBody = z.object({ lang: z.enum(LANGS).optional(), welcome: z.boolean().optional() }).strict();
const messageBody = z.union([
  z.object({ text: z.string().max(20_000, { message: 'text is longer than 20000 characters' }) }).strict(),
  // A button click: its value, and the label the customer saw (kept as the message text in the transcript).
  z.object({ action: z.string().min(1).max(200), text: z.string().max(200).optional() }).strict(),
]);
const HINT = 'expected {"text": "..."} or {"action": "..."}';

type WidgetEngine = Pick<Engine, 'createConversation' | 'conversationFor' | 'messagesPage' | 'handle' | 'welcome'>;

/** The widget's conversation API (DESIGN.md): start a conversation, its transcript, a customer's message. */
export function conversationRoutes(engine: WidgetEngine, limits?: TrafficLimits): Router {
  const r = Router();

  r.post('/api/conversations', async (req, res) => {
    const body = parseBody(createBody, req.body, HINT);
    await limits?.newConversation(limits.ip(req));
    const token = randomBytes(24).toString('base64url');
    const state = await engine.createConversation({ channel: 'widget', lang: body.lang, tokenHash: tokenHash(token) });
    if (body.welcome) await engine.welcome(state.id, body.lang);
    res.status(201).json({ conversationId: state.id, token });
  });

  // The transcript (history after a page reload), a page at a time: ?limit= (default 100, at most 500), ?after=
  // (forward from a message id, the default from the start) or ?before= (the page just before a message id).
  r.get('/api/conversations/:id/messages', async (req, res) => {
    const id = await authorized(engine, req);
    const page = await readPage((q) => engine.messagesPage(id, q), pageRequest(req.query));
    res.json({ ...page, messages: page.messages.map(({ conversationId: _c, ...m }) => m) });
  });

  // The engine checks the token on the conversation it reads for the turn (one read per message).
  r.post('/api/conversations/:id/messages', async (req, res) => {
    const token = widgetToken(req);
    const body = await parseBodyAfter(() => authorized(engine, req), messageBody, req.body, HINT);
    // Keyed by the token too: a stranger who knows a conversation's id cannot spend its owner's allowance.
    await limits?.requireMessage(`${String(req.params.id)}:${tokenHash(token).slice(0, 16)}`);
    const replies: Reply[] = await engine.handle({
      conversationId: String(req.params.id),
      channel: 'widget',
      tokenHash: tokenHash(token),
      ...body,
    });
    res.json({
      replies: replies.map(({ text, suggestions, source, lang, feedback }) => ({
        text,
        ...(suggestions ? { suggestions } : {}),
        source,
        lang,
        ...(feedback ? { feedback } : {}),
      })),
    });
  });

  return r;
}
