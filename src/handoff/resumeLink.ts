import { checkLink, linkExpiry, linkMac, type LinkCheck } from './linkSignature';

/** How long the link of a mail brings the customer back to their conversation. */
export const RESUME_LINK_TTL_MS = 7 * 86_400_000;

export interface ResumeLinkOptions {
  /** The server's base URL as customers reach it (PUBLIC_URL, no trailing slash): the page with the widget. */
  publicUrl: string;
  /** HMAC key: a server secret (the transcript links' key, TRANSCRIPT_URL_SECRET or derived). */
  urlKey: string;
  ttlMs?: number;
}

/**
 * Signed, expiring links of the customer's mails back to their conversation (HMAC-SHA256 over conversation id and
 * expiry): `${publicUrl}/?conversation=<id>&expires=<unix seconds>&sig=<base64url>`, which the widget trades for a
 * token (POST /api/conversations/:id/resume) on any device.
 */
export class ResumeLinks {
  constructor(private readonly o: ResumeLinkOptions) {}

  url(conversationId: string, now: Date): string {
    const expires = linkExpiry(now, this.o.ttlMs ?? RESUME_LINK_TTL_MS);
    const q = new URLSearchParams({ conversation: conversationId, expires: String(expires) });
    q.set('sig', linkMac(this.o.urlKey, 'resume', [conversationId], expires));
    return `${this.o.publicUrl}/?${q.toString()}`;
  }

  /** 'ok', 'expired' (signature right, too late) or 'bad' (missing, malformed or wrong signature). */
  check(conversationId: string, expires: unknown, sig: unknown, now: Date): LinkCheck {
    return checkLink(this.o.urlKey, 'resume', [conversationId], expires, sig, now);
  }
}
