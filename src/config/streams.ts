import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { intSetting } from './settings';

/**
 * Settings of live streams and paged reads (a client that never reads, or opens many streams, keeps server memory
 * bounded) and of the signed transcript URL sent in handoff.requested. Spread into the env schema of index.ts.
 */
export const streamsEnv = {
  STREAMS_PER_CONVERSATION: intSetting('STREAMS_PER_CONVERSATION', 3, 1, 100),
  STREAMS_PER_IP: intSetting('STREAMS_PER_IP', 20, 1, 100_000),
  STREAM_PAGE_SIZE: intSetting('STREAM_PAGE_SIZE', 100, 1, 500),
  STREAM_STALL_MS: intSetting('STREAM_STALL_MS', 30_000, 10, 3_600_000),
  // The fallback look at the store: in-process events (one instance) and PostgreSQL's change feed (several) wake
  // streams at once; on PostgreSQL it may be raised (e.g. 10000) to spare the database one read per stream.
  STREAM_POLL_MS: intSetting('STREAM_POLL_MS', 2000, 100, 600_000),
  PUBLIC_URL: z
    .string()
    .optional()
    .refine((v) => !v || isBaseUrl(v), {
      message: 'PUBLIC_URL must be an http(s) base URL without query or fragment, like https://bot.shop.example',
    }),
  TRANSCRIPT_URL_TTL_S: intSetting('TRANSCRIPT_URL_TTL_S', 7 * 86_400, 60, 90 * 86_400),
  TRANSCRIPT_URL_SECRET: z
    .string()
    .optional()
    .refine((v) => !v || v.length >= 32, { message: 'TRANSCRIPT_URL_SECRET must be at least 32 characters' }),
};

function isBaseUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash && !v.includes('?');
  } catch {
    return false;
  }
}

/** Live streams (widget event stream, Direct Line WebSocket): how many, and how a slow client is paced. */
export interface StreamsConfig {
  /** Open streams per conversation: a new one closes the oldest. */
  perConversation: number;
  /** Open streams per client IP: one more is refused (429 RATE_LIMITED). */
  perIp: number;
  /** Messages read from the store at a time (stream replays; Direct Line GET activities pages). */
  pageSize: number;
  /** A stream whose client has not drained its buffer for this long is closed (it reconnects and resumes). */
  stallMs: number;
  /** How often a stream reads the store even when nothing woke it (messages from another instance, missed). */
  pollMs: number;
}

/** The signed, expiring transcript URL sent in handoff.requested. */
export interface TranscriptsConfig {
  /** PUBLIC_URL without a trailing slash (default http://localhost:<PORT>): our base URL as receivers reach it. */
  publicUrl: string;
  /** HMAC key of the links: TRANSCRIPT_URL_SECRET, else derived from the Direct Line token key (a server secret). */
  urlKey: string;
  urlTtlMs: number;
}

type StreamsEnv = z.output<z.ZodObject<typeof streamsEnv>>;

/** The validated settings as Config parts; `serverSecret` is the key the link key is derived from when unset. */
export function streamsConfig(
  e: StreamsEnv,
  port: number,
  serverSecret: string,
): { streams: StreamsConfig; transcripts: TranscriptsConfig } {
  return {
    streams: {
      perConversation: e.STREAMS_PER_CONVERSATION,
      perIp: e.STREAMS_PER_IP,
      pageSize: e.STREAM_PAGE_SIZE,
      stallMs: e.STREAM_STALL_MS,
      pollMs: e.STREAM_POLL_MS,
    },
    transcripts: {
      publicUrl: withoutTrailingSlashes(e.PUBLIC_URL || `http://localhost:${port}`),
      // A key of its own (derived, not reused), so that a transcript link never doubles as a Direct Line token.
      urlKey:
        e.TRANSCRIPT_URL_SECRET || createHmac('sha256', serverSecret).update('transcript-url').digest('base64url'),
      urlTtlMs: e.TRANSCRIPT_URL_TTL_S * 1000,
    },
  };
}

/** "https://bot.example//" -> "https://bot.example" (a loop: /\/+$/ is quadratic on a long run of slashes). */
function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  return url.slice(0, end);
}
