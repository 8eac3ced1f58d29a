import { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError, parseBody } from '../domain/errors';
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

const revealBody = z.object({ conversationId: z.string().min(1).max(128), at: z.string().min(1).max(40) }).strict();

/**
 * Service figures and the unanswered inbox (admin API, editor role); the inbox's examples are masked, and an admin
 * may reveal one (`revealed` records it in the privacy audit).
 */
export function insightsRoutes(deps: {
  insights: Insights;
  users: readonly AdminUser[];
  revealed?: (by: string, conversationId: string) => Promise<void>;
}): Router {
  const r = Router();
  const editor = requireRole(deps.users, 'editor');
  const admin = requireRole(deps.users, 'admin');

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

  r.post('/api/admin/inbox/:key/reveal', admin, async (req, res) => {
    const q = query(figuresQuery.pick({ since: true, until: true, lang: true }), req);
    const body = parseBody(revealBody, req.body);
    const period = { ...(q.since ? { since: q.since } : {}), ...(q.until ? { until: q.until } : {}) };
    const example = await deps.insights.reveal(period, String(req.params.key), body, q.lang);
    await deps.revealed?.((res.locals.user as AuthedUser).name, example.conversationId);
    res.json(example);
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
