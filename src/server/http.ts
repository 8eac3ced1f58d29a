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
  /** Agents' events (signed webhooks); mounted before the JSON parser since signatures cover the raw body. */
  agentEvents?: Router;
  /** Admin API, admin page and /metrics routers, mounted after the JSON parser. */
  routers?: Router[];
  /** Direct Line 3.0 for Microsoft Web Chat (/v3/directline, /webchat.html). */
  directLine?: Router;
  /** The editors' admin API (/api/admin/...), mounted after the JSON parser. */
  admin?: Router;
  /** The Bot Framework channel's routes (POST /api/messages), with their own body parser (larger activities). */
  botframework?: Router;
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
  if (deps.agentEvents) app.use(deps.agentEvents);
  if (deps.botframework) app.use(deps.botframework);
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
  if (deps.directLine) app.use(deps.directLine);
  if (deps.admin) app.use(deps.admin);
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
