import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
import { widgetScriptRoute, type WidgetBundle } from '../channels/widget/bundle';
import { widgetCors } from '../channels/widget/cors';
import { widgetRoutes } from '../channels/widget/routes';
import type { Engine } from '../engine/engine';
import { errorHandler, notFound } from './errors';

export interface HttpDeps {
  engine: Engine;
  log: Logger;
  maxBodyBytes: number;
  publicDir: string;
  /**
   * Routes that read their own request bodies, mounted before the JSON parser: agents' events (signatures cover
   * the raw body) and the Bot Framework's POST /api/messages (larger activities).
   */
  rawBodyRouters?: Router[];
  /** Every other feature's routes (admin API and page, /metrics, Direct Line), mounted after the JSON parser. */
  routers?: Router[];
  /** How often live event streams look for messages written by other instances. */
  streamPollMs?: number;
  /** The website widget: its script (bundled at startup) and the other sites allowed to embed it. */
  widget?: { bundle?: WidgetBundle; allowedOrigins: readonly string[] };
}

/** The express application: routes, body limits, the one error handler. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  if (deps.widget) app.use('/api/conversations', widgetCors(deps.widget.allowedOrigins));
  for (const r of deps.rawBodyRouters ?? []) app.use(r);
  app.use(express.json({ limit: deps.maxBodyBytes }));
  const demo = readFileSync(join(deps.publicDir, 'index.html'), 'utf8');

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', kbVersion: deps.engine.kbVersion });
  });
  app.get('/', (_req, res) => {
    res.type('html').send(demo);
  });
  for (const r of deps.routers ?? []) app.use(r);
  if (deps.widget?.bundle) app.use(widgetScriptRoute(deps.widget.bundle));
  app.use(widgetRoutes(deps.engine, deps.streamPollMs));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
