import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
import { errorHandler, notFound } from './errors';
import { inlineHashes, pageCsp, securityHeaders } from './headers';
import { jsonBody } from './json';
import { checkReadiness, type ReadinessDeps } from './ready';

/** What a feature (a channel) mounts on the app: routes before the JSON body parser, and after it. */
export interface HttpMount {
  /**
   * Mounted before the JSON parser: routes that read their own request bodies (agents' events: signatures cover
   * the raw body; the Bot Framework's larger activities) or answer before any body is read (CORS preflights).
   */
  readonly rawBody?: Router;
  /** Mounted after the JSON parser (its MAX_BODY_BYTES limit applies). */
  readonly routes?: Router;
}

export interface HttpDeps {
  log: Logger;
  maxBodyBytes: number;
  publicDir: string;
  /** The body of GET /health (e.g. the published knowledge-base version). */
  health: () => object;
  /** GET /ready: what the instance needs to take traffic (database writable, content published, outbox bound). */
  ready?: ReadinessDeps;
  /** The channels' routes, mounted in this order. */
  channels?: readonly HttpMount[];
  /** Every other feature's routes (admin API and page, /metrics), mounted after the JSON parser. */
  routers?: Router[];
  /** TRUST_PROXY as a trust function: req.ip and req.protocol believe X-Forwarded-* only from these proxies. */
  trustProxy?: (addr: string, hop: number) => boolean;
}

/** The express application: routes, body limits, the one error handler. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  if (deps.trustProxy) app.set('trust proxy', deps.trustProxy);
  app.use(securityHeaders());
  const channels = deps.channels ?? [];
  for (const c of channels) if (c.rawBody) app.use(c.rawBody);
  app.use(jsonBody(deps.maxBodyBytes));
  const demo = readFileSync(join(deps.publicDir, 'index.html'), 'utf8');
  const inline = inlineHashes(demo);
  const demoCsp = pageCsp({ style: inline.styles, script: inline.scripts });
  let wasReady = true;

  // Liveness: the process answers (restart it when this fails). Readiness (send it traffic) is /ready.
  app.get('/health', (_req, res) => {
    res.json(deps.health());
  });
  app.get('/ready', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    const r = deps.ready ? await checkReadiness(deps.ready) : undefined;
    if (!r) return void res.json({ status: 'ready' });
    const reasons = Object.values(r.checks).flatMap((c) => (c.reason ? [c.reason] : []));
    // Told when it changes, not at every probe.
    if (r.ready !== wasReady)
      if (r.ready) deps.log.info('ready again');
      else deps.log.warn({ reasons }, `not ready: ${reasons.join('; ')}`);
    wasReady = r.ready;
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'unavailable', reasons, checks: r.checks });
  });
  app.get('/', (_req, res) => {
    res.set('Content-Security-Policy', demoCsp);
    res.type('html').send(demo);
  });
  for (const r of deps.routers ?? []) app.use(r);
  for (const c of channels) if (c.routes) app.use(c.routes);
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
