import express from 'express';
import request from 'supertest';
import { requireRole, type AdminUser } from '../../src/server/auth';
import { errorHandler } from '../../src/server/errors';
import pino from 'pino';

const users: AdminUser[] = [
  { name: 'alice', role: 'admin', token: 'admin-token-0123456789' },
  { name: 'bob', role: 'editor', token: 'editor-token-0123456789' },
];

function app() {
  const a = express();
  a.get('/edit', requireRole(users, 'editor'), (_req, res) => res.json(res.locals.user));
  a.get('/admin', requireRole(users, 'admin'), (_req, res) => res.json(res.locals.user));
  a.use(errorHandler(pino({ level: 'silent' })));
  return a;
}

describe('requireRole', () => {
  it('401 without a token or with an unknown one, 403 for the wrong role, the user otherwise', async () => {
    await request(app()).get('/edit').expect(401);
    await request(app()).get('/edit').set('Authorization', 'Bearer nope-nope-nope-nope').expect(401);
    await request(app()).get('/edit').set('Authorization', 'Basic admin-token-0123456789').expect(401);
    const r = await request(app()).get('/admin').set('Authorization', 'Bearer editor-token-0123456789').expect(403);
    expect(r.body.error.code).toBe('FORBIDDEN');
    expect(
      (await request(app()).get('/edit').set('Authorization', 'Bearer editor-token-0123456789').expect(200)).body,
    ).toEqual({ name: 'bob', role: 'editor' });
    // An admin may do what an editor may.
    expect(
      (await request(app()).get('/edit').set('Authorization', 'Bearer admin-token-0123456789').expect(200)).body,
    ).toEqual({ name: 'alice', role: 'admin' });
    expect(
      (await request(app()).get('/admin').set('Authorization', 'Bearer admin-token-0123456789').expect(200)).body.name,
    ).toBe('alice');
  });
});
