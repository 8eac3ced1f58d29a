import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../domain/errors';

/** A conversation token is sent as a Bearer on the REST calls; a stream token only opens the WebSocket. */
export type TokenScope = 'conversation' | 'stream';

export interface TokenClaims {
  /** The one conversation the token is good for. */
  conv: string;
  /** The user id Web Chat reads from the token (jwt `user` claim): the echo of the customer's messages carries it. */
  user: string;
  scp: TokenScope;
  /** Issued at, expires at: Unix seconds. */
  iat: number;
  exp: number;
  /** When the conversation's first token was issued (Unix seconds): refreshes carry it, and stop at the maximum lifetime. */
  orig?: number;
}

export interface TokenOptions {
  ttlSeconds?: number;
  now?: () => number;
  /** No refresh past this many seconds after the first token (DIRECTLINE_TOKEN_MAX_HOURS; default 24 h). */
  maxLifetimeSeconds?: number;
}

const claimsSchema = z.object({
  conv: z.string().min(1),
  user: z.string().min(1),
  scp: z.enum(['conversation', 'stream']),
  iat: z.number().int(),
  exp: z.number().int(),
  orig: z.number().int().optional(),
});

const b64 = (x: string | Buffer) => Buffer.from(x).toString('base64url');
// A JWT header (HS256): Web Chat decodes the token to find the user id, so it has to be a JWT.
const HEADER = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/**
 * Direct Line tokens: HMAC-SHA256-signed JWTs bound to one conversation, valid `ttlSeconds` (1 h), renewed by
 * /tokens/refresh. Nothing is stored: any instance with the same key checks them.
 */
export class DirectLineTokens {
  readonly ttlSeconds: number;
  readonly maxLifetimeSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly key: string,
    ttlOrOptions: number | TokenOptions = 3600,
    now: () => number = () => Date.now(),
  ) {
    const o = typeof ttlOrOptions === 'number' ? { ttlSeconds: ttlOrOptions, now } : ttlOrOptions;
    this.ttlSeconds = o.ttlSeconds ?? 3600;
    this.now = o.now ?? now;
    this.maxLifetimeSeconds = o.maxLifetimeSeconds ?? 86_400;
  }

  private sign(data: string): Buffer {
    return createHmac('sha256', this.key).update(data).digest();
  }

  /** A new token; `orig` (a refresh) keeps the first token's issue time, and the token never outlives orig + max. */
  issue(
    conv: string,
    user: string,
    scp: TokenScope = 'conversation',
    orig?: number,
  ): { token: string; expiresIn: number } {
    const iat = Math.floor(this.now() / 1000);
    const first = orig ?? iat;
    const exp = Math.min(iat + this.ttlSeconds, first + this.maxLifetimeSeconds);
    const claims: TokenClaims = { conv, user, scp, iat, exp, orig: first };
    const data = `${HEADER}.${b64(JSON.stringify(claims))}`;
    return { token: `${data}.${this.sign(data).toString('base64url')}`, expiresIn: exp - iat };
  }

  /** A refreshed token for the same conversation and user, refused (401) past the maximum lifetime. */
  refresh(claims: TokenClaims): { token: string; expiresIn: number } {
    if (this.pastLifetime(claims)) throw lifetimeExceeded(this.maxLifetimeSeconds);
    return this.issue(claims.conv, claims.user, claims.scp, claims.orig ?? claims.iat);
  }

  private pastLifetime(claims: TokenClaims): boolean {
    return ((claims.orig ?? claims.iat) + this.maxLifetimeSeconds) * 1000 <= this.now();
  }

  /** The claims of a genuine, unexpired token of this scope; 401 otherwise (which one is not told apart). */
  verify(token: string, scp: TokenScope = 'conversation'): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) throw invalid('not a Direct Line token');
    const given = Buffer.from(parts[2]!, 'base64url');
    const expected = this.sign(`${parts[0]}.${parts[1]}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('bad token signature');
    let claims: TokenClaims;
    try {
      claims = claimsSchema.parse(JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')));
    } catch {
      throw invalid('malformed token claims');
    }
    if (claims.scp !== scp) throw invalid(`a ${claims.scp} token cannot be used here`);
    if (claims.exp * 1000 <= this.now())
      throw this.pastLifetime(claims)
        ? lifetimeExceeded(this.maxLifetimeSeconds)
        : invalid('token expired: get a new one from /v3/directline/tokens/refresh before it expires');
    return claims;
  }

  /** Seconds until the token expires (Direct Line's expires_in for a token handed back as is). */
  secondsLeft(claims: TokenClaims): number {
    return Math.max(0, claims.exp - Math.floor(this.now() / 1000));
  }

  /** verify(), and the token must be this conversation's (403 for another conversation's token). */
  check(token: string, conversationId: string, scp: TokenScope = 'conversation'): TokenClaims {
    const claims = this.verify(token, scp);
    if (claims.conv !== conversationId)
      throw new AppError('FORBIDDEN', 'this token belongs to another conversation', 403);
    return claims;
  }
}

const lifetimeExceeded = (maxSeconds: number) =>
  new AppError(
    'TOKEN_LIFETIME_EXCEEDED',
    `Direct Line tokens are not refreshed more than ${maxSeconds / 3600} h after the conversation's first one: start a new conversation`,
    401,
  );

const invalid = (why: string) => new AppError('UNAUTHORIZED', `invalid Direct Line token: ${why}`, 401);
