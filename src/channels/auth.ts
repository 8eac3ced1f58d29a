import { createHash } from 'node:crypto';
import { AppError, parseBody, type SafeParser } from '../domain/errors';
import { bearerToken } from '../server/auth';

/**
 * The bearer token of a channel request, else `fallback` (a token the client could not send as a header); 401
 * without either (the same message on every channel).
 */
export function requireBearer(header: string | undefined, fallback?: string): string {
  const token = bearerToken(header) ?? (fallback || undefined);
  if (!token) throw new AppError('UNAUTHORIZED', 'missing "Authorization: Bearer <token>" header', 401);
  return token;
}

/** What a conversation stores of its bearer token, and what the engine compares: hex SHA-256. */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * A request body validated after its caller: a bad body from a caller who may not post is refused as such (401,
 * 404), not as a 400. `check` runs only when the body is invalid; with a valid one the engine checks the caller
 * on the conversation it reads for the turn (one read per message).
 */
export async function parseBodyAfter<T>(
  check: () => Promise<unknown>,
  schema: SafeParser<T>,
  body: unknown,
  hint?: string,
): Promise<T> {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  await check();
  return parseBody(schema, body, hint); // the 400 naming each offending field
}
