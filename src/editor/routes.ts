import { Router } from 'express';
import { z } from 'zod';
import { AppError, parseBody } from '../domain/errors';
import { isLang, LANGS } from '../domain/types';
import { requireRole, type AdminUser, type AuthedUser } from '../server/auth';
import { limitParam } from '../server/query';
import type { EditorService } from './service';

const text = z.string().regex(/\S/, { message: 'expected non-empty text' }).max(5000);
const lang = z.enum(LANGS);

const createBody = z
  .object({
    entry: z.object({ id: z.string().min(1).max(100) }).passthrough(),
    topic: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: 'expected a topic id like "warranty"' }),
    force: z.boolean().optional(),
  })
  .strict();
const updateBody = z
  .object({
    lang,
    title: text.nullable().optional(),
    questions: z.array(text).max(200).optional(),
    answer: text.nullable().optional(),
    force: z.boolean().optional(),
  })
  .strict();
const questionBody = z.object({ lang, question: text, force: z.boolean().optional() }).strict();
const tryBody = z.object({ text: z.string().max(20_000), lang: lang.optional() }).strict();

const who = (res: { locals: Record<string, unknown> }) => (res.locals.user as AuthedUser).name;

/** The editors' API under /api/admin (README: "Editing the knowledge base"). Rollback needs the admin role. */
export function editorRoutes(service: EditorService, users: readonly AdminUser[]): Router {
  const r = Router();
  const editor = requireRole(users, 'editor');
  const admin = requireRole(users, 'admin');

  // Who the token belongs to: the admin page shows it and offers rollback only to the admin role.
  r.get('/api/admin/me', editor, (_req, res) => {
    res.json(res.locals.user as AuthedUser);
  });
  r.get('/api/admin/status', editor, (_req, res) => {
    res.json(service.status());
  });
  r.get('/api/admin/entries', editor, (req, res) => {
    const s = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    const l = s(req.query.lang);
    if (l !== undefined && !isLang(l))
      throw new AppError('INVALID_QUERY', `lang must be one of ${LANGS.join(', ')}, not "${l}"`, 400);
    res.json({ entries: service.list({ q: s(req.query.q), topic: s(req.query.topic), lang: s(req.query.lang) }) });
  });
  r.get('/api/admin/entries/:id', editor, (req, res) => {
    res.json({ entry: service.get(String(req.params.id)) });
  });
  r.post('/api/admin/entries', editor, async (req, res) => {
    const out = await service.create(who(res), parseBody(createBody, req.body));
    res.status(201).json(out);
  });
  r.put('/api/admin/entries/:id', editor, async (req, res) => {
    res.json(await service.update(who(res), String(req.params.id), parseBody(updateBody, req.body)));
  });
  r.post('/api/admin/entries/:id/questions', editor, async (req, res) => {
    res.json(await service.addQuestion(who(res), String(req.params.id), parseBody(questionBody, req.body)));
  });
  r.delete('/api/admin/entries/:id', editor, async (req, res) => {
    res.json(await service.remove(who(res), String(req.params.id), req.query.force === 'true'));
  });
  r.get('/api/admin/audit', editor, async (req, res) => {
    const limit = limitParam(req.query.limit, 100, 1000);
    res.json({ entries: await service.audits(limit) });
  });
  r.get('/api/admin/versions', editor, async (_req, res) => {
    res.json({ versions: await service.versions() });
  });
  r.post('/api/admin/versions/:version/rollback', admin, async (req, res) => {
    res.json(await service.rollback(who(res), String(req.params.version)));
  });
  r.post('/api/admin/try', editor, (req, res) => {
    const body = parseBody(tryBody, req.body);
    res.json(service.try(body.text, body.lang));
  });
  return r;
}
