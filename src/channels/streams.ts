import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { AppError } from '../domain/errors';
import type { SharedPresence, StreamWatcher } from './presence';

/** How live streams are bounded (STREAMS_PER_CONVERSATION, STREAMS_PER_IP, STREAM_PAGE_SIZE, STREAM_STALL_MS). */
export interface StreamSettings {
  limits: StreamLimits;
  /** Messages read from the store at a time. */
  pageSize: number;
  /** A stream whose client has not drained its buffer for this long is closed. */
  stallMs: number;
  /** The client address of a WebSocket upgrade behind TRUST_PROXY (the limits' clientIp); default: the socket's peer. */
  clientIp?: (req: IncomingMessage) => string;
  /** Open customers' streams as every instance sees them (recorded when mail is on: the mail worker reads it). */
  presence?: SharedPresence;
}

/** Why the server ends a stream. */
export type EndReason = 'replaced' | 'stalled' | 'shutdown';

/**
 * What a live stream writes to: the transport's own buffer tells when the client is not reading (SSE: res.write()
 * returning false until 'drain'; WebSocket: bufferedAmount and the send callback).
 */
export interface StreamSink {
  /** Write one frame; false when the buffer is full: write nothing more before drained(). */
  write(frame: string): boolean;
  /** Whether the buffer is full (frames that can be dropped, typing and keep-alives, are skipped meanwhile). */
  full(): boolean;
  /** Resolves true once the buffer has drained, false if the stream closed first. */
  drained(): Promise<boolean>;
  /** End the stream: the client reconnects and resumes after its last id. A stalled client is cut at once. */
  end(reason: EndReason): void;
}

/** The client address of a WebSocket upgrade (HTTP routes use express's req.ip, set from the same TRUST_PROXY). */
export function upgradeClientIp(req: IncomingMessage, settings: Pick<StreamSettings, 'clientIp'>): string {
  return settings.clientIp ? settings.clientIp(req) : (req.socket.remoteAddress ?? 'unknown');
}

/** How long a closed stream is remembered (longer than any mail's grace, HANDOFF_EMAIL_GRACE_MS). */
const RECENT_MS = 5 * 60_000;

interface Slot {
  ip: string;
  end(reason: EndReason): void;
  released: boolean;
}

/**
 * Open streams per conversation and per client address. A conversation's new stream closes its oldest beyond
 * `perConversation` (a reloaded tab replaces its old stream); an address at `perIp` open streams is refused with
 * 429 RATE_LIMITED (closing the oldest instead would let one address cut others' streams behind the same NAT).
 */
export class StreamLimits {
  private readonly byConversation = new Map<string, Slot[]>();
  private readonly byIp = new Map<string, number>();
  /** When each conversation's last stream closed (ms), kept RECENT_MS, oldest first: see seenSince. */
  private readonly closedAt = new Map<string, number>();

  /** `watcher`: told of every stream opened and closed (the presence other instances read, presence.ts). */
  constructor(
    private readonly o: { perConversation: number; perIp: number },
    private readonly watcher?: StreamWatcher,
  ) {}

  /** Take a slot for a new stream (or throw 429); `release` when it closes, whoever closes it. */
  open(conversationId: string, ip: string, end: (reason: EndReason) => void): { release(): void } {
    const n = this.byIp.get(ip) ?? 0;
    if (n >= this.o.perIp)
      throw new AppError(
        'RATE_LIMITED',
        `too many open streams from this address (at most ${this.o.perIp}): close one and try again`,
        429,
      );
    const slot: Slot = { ip, end, released: false };
    const list = this.byConversation.get(conversationId) ?? [];
    list.push(slot);
    this.byConversation.set(conversationId, list);
    this.byIp.set(ip, n + 1);
    this.watcher?.opened(conversationId);
    const evicted: Slot[] = [];
    while (list.length > this.o.perConversation) {
      const oldest = list.shift()!;
      this.free(oldest);
      this.watcher?.closed(conversationId);
      evicted.push(oldest);
    }
    for (const s of evicted) s.end('replaced');
    return {
      release: () => {
        if (slot.released) return;
        const l = this.byConversation.get(conversationId);
        const i = l?.indexOf(slot) ?? -1;
        if (l && i >= 0) l.splice(i, 1);
        if (l && !l.length) this.byConversation.delete(conversationId);
        this.free(slot);
        this.noteClosed(conversationId);
        this.watcher?.closed(conversationId);
      },
    };
  }

  /** Open streams of a conversation, or of every conversation. */
  count(conversationId?: string): number {
    if (conversationId !== undefined) return this.byConversation.get(conversationId)?.length ?? 0;
    let n = 0;
    for (const l of this.byConversation.values()) n += l.length;
    return n;
  }

  /**
   * Whether the conversation had a live stream open at some time since `since` (ms): open now, or one closed after
   * it (this process's streams; the mail worker skips a reply the customer received live).
   */
  seenSince(conversationId: string, since: number): boolean {
    return this.count(conversationId) > 0 || (this.closedAt.get(conversationId) ?? -Infinity) >= since;
  }

  private noteClosed(conversationId: string): void {
    const now = Date.now();
    this.closedAt.delete(conversationId);
    this.closedAt.set(conversationId, now);
    // Oldest first (re-inserted on each close): what is older than RECENT_MS goes, so the map stays small.
    for (const [id, at] of this.closedAt) {
      if (now - at < RECENT_MS) break;
      this.closedAt.delete(id);
    }
  }

  private free(slot: Slot): void {
    if (slot.released) return;
    slot.released = true;
    const n = (this.byIp.get(slot.ip) ?? 1) - 1;
    if (n > 0) this.byIp.set(slot.ip, n);
    else this.byIp.delete(slot.ip);
  }
}

/** Resolves true on `ok`, false on `fail`, whichever `emitter` emits first; both listeners are then removed. */
function firstOf(emitter: NodeJS.EventEmitter, ok: string, fail: string): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      emitter.off(ok, onOk);
      emitter.off(fail, onFail);
      resolve(v);
    };
    const onOk = () => done(true);
    const onFail = () => done(false);
    emitter.on(ok, onOk);
    emitter.on(fail, onFail);
  });
}

/** One server-sent event: its id (a message id, for Last-Event-ID), name and JSON data. */
export const sseFrame = (event: string, data: unknown, id?: number): string =>
  `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Opens a server-sent event stream within the stream limits, counted under `key` (a conversation, or an agent's
 * desk) and the client's address: beyond them a 429 with Retry-After, before any header is sent. Keep-alives go out
 * only while the client reads (a full buffer needs none). `onClose(fn)`: what to stop when the client is gone, after
 * the slot is released.
 */
export function openSse(
  req: IncomingMessage & { ip?: string | undefined },
  res: ServerResponse,
  limits: StreamLimits,
  key: string,
): { sink: StreamSink; onClose(fn: () => void): void } {
  const sink = sseSink(res);
  let slot: { release(): void };
  try {
    slot = limits.open(key, req.ip ?? req.socket.remoteAddress ?? 'unknown', (reason) => sink.end(reason));
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
  const heartbeat = setInterval(() => !sink.full() && sink.write(': keep-alive\n\n'), 15_000);
  const onClose = (fn: () => void) =>
    void res.on('close', () => {
      slot.release();
      clearInterval(heartbeat);
      fn();
    });
  return { sink, onClose };
}

/** A server-sent event stream as a sink: res.write() says when the socket's buffer is full, 'drain' when it is not. */
export function sseSink(res: ServerResponse): StreamSink {
  let full = false;
  return {
    write(frame) {
      if (res.destroyed || res.writableEnded) return false;
      full = !res.write(frame);
      return !full;
    },
    full: () => full,
    async drained() {
      if (res.destroyed || res.writableEnded) return false;
      if (full && res.writableNeedDrain) full = !(await firstOf(res, 'drain', 'close'));
      else full = false;
      return !full && !res.destroyed;
    },
    end(reason) {
      if (res.destroyed || res.writableEnded) return;
      // A client that reads gets told why (EventSource reconnects by itself); one that does not is cut.
      if (full || reason === 'stalled') return void res.destroy();
      res.end(`event: closed\ndata: ${JSON.stringify({ reason })}\n\n`);
    },
  };
}

/** Beyond this many bytes waiting for a WebSocket client, the stream waits for the client to read. */
const WS_HIGH_WATER = 64 * 1024;

/** A WebSocket as a sink: bufferedAmount says when the client is behind, the send callback when it caught up. */
export function wsSink(ws: WebSocket): StreamSink {
  let flushed: Promise<boolean> = Promise.resolve(true);
  const open = () => ws.readyState === ws.OPEN;
  return {
    write(frame) {
      if (!open()) return false;
      // The callback runs once the frame has left the socket's buffer: all earlier frames have too.
      flushed = new Promise((resolve) => ws.send(frame, (err) => resolve(!err)));
      return ws.bufferedAmount <= WS_HIGH_WATER;
    },
    full: () => ws.bufferedAmount > WS_HIGH_WATER,
    drained() {
      if (!open()) return Promise.resolve(false);
      if (ws.bufferedAmount <= WS_HIGH_WATER) return Promise.resolve(true);
      return new Promise((resolve) => {
        const onClose = () => resolve(false);
        ws.once('close', onClose);
        void flushed.then((ok) => {
          ws.off('close', onClose);
          resolve(ok && open());
        });
      });
    },
    end(reason) {
      if (!open()) return;
      if (reason === 'stalled' || ws.bufferedAmount > WS_HIGH_WATER) return ws.terminate();
      ws.close(reason === 'shutdown' ? 1001 : 1008, `stream ${reason}`);
    },
  };
}
