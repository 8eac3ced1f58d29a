import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../domain/errors';
import { bearerToken } from '../../server/auth';

/** An agent who may sign in at /agent (AGENT_TOKENS): the name customers see, and the token. */
export interface DeskAgent {
  name: string;
  token: string;
}

// Tokens are compared as SHA-256 digests: equal lengths whatever the input, so timingSafeEqual applies to all.
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The agent a token belongs to, comparing every token (the time taken does not tell which one was close). */
export function agentOf(agents: readonly DeskAgent[]): (token: string) => string | undefined {
  const known = agents.map((a) => ({ name: a.name, hash: digest(a.token) }));
  return (token) => {
    const h = digest(token);
    let found: string | undefined;
    for (const k of known) if (timingSafeEqual(k.hash, h) && found === undefined) found = k.name;
    return found;
  };
}

/** The signed-in agent of a request, set by requireAgent. */
export const agentName = (locals: Record<string, unknown>): string => locals.agent as string;

/** Every desk endpoint: `Authorization: Bearer <agent token>`, 401 otherwise (nothing is read or changed). */
export function requireAgent(find: (token: string) => string | undefined): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (!token)
      return next(new AppError('UNAUTHORIZED', 'an agent token is required (Authorization: Bearer <token>)', 401));
    const name = find(token);
    if (name === undefined) return next(new AppError('UNAUTHORIZED', 'unknown agent token', 401));
    res.locals.agent = name;
    next();
  };
}
