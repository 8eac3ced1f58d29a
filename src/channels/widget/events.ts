import { Router } from 'express';
import type { Engine } from '../../engine/engine';
import { followConversation } from '../follow';
import { QueueTold, wholeStatus } from '../queue';
import { sseSink, type StreamSettings } from '../streams';
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
    const sink = sseSink(res);
    let slot: { release(): void };
    try {
      slot = streams.limits.open(id, req.ip ?? req.socket.remoteAddress ?? 'unknown', (reason) => sink.end(reason));
    } catch (e) {
      res.setHeader('retry-after', '30');
      throw e;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const told = new QueueTold(wholeStatus);
    const frame = (event: string, data: unknown, eventId?: number) =>
      `${eventId !== undefined ? `id: ${eventId}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    const follower = followConversation(engine, id, {
      after: last,
      pollMs,
      pageSize: streams.pageSize,
      stallMs: streams.stallMs,
      sink,
      frames: (records) => records.map(({ conversationId: _c, ...message }) => frame('message', message, message.id)),
      afterFlush: async () => {
        const q = await engine.queueStatus(id);
        if (!told.changed(id, q)) return;
        sink.write(frame('queue', q ?? { status: 'bot' })); // accepted even when it fills the buffer
        told.note(id, q);
      },
      onTyping: (name) => void sink.write(frame('typing', { agent: { name } })),
    });
    // Keep-alives only while the client reads: a full buffer needs none.
    const heartbeat = setInterval(() => !sink.full() && sink.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      slot.release();
      follower.close();
      clearInterval(heartbeat);
    });
  });
  return r;
}
