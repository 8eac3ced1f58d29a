import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long the link of a mail brings the customer back to their conversation. */
export const RESUME_LINK_TTL_MS = 7 * 86_400_000;

export interface ResumeLinkOptions {
  /** The server's base URL as customers reach it (PUBLIC_URL, no trailing slash): the page with the widget. */
  publicUrl: string;
  /** HMAC key: a server secret (the transcript links' key, TRANSCRIPT_URL_SECRET or derived). */
  urlKey: string;
  ttlMs?: number;
}

// "resume" first: a transcript or file link's signature (same key) never resumes a conversation, nor the reverse.
const mac = (key: string, conversationId: string, expires: number) =>
  createHmac('sha256', key).update(`resume\n${conversationId}\n${expires}`).digest('base64url');

/**
 * Signed, expiring links of the customer's mails back to their conversation (HMAC-SHA256 over conversation id and
 * expiry): `${publicUrl}/?conversation=<id>&expires=<unix seconds>&sig=<base64url>`, which the widget trades for a
 * token (POST /api/conversations/:id/resume) on any device.
 */
export class ResumeLinks {
  constructor(private readonly o: ResumeLinkOptions) {}

  url(conversationId: string, now: Date): string {
    const expires = Math.floor((now.getTime() + (this.o.ttlMs ?? RESUME_LINK_TTL_MS)) / 1000);
    const q = new URLSearchParams({ conversation: conversationId, expires: String(expires) });
    q.set('sig', mac(this.o.urlKey, conversationId, expires));
    return `${this.o.publicUrl}/?${q.toString()}`;
  }

  /** 'ok', 'expired' (signature right, too late) or 'bad' (missing, malformed or wrong signature). */
  check(conversationId: string, expires: unknown, sig: unknown, now: Date): 'ok' | 'expired' | 'bad' {
    if (typeof expires !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(expires)) return 'bad';
    const want = Buffer.from(mac(this.o.urlKey, conversationId, Number(expires)));
    const got = Buffer.from(sig);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad';
    return Number(expires) * 1000 < now.getTime() ? 'expired' : 'ok';
  }
}
