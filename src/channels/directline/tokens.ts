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
}

const claimsSchema = z.object({
  conv: z.string().min(1),
  user: z.string().min(1),
  scp: z.enum(['conversation', 'stream']),
  iat: z.number().int(),
  exp: z.number().int(),
});

const b64 = (x: string | Buffer) => Buffer.from(x).toString('base64url');
// A JWT header (HS256): Web Chat decodes the token to find the user id, so it has to be a JWT.
const HEADER = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/**
 * Direct Line tokens: HMAC-SHA256-signed JWTs bound to one conversation, valid `ttlSeconds` (1 h), renewed by
 * /tokens/refresh. Nothing is stored: any instance with the same key checks them.
 */
export class DirectLineTokens {
  constructor(
    private readonly key: string,
    readonly ttlSeconds = 3600,
    private readonly now: () => number = () => Date.now(),
  ) {}

  private sign(data: string): Buffer {
    return createHmac('sha256', this.key).update(data).digest();
  }

  issue(conv: string, user: string, scp: TokenScope = 'conversation'): { token: string; expiresIn: number } {
    const iat = Math.floor(this.now() / 1000);
    const claims: TokenClaims = { conv, user, scp, iat, exp: iat + this.ttlSeconds };
    const data = `${HEADER}.${b64(JSON.stringify(claims))}`;
    return { token: `${data}.${this.sign(data).toString('base64url')}`, expiresIn: this.ttlSeconds };
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
      throw invalid('token expired: get a new one from /v3/directline/tokens/refresh before it expires');
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

const invalid = (why: string) => new AppError('UNAUTHORIZED', `invalid Direct Line token: ${why}`, 401);
