import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { widgetRoutes } from '../channels/widget/routes';
import type { Engine } from '../engine/engine';
import { errorHandler, notFound } from './errors';

export interface HttpDeps {
  engine: Engine;
  log: Logger;
  maxBodyBytes: number;
  publicDir: string;
}

/** The express application: routes, body limits, the one error handler. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: deps.maxBodyBytes }));
  const demo = readFileSync(join(deps.publicDir, 'index.html'), 'utf8');

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', kbVersion: deps.engine.kbVersion });
  });
  app.get('/', (_req, res) => {
    res.type('html').send(demo);
  });
  app.use(widgetRoutes(deps.engine));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}
