import { checkLink, linkExpiry, linkMac, type LinkCheck } from './linkSignature';

/** Where the receiver of a handoff.requested webhook fetches the whole transcript, page by page. */
export const TRANSCRIPT_PATH = '/api/handoff/transcripts';

export interface TranscriptLinkOptions {
  /** The server's base URL as receivers reach it (PUBLIC_URL, no trailing slash). */
  publicUrl: string;
  /** HMAC key: a server secret (never the webhook secret, which receivers hold). */
  key: string;
  /** How long a link works. */
  ttlMs: number;
}

/** The query parameters that make a link: expiry (Unix seconds) and the HMAC over conversation id and expiry. */
export interface TranscriptGrant {
  expires: number;
  signature: string;
}

/** Signed, expiring links to one conversation's transcript (HMAC-SHA256 over conversation id and expiry). */
export class TranscriptLinks {
  constructor(private readonly o: TranscriptLinkOptions) {}

  grant(conversationId: string, now: Date): TranscriptGrant {
    const expires = linkExpiry(now, this.o.ttlMs);
    return { expires, signature: linkMac(this.o.key, 'transcript', [conversationId], expires) };
  }

  /** The absolute URL of the transcript's first page, valid until now + ttl. */
  url(conversationId: string, now: Date, extra: Record<string, string> = {}): string {
    return this.urlOf(conversationId, this.grant(conversationId, now), extra);
  }

  /** The URL of a page for a grant the receiver already holds (the "next page" links). */
  urlOf(conversationId: string, g: TranscriptGrant, extra: Record<string, string> = {}): string {
    const q = new URLSearchParams({ ...extra, expires: String(g.expires), signature: g.signature });
    return `${this.o.publicUrl}${TRANSCRIPT_PATH}/${encodeURIComponent(conversationId)}?${q.toString()}`;
  }

  /** 'ok', 'expired' (signature right, too late) or 'bad' (missing, malformed or wrong signature). */
  check(conversationId: string, expires: unknown, signature: unknown, now: Date): LinkCheck {
    return checkLink(this.o.key, 'transcript', [conversationId], expires, signature, now);
  }
}
