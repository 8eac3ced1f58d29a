import type { Server } from 'node:http';
import { Router } from 'express';
import type { Lang } from '../../domain/types';
import type { Engine } from '../../engine/engine';
import type { Channel } from '../channel';
import type { TrafficLimits } from '../limits';
import { activityRoutes } from './activities';
import { conversationRoutes } from './conversations';
import { BASE, type DirectLineContext, type DirectLineFiles } from './protocol';
import { attachStream } from './stream';
import type { StreamSettings } from '../streams';
import type { DirectLineTokens } from './tokens';
import { uploadRoutes } from './uploads';
import { webchatRoutes } from './webchat';

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
  limits?: TrafficLimits;
  /** Limits and pacing of the WebSocket streams (shared with the other channels' streams). */
  streams: StreamSettings;
  /** Uploads (Web Chat's attach button) and the files' signed URLs on activities; without it no upload route. */
  files?: DirectLineFiles;
}

export interface DirectLine extends Channel {
  readonly routes: Router;
  readonly rawBody?: Router;
  attach(server: Server): { close(): void };
}

/**
 * A subset of the Direct Line 3.0 API (what Microsoft Web Chat and botframework-directlinejs use), so that a site
 * can embed the official Web Chat pointed at this server: start/reconnect a conversation, post and get activities
 * with watermarks (message ids), refresh tokens, and a WebSocket stream of {activities, watermark} frames (its
 * proactive delivery: agents' messages and typing). Translation only: the engine decides every answer.
 */
export function createDirectLine(deps: DirectLineDeps): DirectLine {
  const ctx: DirectLineContext = {
    engine: deps.engine,
    tokens: deps.tokens,
    defaultLang: deps.defaultLang,
    botName: deps.botName ?? 'Assistant',
    pollMs: deps.pollMs ?? 2000,
    ...(deps.limits ? { limits: deps.limits } : {}),
    streams: deps.streams,
    pageSize: deps.streams.pageSize,
    ...(deps.files ? { files: deps.files } : {}),
  };
  const routes = Router();
  // Web Chat is embedded in other sites' pages: any origin may call, since access rides on bearer tokens (no
  // cookies). Preflights (Authorization, JSON bodies) are answered here.
  routes.use(BASE, (req, res, next) => {
    res.setHeader('access-control-allow-origin', '*');
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'authorization, content-type, x-ms-bot-agent');
    res.setHeader('access-control-max-age', '600');
    res.status(204).end();
  });
  routes.use(
    conversationRoutes(ctx, deps.secret),
    activityRoutes(ctx),
    webchatRoutes({
      demoPage: deps.demoPage,
      webchatBundle: deps.webchatBundle,
      ...(deps.files ? { imageOrigin: new URL(deps.files.publicUrl).origin } : {}),
    }),
  );
  return {
    name: 'directline',
    routes,
    // Multipart uploads are read by their route, before the JSON parser.
    ...(deps.files ? { rawBody: uploadRoutes(ctx, deps.files) } : {}),
    limited: { paths: [BASE], limit: 'requests' },
    attach: (server) => attachStream(ctx, server),
  };
}
