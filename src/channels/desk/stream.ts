import { Router } from 'express';
import type { AttachmentLinks } from '../../handoff/attachmentLink';
import { followConversation } from '../follow';
import { openSse, sseFrame, type StreamSettings, type StreamSink } from '../streams';
import { agentName } from './auth';
import { DESK_LIST_LIMIT, deskMessages, type DeskEngine } from './routes';

/** Fewest milliseconds between two reads of the list, whatever the traffic: one read serves every open desk. */
const LIST_EVERY_MS = 300;

/**
 * The list of conversations with a person, read once for every open desk stream of this process: woken by every
 * stored message here and by the change feed (other instances), at most every LIST_EVERY_MS, and every `pollMs`
 * anyway. Each stream is sent the list (`list`) when it differs from what that stream last got.
 */
class ListHub {
  private readonly subscribers = new Set<(body: string) => void>();
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private last = 0;
  private body = '';
  private readonly wake = () => this.schedule();

  constructor(
    private readonly engine: DeskEngine,
    private readonly pollMs: number,
  ) {}

  subscribe(send: (body: string) => void): () => void {
    if (!this.subscribers.size) {
      this.engine.events.on('message', this.wake);
      this.engine.events.on('remote', this.wake);
      this.poll = setInterval(this.wake, this.pollMs);
    }
    this.subscribers.add(send);
    if (this.body) send(this.body);
    this.schedule();
    return () => {
      this.subscribers.delete(send);
      if (this.subscribers.size) return;
      this.engine.events.off('message', this.wake);
      this.engine.events.off('remote', this.wake);
      clearInterval(this.poll);
      clearTimeout(this.timer);
      this.timer = undefined;
    };
  }

  private schedule(): void {
    if (this.timer || !this.subscribers.size) return;
    const wait = Math.max(0, this.last + LIST_EVERY_MS - Date.now());
    this.timer = setTimeout(() => void this.read(), wait);
  }

  private async read(): Promise<void> {
    this.last = Date.now();
    try {
      this.body = JSON.stringify({ conversations: await this.engine.deskList(DESK_LIST_LIMIT) });
      for (const send of this.subscribers) send(this.body);
    } catch {
      /* the next wake reads again */
    } finally {
      this.timer = undefined;
    }
  }
}

/** One desk stream's share of the list: what changed since it was last sent (nothing while its client is behind). */
function listStream(hub: ListHub, sink: StreamSink): { close(): void } {
  let sent = '';
  const close = hub.subscribe((body) => {
    if (body !== sent && !sink.full() && sink.write(`event: list\ndata: ${body}\n\n`)) sent = body;
  });
  return { close };
}

/** The desk's live streams: the list, and one conversation's messages (all of them: customer, bot, agents). */
export function deskStreams(
  engine: DeskEngine,
  streams: StreamSettings,
  pollMs: number,
  links: AttachmentLinks | undefined,
): Router {
  const r = Router();
  const hub = new ListHub(engine, pollMs);
  r.get('/api/desk/events', (req, res) => {
    const { sink, onClose } = openSse(req, res, streams.limits, `desk:list:${agentName(res.locals)}`);
    const list = listStream(hub, sink);
    onClose(() => list.close());
  });
  r.get('/api/desk/conversations/:id/events', async (req, res) => {
    const id = String(req.params.id).slice(0, 100);
    let after = Number(req.headers['last-event-id'] ?? req.query.after ?? 0);
    if (!Number.isInteger(after) || after < 0) after = 0;
    await engine.deskConversation(id);
    const { sink, onClose } = openSse(req, res, streams.limits, `desk:conversation:${agentName(res.locals)}`);
    let notes = '';
    const follower = followConversation(engine, id, {
      after,
      pollMs,
      pageSize: streams.pageSize,
      stallMs: streams.stallMs,
      sink,
      frames: (records) => deskMessages(links, new Date())(records).map((m) => sseFrame('message', m, m.id)),
      // Colleagues' notes are not messages: looked at with every look at the transcript (and every pollMs).
      afterFlush: async () => {
        const now = JSON.stringify({ notes: await engine.notes(id) });
        if (now !== notes) sink.write(`event: notes\ndata: ${now}\n\n`);
        notes = now;
      },
    });
    onClose(() => follower.close());
  });
  return r;
}
