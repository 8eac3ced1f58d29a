import { Router } from 'express';
import type { Engine } from '../../engine/engine';
import { followConversation } from '../follow';
import { QueueTold, wholeStatus } from '../queue';
import { openSse, sseFrame, type StreamSettings } from '../streams';
import { authorized } from './access';

type StreamEngine = Parameters<typeof followConversation>[0] &
  Pick<Engine, 'conversationFor' | 'getConversation' | 'queueStatus'>;

/**
 * Server-sent events: later messages (agents, queue updates, the bot after a handoff), `typing` and `queue`
 * events. Resumes after Last-Event-ID (or ?after=): a reconnect loses nothing. New messages are pushed at once
 * from this process and picked up from the database every `pollMs` otherwise (several instances). Bounded as
 * every live stream (follow.ts, streams.ts): a few per conversation and per address, paced by the client's reading.
 */
export function eventStreamRoute(engine: StreamEngine, pollMs: number, streams: StreamSettings): Router {
  const r = Router();
  r.get('/api/conversations/:id/events', async (req, res) => {
    const id = await authorized(engine, req, true);
    const lastHeader = req.headers['last-event-id'];
    let last = Number(lastHeader ?? req.query.after ?? 0);
    if (!Number.isInteger(last) || last < 0) last = 0;
    const { sink, onClose } = openSse(req, res, streams.limits, id);
    const told = new QueueTold(wholeStatus);
    const follower = followConversation(engine, id, {
      after: last,
      pollMs,
      pageSize: streams.pageSize,
      stallMs: streams.stallMs,
      sink,
      frames: (records) =>
        records.map(({ conversationId: _c, ...message }) => sseFrame('message', message, message.id)),
      afterFlush: async () => {
        const q = await engine.queueStatus(id);
        if (!told.changed(id, q)) return;
        sink.write(sseFrame('queue', q ?? { status: 'bot' })); // accepted even when it fills the buffer
        told.note(id, q);
      },
      onTyping: (name) => void sink.write(sseFrame('typing', { agent: { name } })),
    });
    onClose(() => follower.close());
  });
  return r;
}
