import { Router } from 'express';
import type { Engine } from '../../engine/engine';
import { followConversation } from '../follow';
import { QueueTold, wholeStatus } from '../queue';
import { authorized } from './access';

type StreamEngine = Parameters<typeof followConversation>[0] &
  Pick<Engine, 'conversationFor' | 'getConversation' | 'queueStatus'>;

/**
 * Server-sent events: later messages (agents, queue updates, the bot after a handoff), `typing` and `queue`
 * events. Resumes after Last-Event-ID (or ?after=): a reconnect loses nothing. New messages are pushed at once
 * from this process and picked up from the database every `pollMs` otherwise (several instances).
 */
export function eventStreamRoute(engine: StreamEngine, pollMs: number): Router {
  const r = Router();
  r.get('/api/conversations/:id/events', async (req, res) => {
    const id = await authorized(engine, req, true);
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
    const told = new QueueTold(wholeStatus);
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
        if (!told.changed(id, q)) return;
        told.note(id, q);
        send('queue', q ?? { status: 'bot' });
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
  return r;
}
