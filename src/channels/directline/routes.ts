import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { IncomingMessage as HttpRequest, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Router, type Request } from 'express';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { AppError, parseBody } from '../../domain/errors';
import { isLang, type Lang } from '../../domain/types';
import type { Engine } from '../../engine/engine';
import type { MessageRecord } from '../../domain/conversation';
import { buttonPolicy, incomingOf, recordActivity, type ActivityJson } from '../activity';
import { followConversation } from '../follow';
import { DirectLineTokens, type TokenClaims } from './tokens';

export interface DirectLineDeps {
  engine: Engine;
  tokens: DirectLineTokens;
  /** Server-to-server secret: when set, /tokens/generate requires it. */
  secret?: string;
  /** Language of the welcome when the client gives no locale. */
  defaultLang: Lang;
  /** The demo page (HTML) and Web Chat's bundle, served from this server (no CDN). */
  demoPage: string;
  webchatBundle: string;
  /** How often an open stream looks for messages written by other instances. */
  pollMs?: number;
  /** Name shown for the bot's messages (agents' messages carry the agent's name). */
  botName?: string;
}

export const CHANNEL = 'directline';
const BASE = '/v3/directline';
const POLICY = buttonPolicy(CHANNEL);
const gzipAsync = promisify(gzip);
const STREAM_PATH = /^\/v3\/directline\/conversations\/([^/?#]+)\/stream$/;

const startBody = z.object({
  user: z.object({ id: z.string().max(128).optional(), name: z.string().max(200).optional() }).optional(),
  locale: z.string().max(35).optional(),
});
const activityBody = z.object({
  type: z.string().min(1).max(64),
  text: z.string().max(20_000, { message: 'text is longer than 20000 characters' }).optional(),
  value: z.unknown().optional(),
  channelData: z.looseObject({ clientActivityID: z.string().min(1).max(200).optional() }).optional(),
  entities: z
    .array(z.looseObject({ type: z.string().max(100) }))
    .max(50)
    .optional(),
});
// User ids embedded in tokens start with dl_ (Web Chat refuses such ids when they do not come from a token).
const TRUSTED_USER = /^dl_[A-Za-z0-9._:-]{1,120}$/;

function bearerOf(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}

function requireBearer(req: Request): string {
  const token = bearerOf(req.headers.authorization);
  if (!token) throw new AppError('UNAUTHORIZED', 'missing "Authorization: Bearer <token>" header', 401);
  return token;
}

function sameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Direct Line watermarks are message ids as strings; absent, empty or "-" means from the start. */
function watermarkOf(raw: unknown): number {
  if (raw === undefined || raw === '' || raw === '-') return 0;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 0)
    throw new AppError(
      'INVALID_QUERY',
      `watermark must be a message id (a non-negative integer), not "${String(raw)}"`,
      400,
    );
  return n;
}

const langOfLocale = (locale: string | undefined): Lang | undefined => {
  const l = locale?.slice(0, 2).toLowerCase();
  return isLang(l) ? l : undefined;
};

/**
 * A subset of the Direct Line 3.0 API (what Microsoft Web Chat and botframework-directlinejs use), so that a site
 * can embed the official Web Chat pointed at this server: start/reconnect a conversation, post and get activities
 * with watermarks (message ids), refresh tokens, and a WebSocket stream of {activities, watermark} frames.
 * Translation only: the engine decides every answer.
 */
export function createDirectLine(deps: DirectLineDeps) {
  const { engine, tokens } = deps;
  const pollMs = deps.pollMs ?? 2000;
  const botName = deps.botName ?? 'Assistant';

  /** Stored messages as activities: the customer's own with their user id and clientActivityID (Web Chat waits
   * for this echo to mark a message sent), the bot's and agents' from "bot" with the right name. */
  function activitiesOf(records: MessageRecord[], conversationId: string, user: string, lang: Lang): ActivityJson[] {
    return records.map((m) => {
      const a = recordActivity(m, lang, POLICY);
      a.channelId = CHANNEL;
      a.conversation = { id: conversationId };
      if (m.from === 'customer') {
        a.from = { id: user, role: 'user' };
        if (m.clientId) a.channelData = { ...a.channelData, clientActivityID: m.clientId };
      } else {
        a.from = { id: 'bot', name: m.from === 'agent' ? m.source?.id || botName : botName, role: 'bot' };
        a.recipient = { id: user, role: 'user' };
      }
      return a;
    });
  }

  function streamUrl(req: Request, conversationId: string, user: string, watermark?: number): string {
    const scheme = req.protocol === 'https' ? 'wss' : 'ws';
    const { token } = tokens.issue(conversationId, user, 'stream');
    const w = watermark ? `watermark=${watermark}&` : '';
    return `${scheme}://${req.get('host')}${BASE}/conversations/${encodeURIComponent(conversationId)}/stream?${w}t=${token}`;
  }

  async function start(lang: Lang | undefined): Promise<string> {
    const state = await engine.createConversation({ channel: CHANNEL, ...(lang ? { lang } : {}) });
    await engine.welcome(state.id, lang ?? deps.defaultLang);
    return state.id;
  }

  /** The conversation of this request's token (401 without or with a bad token, 403 for another one's). */
  async function authorized(req: Request): Promise<{ claims: TokenClaims; token: string; lang: Lang }> {
    const token = requireBearer(req);
    const claims = tokens.check(token, String(req.params.id));
    const state = await engine.getConversation(claims.conv);
    if (!state) throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${claims.conv}" not found`, 404);
    return { claims, token, lang: state.lang ?? deps.defaultLang };
  }

  const r = Router();

  // Web Chat is embedded in other sites' pages: any origin may call, since access rides on bearer tokens (no
  // cookies). Preflights (Authorization, JSON bodies) are answered here.
  r.use(BASE, (req, res, next) => {
    res.setHeader('access-control-allow-origin', '*');
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'authorization, content-type, x-ms-bot-agent');
    res.setHeader('access-control-max-age', '600');
    res.status(204).end();
  });

  // Server-to-server: a site's backend asks for a token (with DIRECTLINE_SECRET when set) and gives it to its page.
  r.post(`${BASE}/tokens/generate`, async (req, res) => {
    const given = bearerOf(req.headers.authorization);
    if (deps.secret && !(given && sameSecret(given, deps.secret)))
      throw new AppError('UNAUTHORIZED', 'tokens/generate needs "Authorization: Bearer <DIRECTLINE_SECRET>"', 401);
    const body = parseBody(startBody, req.body);
    // A user id is trusted only from a backend that proved it holds the secret.
    const asked = body.user?.id;
    if (asked !== undefined && !(deps.secret && TRUSTED_USER.test(asked)))
      throw new AppError(
        'INVALID_BODY',
        `user.id "${asked}" is accepted only with DIRECTLINE_SECRET, and must match ${TRUSTED_USER}`,
        400,
      );
    const user = asked ?? `dl_${randomBytes(12).toString('base64url')}`;
    const conversationId = await start(langOfLocale(body.locale));
    const { token, expiresIn } = tokens.issue(conversationId, user);
    res.json({ conversationId, token, expires_in: expiresIn });
  });

  // Start a conversation: the one a token was generated for (what Web Chat does with a token), or a new one.
  r.post(`${BASE}/conversations`, async (req, res) => {
    const given = bearerOf(req.headers.authorization);
    const body = parseBody(startBody, req.body);
    if (given && !(deps.secret && sameSecret(given, deps.secret))) {
      const claims = tokens.verify(given);
      if (!(await engine.getConversation(claims.conv)))
        throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${claims.conv}" not found`, 404);
      res.json({
        conversationId: claims.conv,
        token: given,
        expires_in: tokens.secondsLeft(claims),
        streamUrl: streamUrl(req, claims.conv, claims.user),
      });
      return;
    }
    const user = `dl_${randomBytes(12).toString('base64url')}`;
    const conversationId = await start(langOfLocale(body.locale));
    const { token, expiresIn } = tokens.issue(conversationId, user);
    res
      .status(201)
      .json({ conversationId, token, expires_in: expiresIn, streamUrl: streamUrl(req, conversationId, user) });
  });

  r.post(`${BASE}/tokens/refresh`, async (req, res) => {
    const claims = tokens.verify(requireBearer(req));
    if (!(await engine.getConversation(claims.conv)))
      throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${claims.conv}" not found`, 404);
    const { token, expiresIn } = tokens.issue(claims.conv, claims.user);
    res.json({ conversationId: claims.conv, token, expires_in: expiresIn });
  });

  // Reconnect: a new stream URL that resumes after the watermark.
  r.get(`${BASE}/conversations/:id`, async (req, res) => {
    const { claims, token } = await authorized(req);
    const watermark = watermarkOf(req.query.watermark);
    res.json({
      conversationId: claims.conv,
      token,
      expires_in: tokens.secondsLeft(claims),
      streamUrl: streamUrl(req, claims.conv, claims.user, watermark),
    });
  });

  r.post(`${BASE}/conversations/:id/activities`, async (req, res) => {
    const { claims } = await authorized(req);
    const activity = parseBody(activityBody, req.body);
    const clientId = activity.channelData?.clientActivityID ?? `srv-${randomBytes(9).toString('base64url')}`;
    // Only messages reach the engine; typing indicators and events are acknowledged and dropped.
    if (activity.type !== 'message') {
      res.json({ id: clientId });
      return;
    }
    // The same activity posted again (a client's retry): answered once, acknowledged with the same id.
    const seen = await engine.customerMessage(claims.conv, clientId);
    if (seen) {
      res.json({ id: String(seen.id) });
      return;
    }
    const incoming = incomingOf(activity as ActivityJson) ?? { text: '' };
    await engine.handle({ conversationId: claims.conv, channel: CHANNEL, ...incoming, clientId });
    const stored = await engine.customerMessage(claims.conv, clientId);
    res.json({ id: stored ? String(stored.id) : clientId });
  });

  // Polling clients (webSocket: false) and history: activities after the watermark.
  r.get(`${BASE}/conversations/:id/activities`, async (req, res) => {
    const { claims, lang } = await authorized(req);
    const after = watermarkOf(req.query.watermark);
    const records = await engine.transcript(claims.conv, after);
    const last = records.length ? records[records.length - 1]!.id : after;
    res.json({ activities: activitiesOf(records, claims.conv, claims.user, lang), watermark: String(last) });
  });

  // Web Chat's own bundle, from node_modules (no CDN); reused for an hour, then revalidated by ETag. Gzipped once,
  // off the event loop, on first demand (3.9 MB -> about 1 MB).
  let gzipped: Promise<{ body: Buffer; etag: string }> | undefined;
  r.get('/webchat/webchat.js', async (req, res) => {
    if (!existsSync(deps.webchatBundle))
      throw new AppError(
        'NOT_FOUND',
        `Web Chat bundle not installed (${deps.webchatBundle}): install botframework-webchat`,
        404,
      );
    res.setHeader('vary', 'accept-encoding');
    if (!req.acceptsEncodings('gzip')) {
      res.sendFile(deps.webchatBundle, {
        maxAge: 3_600_000,
        headers: { 'content-type': 'application/javascript; charset=utf-8' },
      });
      return;
    }
    gzipped ??= readFile(deps.webchatBundle).then(async (raw) => ({
      body: await gzipAsync(raw, { level: 9 }),
      etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 22)}-gz"`,
    }));
    const { body, etag } = await gzipped.catch((e: unknown) => {
      gzipped = undefined; // try again next time
      throw e;
    });
    res.setHeader('cache-control', 'public, max-age=3600');
    res.setHeader('etag', etag);
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.setHeader('content-type', 'application/javascript; charset=utf-8');
    res.setHeader('content-encoding', 'gzip');
    res.end(body);
  });
  const demo = readFileSync(deps.demoPage, 'utf8');
  r.get('/webchat.html', (_req, res) => {
    res.type('html').send(demo);
  });

  /** The WebSocket stream at streamUrl, on the HTTP server's upgrade event. `close()` ends the open streams. */
  function attach(server: Server): { close(): void } {
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    const refuse = (socket: Duplex, status: number, code: string, message: string) => {
      const body = JSON.stringify({ error: { code, message } });
      const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status] ?? 'Error';
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
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
        try {
          claims = tokens.check(url.searchParams.get('t') ?? '', decodeURIComponent(m[1]!), 'stream');
          after = watermarkOf(url.searchParams.get('watermark') ?? undefined);
          if (!(await engine.getConversation(claims.conv)))
            throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${claims.conv}" not found`, 404);
        } catch (e) {
          const err = e instanceof AppError ? e : new AppError('INTERNAL', 'internal error', 500);
          return refuse(socket, err.status, err.code, err.message);
        }
        wss.handleUpgrade(req, socket, head, (ws) => stream(ws, claims, after));
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

  /** Push stored messages after `last` as they are written (this process at once, other instances by polling). */
  function stream(ws: WebSocket, claims: TokenClaims, after: number): void {
    const id = claims.conv;
    let closed = false;
    const send = (frame: unknown) => {
      if (!closed && ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const follower = followConversation(engine, id, {
      after,
      pollMs,
      onMessages: async (records) => {
        const lang = (await engine.getConversation(id))?.lang ?? deps.defaultLang;
        send({
          activities: activitiesOf(records, id, claims.user, lang),
          watermark: String(records[records.length - 1]!.id),
        });
      },
      // An agent typing: shown by Web Chat, not stored, so no watermark.
      onTyping: (name) =>
        send({
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

  return { routes: r, attach };
}

export type DirectLine = ReturnType<typeof createDirectLine>;
