import type { Request, Response } from 'express';
import { Router } from 'express';
import { AppError } from '../../domain/errors';
import type { AttachmentLinks } from '../../handoff/attachmentLink';
import { followConversation } from '../follow';
import { sseSink, type StreamSettings, type StreamSink } from '../streams';
import { agentName } from './auth';
import { DESK_LIST_LIMIT, deskMessages, type DeskEngine } from './routes';

const frame = (event: string, data: unknown, id?: number) =>
  `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * An SSE response within the stream limits: the agent's own streams are one "conversation" of StreamLimits (a
 * reloaded desk replaces its oldest stream), and the client address counts as for the customers' streams.
 */
function openStream(req: Request, res: Response, streams: StreamSettings, key: string) {
  const sink = sseSink(res);
  let slot: { release(): void };
  try {
    slot = streams.limits.open(key, req.ip ?? req.socket.remoteAddress ?? 'unknown', (reason) => sink.end(reason));
  } catch (e) {
    res.setHeader('retry-after', '30');
    throw e;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  // Keep-alives only while the client reads: a full buffer needs none.
  const heartbeat = setInterval(() => !sink.full() && sink.write(': keep-alive\n\n'), 15_000);
  const onClose = (fn: () => void) =>
    res.on('close', () => {
      slot.release();
      clearInterval(heartbeat);
      fn();
    });
  return { sink, onClose };
}

/**
 * The list of conversations with a person, sent whole (`list`) when it changes: woken by every stored message of
 * this process and by the change feed (other instances), read again every `pollMs` anyway.
 */
function listStream(engine: DeskEngine, sink: StreamSink, pollMs: number): { close(): void } {
  let last = '';
  let running = false;
  let again = false;
  let closed = false;
  const look = async () => {
    if (closed || sink.full()) return;
    if (running) return void (again = true);
    running = true;
    try {
      const body = JSON.stringify({ conversations: await engine.deskList(DESK_LIST_LIMIT) });
      if (!closed && body !== last && sink.write(`event: list\ndata: ${body}\n\n`)) last = body;
    } catch {
      /* the next look tries again */
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      void look();
    }
  };
  const wake = () => void look();
  engine.events.on('message', wake);
  engine.events.on('remote', wake);
  const timer = setInterval(wake, pollMs);
  void look();
  return {
    close() {
      closed = true;
      clearInterval(timer);
      engine.events.off('message', wake);
      engine.events.off('remote', wake);
    },
  };
}

/** The desk's live streams: the list, and one conversation's messages (all of them: customer, bot, agents). */
export function deskStreams(
  engine: DeskEngine,
  streams: StreamSettings,
  pollMs: number,
  links: AttachmentLinks | undefined,
): Router {
  const r = Router();
  r.get('/api/desk/events', (req, res) => {
    const { sink, onClose } = openStream(req, res, streams, `desk:list:${agentName(res.locals)}`);
    const list = listStream(engine, sink, pollMs);
    onClose(() => list.close());
  });
  r.get('/api/desk/conversations/:id/events', async (req, res) => {
    const id = String(req.params.id).slice(0, 100);
    let after = Number(req.headers['last-event-id'] ?? req.query.after ?? 0);
    if (!Number.isInteger(after) || after < 0) after = 0;
    if (!(await engine.getConversation(id)))
      throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${id}" not found`, 404);
    const { sink, onClose } = openStream(req, res, streams, `desk:conversation:${agentName(res.locals)}`);
    const follower = followConversation(engine, id, {
      after,
      pollMs,
      pageSize: streams.pageSize,
      stallMs: streams.stallMs,
      sink,
      frames: (records) => deskMessages(links, new Date())(records).map((m) => frame('message', m, m.id)),
    });
    onClose(() => follower.close());
  });
  return r;
}
