import { randomBytes } from 'node:crypto';
import type { IncomingMessage as HttpRequest, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppError } from '../../domain/errors';
import { followConversation } from '../follow';
import { upgradeClientIp, wsSink, type EndReason, type StreamSink } from '../streams';
import { activitiesOf, CHANNEL, existing, watermarkOf, type DirectLineContext } from './protocol';
import type { TokenClaims } from './tokens';

const STREAM_PATH = /^\/v3\/directline\/conversations\/([^/?#]+)\/stream$/;
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
};

/** Refuse an upgrade with an HTTP answer carrying our JSON error. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The WebSocket stream at streamUrl, on the HTTP server's upgrade event. `close()` ends the open streams. */
export function attachStream(ctx: DirectLineContext, server: Server): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const onUpgrade = (req: HttpRequest, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = STREAM_PATH.exec(url.pathname);
    if (!m) {
      if (server.listenerCount('upgrade') === 1)
        refuse(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${url.pathname}`);
      return;
    }
    void (async () => {
      let claims: TokenClaims;
      let after: number;
      let slot: { release(): void };
      let end: (reason: EndReason) => void = () => socket.destroy();
      try {
        claims = ctx.tokens.check(url.searchParams.get('t') ?? '', decodeURIComponent(m[1]!), 'stream');
        after = watermarkOf(url.searchParams.get('watermark') ?? undefined);
        await existing(ctx, claims.conv);
        slot = ctx.streams.limits.open(claims.conv, upgradeClientIp(req, ctx.streams), (reason) => end(reason));
      } catch (e) {
        const err = e instanceof AppError ? e : new AppError('INTERNAL', 'internal error', 500);
        return refuse(socket, err.status, err.code, err.message);
      }
      // Released whoever closes the connection (the client, a failed upgrade, the server).
      socket.once('close', () => slot.release());
      wss.handleUpgrade(req, socket, head, (ws) => {
        const sink = wsSink(ws);
        end = (reason) => sink.end(reason);
        stream(ctx, ws, sink, claims, after);
      });
    })();
  };
  server.on('upgrade', onUpgrade);
  return {
    close() {
      server.off('upgrade', onUpgrade);
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}

/** Push stored messages after `after` as they are written (this process at once, other instances by polling). */
function stream(ctx: DirectLineContext, ws: WebSocket, sink: StreamSink, claims: TokenClaims, after: number): void {
  const { engine } = ctx;
  const id = claims.conv;
  let closed = false;
  const follower = followConversation(engine, id, {
    after,
    pollMs: ctx.pollMs,
    pageSize: ctx.streams.pageSize,
    stallMs: ctx.streams.stallMs,
    sink,
    // One frame per message, each with its watermark: a stream cut between two frames resumes exactly.
    frames: async (records) => {
      const lang = (await engine.getConversation(id))?.lang ?? ctx.defaultLang;
      return activitiesOf(ctx, records, id, claims.user, lang).map((a, i) =>
        JSON.stringify({ activities: [a], watermark: String(records[i]!.id) }),
      );
    },
    // An agent typing: shown by Web Chat, not stored, so no watermark.
    onTyping: (name) =>
      void sink.write(
        JSON.stringify({
          activities: [
            {
              type: 'typing',
              id: `typing-${randomBytes(6).toString('hex')}`,
              channelId: CHANNEL,
              conversation: { id },
              from: { id: 'bot', name, role: 'bot' },
            },
          ],
        }),
      ),
  });
  // Pings keep proxies from closing an idle stream; a peer that did not answer the last one is gone.
  let alive = true;
  ws.on('pong', () => (alive = true));
  const heartbeat = setInterval(() => {
    if (closed) return;
    if (!alive) return ws.terminate();
    alive = false;
    ws.ping();
  }, 15_000);
  const cleanup = () => {
    closed = true;
    follower.close();
    clearInterval(heartbeat);
  };
  ws.on('close', cleanup);
  ws.on('error', cleanup);
  // The client's own frames are empty keep-alives: nothing to read.
}
