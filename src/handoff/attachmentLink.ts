import { checkLink, linkExpiry, linkMac, type LinkCheck } from './linkSignature';

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

/**
 * Signed, expiring download URLs of one file (HMAC-SHA256 over conversation id, file id and expiry), sent to the
 * agents in handoff.requested: `?expires=<unix seconds>&sig=<base64url>`.
 */
export class AttachmentLinks {
  constructor(private readonly o: AttachmentLinkOptions) {}

  url(conversationId: string, attachmentId: string, now: Date): string {
    const expires = linkExpiry(now, this.o.ttlMs);
    const q = new URLSearchParams({
      expires: String(expires),
      sig: linkMac(this.o.key, 'attachment', [conversationId, attachmentId], expires),
    });
    return `${this.o.publicUrl}${attachmentPath(conversationId, attachmentId)}?${q.toString()}`;
  }

  /** 'ok', 'expired' (signature right, too late) or 'bad' (missing, malformed or wrong signature). */
  check(conversationId: string, attachmentId: string, expires: unknown, sig: unknown, now: Date): LinkCheck {
    return checkLink(this.o.key, 'attachment', [conversationId, attachmentId], expires, sig, now);
  }
}
