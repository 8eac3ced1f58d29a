import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { AdminUser, Role } from '../domain/admin';
import { AppError } from '../domain/errors';

export { ROLES, type AdminUser, type Role } from '../domain/admin';

/** Who made the request, set by `requireRole` on `res.locals.user`. */
export interface AuthedUser {
  name: string;
  role: Role;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined: the one parser for every endpoint. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

/** Constant-time comparison of a given secret with the expected one (length is the only thing it tells). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

// Tokens are compared as SHA-256 digests with timingSafeEqual: equal length whatever the input, constant time.
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Whether a token is one of the admin tokens (constant time, every token compared): the sign-in limit counts the others. */
export function isAdminToken(users: readonly AdminUser[]): (token: string) => boolean {
  const hashes = users.map((u) => digest(u.token));
  return (token) => {
    const h = digest(token);
    let found = false;
    for (const k of hashes) if (timingSafeEqual(k, h)) found = true;
    return found;
  };
}

/**
 * Express middleware: a valid `Authorization: Bearer <token>` (401 otherwise) whose role is one of `roles`
 * (403 otherwise; admin may do everything an editor may). Every configured token is compared, so the time
 * taken does not tell which one was close. Tokens are never logged (pino redacts the header).
 */
export function requireRole(users: readonly AdminUser[], ...roles: Role[]): RequestHandler {
  const known = users.map((u) => ({ name: u.name, role: u.role, hash: digest(u.token) }));
  const allowed = new Set<Role>(roles.includes('editor') ? [...roles, 'admin'] : roles);
  return (req, res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (!token)
      return next(new AppError('UNAUTHORIZED', 'an admin token is required (Authorization: Bearer <token>)', 401));
    const h = digest(token);
    let found: (typeof known)[number] | undefined;
    for (const k of known) if (timingSafeEqual(k.hash, h) && !found) found = k;
    if (!found) return next(new AppError('UNAUTHORIZED', 'unknown admin token', 401));
    if (!allowed.has(found.role))
      return next(new AppError('FORBIDDEN', `role ${found.role} may not do this (needs ${roles.join(' or ')})`, 403));
    res.locals.user = { name: found.name, role: found.role } satisfies AuthedUser;
    next();
  };
}
