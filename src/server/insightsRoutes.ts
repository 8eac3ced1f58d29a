import { join } from 'node:path';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { LANGS } from '../domain/types';
import type { Insights } from '../insights/service';
import type { Metrics } from '../metrics/metrics';
import { bearerToken, requireRole, sameSecret, type AdminUser, type AuthedUser } from './auth';

const figuresQuery = z.object({
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  lang: z.enum(LANGS).optional(),
  channel: z.string().max(40).optional(),
  topic: z.string().max(80).optional(),
});

function query<T>(schema: z.ZodType<T>, req: Request): T {
  const q = Object.fromEntries(Object.entries(req.query).filter(([, v]) => typeof v === 'string' && v !== ''));
  const r = schema.safeParse(q);
  if (!r.success)
    throw new AppError(
      'INVALID_QUERY',
      `invalid query: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      400,
    );
  return r.data;
}

/** Service figures and the unanswered inbox (admin API, editor role). */
export function insightsRoutes(deps: { insights: Insights; users: readonly AdminUser[] }): Router {
  const r = Router();
  const editor = requireRole(deps.users, 'editor');

  r.get('/api/admin/figures', editor, async (req, res) => {
    const { since, until, ...filter } = query(figuresQuery, req);
    res.json(await deps.insights.figures({ ...(since ? { since } : {}), ...(until ? { until } : {}) }, filter));
  });

  r.get('/api/admin/inbox', editor, async (req, res) => {
    const q = query(figuresQuery.pick({ since: true, until: true, lang: true }), req);
    const groups = await deps.insights.inbox(
      { ...(q.since ? { since: q.since } : {}), ...(q.until ? { until: q.until } : {}) },
      q.lang,
    );
    res.json({ groups });
  });

  for (const [action, state] of [
    ['dismiss', 'dismissed'],
    ['handled', 'handled'],
  ] as const) {
    r.post(`/api/admin/inbox/:key/${action}`, editor, async (req, res) => {
      await deps.insights.mark(String(req.params.key), state, (res.locals.user as AuthedUser).name);
      res.json({ key: req.params.key, state });
    });
  }
  return r;
}

/**
 * GET /metrics (Prometheus text format). Open when no token is configured (bind the port to a private network or
 * loopback then); with METRICS_TOKEN, scrapers must send `Authorization: Bearer <METRICS_TOKEN>`.
 */
export function metricsRoute(metrics: Metrics, token?: string): Router {
  const r = Router();
  r.get('/metrics', async (req, res) => {
    if (token) {
      const given = bearerToken(req.get('authorization'));
      if (given === undefined || !sameSecret(given, token))
        throw new AppError('UNAUTHORIZED', 'a metrics token is required (Authorization: Bearer <METRICS_TOKEN>)', 401);
    }
    const { contentType, body } = await metrics.scrape();
    res.type(contentType).send(body);
  });
  return r;
}

/** The admin page: static HTML, CSS and JavaScript from public/admin (no CDN, works offline). */
export function adminPage(publicDir: string): Router {
  const r = Router();
  const dir = join(publicDir, 'admin');
  // Only the page's own files: even if some text slipped into the page as HTML, no script could run or load.
  r.use('/admin', (_req, res, next) => {
    res.set(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    );
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  r.get('/admin', (_req, res) => res.sendFile(join(dir, 'index.html')));
  r.use('/admin', express.static(dir, { index: false, fallthrough: true }));
  return r;
}
