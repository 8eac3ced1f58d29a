import { createHmac, timingSafeEqual } from 'node:crypto';

export interface AttachmentLinkOptions {
  /** The server's base URL as receivers reach it (PUBLIC_URL, no trailing slash). */
  publicUrl: string;
  /** HMAC key: a server secret (the transcript links' key; never the webhook secret, which receivers hold). */
  key: string;
  /** How long a link works (ATTACHMENT_URL_TTL_S, default 7 days). */
  ttlMs: number;
}

/** The path of a conversation's file: the widget's download route, also opened by a signed link. */
export const attachmentPath = (conversationId: string, attachmentId: string) =>
  `/api/conversations/${encodeURIComponent(conversationId)}/attachments/${encodeURIComponent(attachmentId)}`;

// "attachment" first: a transcript link's signature (same key) never opens a file, nor the other way round.
const mac = (key: string, conversationId: string, attachmentId: string, expires: number) =>
  createHmac('sha256', key).update(`attachment\n${conversationId}\n${attachmentId}\n${expires}`).digest('base64url');

/**
 * Signed, expiring download URLs of one file (HMAC-SHA256 over conversation id, file id and expiry), sent to the
 * agents in handoff.requested: `?expires=<unix seconds>&sig=<base64url>`.
 */
export class AttachmentLinks {
  constructor(private readonly o: AttachmentLinkOptions) {}

  url(conversationId: string, attachmentId: string, now: Date): string {
    const expires = Math.floor((now.getTime() + this.o.ttlMs) / 1000);
    const q = new URLSearchParams({
      expires: String(expires),
      sig: mac(this.o.key, conversationId, attachmentId, expires),
    });
    return `${this.o.publicUrl}${attachmentPath(conversationId, attachmentId)}?${q.toString()}`;
  }

  /** 'ok', 'expired' (signature right, too late) or 'bad' (missing, malformed or wrong signature). */
  check(
    conversationId: string,
    attachmentId: string,
    expires: unknown,
    sig: unknown,
    now: Date,
  ): 'ok' | 'expired' | 'bad' {
    if (typeof expires !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(expires)) return 'bad';
    const want = Buffer.from(mac(this.o.key, conversationId, attachmentId, Number(expires)));
    const got = Buffer.from(sig);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad';
    return Number(expires) * 1000 < now.getTime() ? 'expired' : 'ok';
  }
}
