import type { Engine } from '../engine/engine';
import type { MessageRecord } from '../domain/conversation';

export interface FollowOptions {
  /** Resume after this message id (0: from the start). */
  after: number;
  /** How often to look for messages written by other instances. */
  pollMs: number;
  /** New stored messages, in order, each exactly once. */
  onMessages(records: MessageRecord[]): void | Promise<void>;
  /** After each look (with or without new messages): e.g. the queue position. */
  afterFlush?(): void | Promise<void>;
  /** An agent is typing (not stored). */
  onTyping?(agentName: string): void;
}

/**
 * Follow one conversation's stored messages for a live stream (widget event stream, Direct Line WebSocket):
 * pushed at once when this process writes them, picked up by polling when another instance does, always read
 * back from the store after the last id sent, so nothing is lost or sent twice across reconnects.
 */
export function followConversation(engine: Engine, conversationId: string, o: FollowOptions): { close(): void } {
  let last = o.after;
  let closed = false;
  let busy = false;
  let again = false;
  const flush = async (): Promise<void> => {
    if (closed) return;
    if (busy) {
      again = true; // a notification during a flush: flush once more right after
      return;
    }
    busy = true;
    try {
      const records = await engine.transcript(conversationId, last);
      if (records.length && !closed) {
        last = records[records.length - 1]!.id;
        await o.onMessages(records);
      }
      if (!closed) await o.afterFlush?.();
    } catch {
      /* the next poll tries again */
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      await flush();
    }
  };
  const onMessage = (id: string) => {
    if (id === conversationId) void flush();
  };
  const onTyping = (id: string, name: string) => {
    if (id === conversationId && !closed) o.onTyping?.(name);
  };
  engine.events.on('message', onMessage);
  engine.events.on('typing', onTyping);
  const poll = setInterval(() => void flush(), o.pollMs);
  void flush();
  return {
    close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      engine.events.off('message', onMessage);
      engine.events.off('typing', onTyping);
    },
  };
}
