import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError, parseBody } from '../../domain/errors';
import { LANGS, type Reply } from '../../domain/types';
import { followConversation } from '../follow';
import type { Engine } from '../../engine/engine';

const createBody = z.object({ lang: z.enum(LANGS).optional() }).strict();
const messageBody = z.union([
  z.object({ text: z.string().max(20_000, { message: 'text is longer than 20000 characters' }) }).strict(),
  // A button click: its value, and the label the customer saw (kept as the message text in the transcript).
  z.object({ action: z.string().min(1).max(200), text: z.string().max(200).optional() }).strict(),
]);

const hashToken = (t: string) => createHash('sha256').update(t).digest();

const parse = <T>(schema: z.ZodType<T>, body: unknown): T =>
  parseBody(schema, body, 'expected {"text": "..."} or {"action": "..."}');

function bearer(req: Request, allowQuery = false): string {
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  // EventSource cannot send headers: the event stream also takes ?token=.
  if (!m && allowQuery && typeof req.query.token === 'string' && req.query.token) return req.query.token;
  if (!m) throw new AppError('UNAUTHORIZED', 'missing "Authorization: Bearer <token>" header', 401);
  return m[1]!;
}

/** The website widget's HTTP API (DESIGN.md): translates HTTP to the engine's messages and back. */
export function widgetRoutes(engine: Engine, pollMs = 2000): Router {
  const r = Router();

  r.post('/api/conversations', async (req, res) => {
    const body = parse(createBody, req.body);
    const token = randomBytes(24).toString('base64url');
    const state = await engine.createConversation({
      channel: 'widget',
      lang: body.lang,
      tokenHash: hashToken(token).toString('hex'),
    });
    res.status(201).json({ conversationId: state.id, token });
  });

  /** The conversation, if the bearer token is its own. Same answer for an unknown conversation and a wrong
   * token: do not reveal which conversations exist. */
  async function authorized(req: Request, allowQuery = false): Promise<string> {
    const token = bearer(req, allowQuery);
    const id = String(req.params.id);
    const state = await engine.getConversation(id);
    const expected = state?.tokenHash ? Buffer.from(state.tokenHash, 'hex') : undefined;
    const given = hashToken(token);
    if (!state || !expected || expected.length !== given.length || !timingSafeEqual(expected, given))
      throw new AppError('UNAUTHORIZED', 'unknown conversation or wrong token', 401);
    return id;
  }

  // The transcript (history after a page reload), optionally after the last message id seen.
  r.get('/api/conversations/:id/messages', async (req, res) => {
    const id = await authorized(req);
    const after = req.query.after === undefined ? 0 : Number(req.query.after);
    if (!Number.isInteger(after) || after < 0)
      throw new AppError(
        'INVALID_QUERY',
        `after must be a message id (a non-negative integer), not "${String(req.query.after)}"`,
        400,
      );
    const messages = await engine.transcript(id, after);
    res.json({ messages: messages.map(({ conversationId: _c, ...m }) => m) });
  });

  /**
   * Server-sent events: later messages (agents, queue updates, the bot after a handoff), `typing` and `queue`
   * events. Resumes after Last-Event-ID (or ?after=): a reconnect loses nothing. New messages are pushed at once
   * from this process and picked up from the database every `pollMs` otherwise (several instances).
   */
  r.get('/api/conversations/:id/events', async (req, res) => {
    const id = await authorized(req, true);
    const lastHeader = req.headers['last-event-id'];
    let last = Number(lastHeader ?? req.query.after ?? 0);
    if (!Number.isInteger(last) || last < 0) last = 0;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    let closed = false;
    let lastQueue = '';
    const send = (event: string, data: unknown, eventId?: number) => {
      if (closed) return;
      res.write(`${eventId !== undefined ? `id: ${eventId}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const follower = followConversation(engine, id, {
      after: last,
      pollMs,
      onMessages: (records) => {
        for (const { conversationId: _c, ...message } of records) send('message', message, message.id);
      },
      afterFlush: async () => {
        const q = await engine.queueStatus(id);
        const key = JSON.stringify(q ?? null);
        if (key !== lastQueue) {
          lastQueue = key;
          send('queue', q ?? { status: 'bot' });
        }
      },
      onTyping: (name) => send('typing', { agent: { name } }),
    });
    const heartbeat = setInterval(() => !closed && res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      closed = true;
      follower.close();
      clearInterval(heartbeat);
    });
  });

  r.post('/api/conversations/:id/messages', async (req, res) => {
    const id = await authorized(req);
    const body = parse(messageBody, req.body);
    const replies: Reply[] = await engine.handle({ conversationId: id, channel: 'widget', ...body });
    res.json({
      replies: replies.map(({ text, suggestions, source }) => ({
        text,
        ...(suggestions ? { suggestions } : {}),
        source,
      })),
    });
  });

  return r;
}
