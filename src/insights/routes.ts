import { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { LANGS } from '../domain/types';
import { requireRole, type AdminUser, type AuthedUser } from '../server/auth';
import type { Insights } from './service';

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
