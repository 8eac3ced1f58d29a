import { createHmac, timingSafeEqual } from 'node:crypto';

/** What checking a signed link says: 'expired' is a right signature, too late; 'bad' is missing, malformed or wrong. */
export type LinkCheck = 'ok' | 'expired' | 'bad';

/**
 * The signature of a link: HMAC-SHA256 over its purpose, the ids it opens and its expiry (Unix seconds), newline
 * separated, base64url. The purpose comes first, so a transcript link's signature (same key) never opens a file or
 * resumes a conversation, nor the other way round.
 */
export const linkMac = (key: string, purpose: string, ids: readonly string[], expires: number): string =>
  createHmac('sha256', key)
    .update([purpose, ...ids, String(expires)].join('\n'))
    .digest('base64url');

/** The expiry (Unix seconds) of a link made at `now`, valid `ttlMs`. */
export const linkExpiry = (now: Date, ttlMs: number): number => Math.floor((now.getTime() + ttlMs) / 1000);

/** Checks a link's `expires` and signature as they came in the query (constant-time comparison). */
export function checkLink(
  key: string,
  purpose: string,
  ids: readonly string[],
  expires: unknown,
  sig: unknown,
  now: Date,
): LinkCheck {
  if (typeof expires !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(expires)) return 'bad';
  const want = Buffer.from(linkMac(key, purpose, ids, Number(expires)));
  const got = Buffer.from(sig);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad';
  return Number(expires) * 1000 < now.getTime() ? 'expired' : 'ok';
}
