import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
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
  /** The Bot Framework channel's routes (POST /api/messages), with their own body parser (larger activities). */
  botframework?: Router;
  /** How often live event streams look for messages written by other instances. */
  streamPollMs?: number;
}

/** The express application: routes, body limits, the one error handler. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
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
  app.use(widgetRoutes(deps.engine, deps.streamPollMs));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
