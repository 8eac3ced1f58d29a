import type { Engine } from '../engine/engine';
import type { MessageRecord } from '../domain/conversation';
import type { StreamSink } from './streams';

export interface FollowOptions {
  /** Resume after this message id (0: from the start). */
  after: number;
  /** How often to look for messages written by other instances anyway (the change feed wakes the stream at once). */
  pollMs: number;
  /** Messages read from the store at a time. */
  pageSize: number;
  /** Longest wait for a client to drain its buffer; then the stream is ended ('stalled'). */
  stallMs: number;
  /** Where the frames go; its buffer paces the reads. */
  sink: StreamSink;
  /** The frame of each stored message (same order, same length). */
  frames(records: MessageRecord[]): string[] | Promise<string[]>;
  /** After each look (with or without new messages): e.g. the queue position. */
  afterFlush?(): void | Promise<void>;
  /** An agent is typing (not stored). */
  onTyping?(agentName: string): void;
}

type FollowEngine = Pick<Engine, 'messagesPage' | 'events'>;

/**
 * Follow one conversation's stored messages for a live stream (widget event stream, Direct Line WebSocket): pushed
 * at once when this process writes them, woken by the store's change feed when another instance does (PostgreSQL
 * LISTEN/NOTIFY; polling every `pollMs` stays as the fallback), always read back from
 * the store after the last id sent, so nothing is lost or sent twice across reconnects.
 *
 * Memory stays bounded whatever the client does: the store is read one page at a time, and once the sink's buffer
 * is full nothing more is written until the client drains it, so a stream holds at most one page and the
 * transport's high-water mark. The next page is read only when the last one is written. A client that does not
 * drain within `stallMs` is cut (it can reconnect and resume from its last id).
 */
export function followConversation(engine: FollowEngine, conversationId: string, o: FollowOptions): { close(): void } {
  let last = o.after;
  let closed = false;
  let pending = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    if (wake) wake();
    else pending = true;
  };
  const nextLook = () =>
    new Promise<void>((resolve) => {
      if (pending || closed) {
        pending = false;
        return resolve();
      }
      const timer = setTimeout(() => ((wake = undefined), resolve()), o.pollMs);
      wake = () => ((wake = undefined), clearTimeout(timer), resolve());
    });
  /** Wait for the client to read (true), or end the stream after stallMs (false). */
  const drained = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), o.stallMs)));
    const ok = await Promise.race([o.sink.drained(), stalled]);
    clearTimeout(timer);
    if (!ok && !closed) o.sink.end('stalled');
    return ok && !closed;
  };
  /** Write the messages after `last`, page by page; false when the stream is over. */
  const flush = async (): Promise<boolean> => {
    for (;;) {
      const page = await engine.messagesPage(conversationId, { after: last, limit: o.pageSize });
      if (closed) return false;
      if (!page.length) return true;
      const frames = await o.frames(page);
      for (let i = 0; i < page.length; i++) {
        if (closed) return false;
        last = page[i]!.id;
        if (!o.sink.write(frames[i]!) && !(await drained())) return false;
      }
      if (page.length < o.pageSize) return true;
    }
  };
  const run = async () => {
    while (!closed) {
      try {
        if (!(await flush())) return;
        if (!closed && !o.sink.full()) await o.afterFlush?.();
      } catch {
        /* the next look tries again */
      }
      await nextLook();
    }
  };
  const onMessage = (id: string) => {
    if (id === conversationId) notify();
  };
  const onTyping = (id: string, name: string) => {
    if (id === conversationId && !closed && !o.sink.full()) o.onTyping?.(name);
  };
  // Another instance wrote (PostgreSQL's change feed): read the store now instead of at the next poll.
  const onRemote = (id: string, typing?: string) => {
    if (typing !== undefined) onTyping(id, typing);
    else if (id === conversationId || id === '*') notify();
  };
  engine.events.on('message', onMessage);
  engine.events.on('typing', onTyping);
  engine.events.on('remote', onRemote);
  void run();
  return {
    close() {
      if (closed) return;
      closed = true;
      engine.events.off('message', onMessage);
      engine.events.off('typing', onTyping);
      engine.events.off('remote', onRemote);
      notify();
    },
  };
}
