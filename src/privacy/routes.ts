import { Router } from 'express';
import { z } from 'zod';
import { parseBody } from '../domain/errors';
import { requireRole, type AdminUser, type AuthedUser } from '../server/auth';
import { limitParam } from '../server/query';
import type { Privacy } from './service';

const query = z
  .object({
    conversationId: z.string().max(128).optional(),
    email: z.string().max(254).optional(),
    phone: z.string().max(40).optional(),
    order: z.string().max(64).optional(),
  })
  .strict();

const who = (res: { locals: Record<string, unknown> }) => (res.locals.user as AuthedUser).name;

/**
 * A customer's data through the admin API, admin role only (GDPR articles 15 and 17): find their conversations,
 * export them as JSON, erase them; and the privacy audit. Each body names the customer by conversationId, email,
 * phone or order (any of them).
 */
export function privacyRoutes(privacy: Privacy, users: readonly AdminUser[]): Router {
  const r = Router();
  const admin = requireRole(users, 'admin');

  r.post('/api/admin/privacy/search', admin, async (req, res) => {
    res.json({ conversations: await privacy.find(parseBody(query, req.body)) });
  });
  r.post('/api/admin/privacy/export', admin, async (req, res) => {
    const out = await privacy.export(parseBody(query, req.body), who(res));
    res.set('Content-Disposition', 'attachment; filename="privacy-export.json"').json(out);
  });
  r.post('/api/admin/privacy/erase', admin, async (req, res) => {
    res.json(await privacy.erase(parseBody(query, req.body), who(res)));
  });
  r.get('/api/admin/privacy/audit', admin, async (req, res) => {
    const limit = limitParam(req.query.limit, 100, 1000);
    res.json({ entries: await privacy.auditLog(limit) });
  });
  return r;
}
