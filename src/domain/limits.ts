/**
 * TRUST_PROXY, parsed: off (the socket's address is the client), a number of proxy hops in front of us, or the
 * addresses/CIDRs of the proxies (with the names below, as express spells them).
 */
export type TrustProxy = { kind: 'off' } | { kind: 'hops'; hops: number } | { kind: 'list'; entries: string[] };

/** Address ranges by name, for TRUST_PROXY lists. */
export const TRUST_PROXY_NAMES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** The rate limits' numbers (RATE_LIMIT_*, RATE_LIMITS=off), read by the channels' TrafficLimits. */
export interface LimitSettings {
  /** False with RATE_LIMITS=off: no rate limit at all (quotas still apply). */
  enabled: boolean;
  /** Requests per client IP per minute on every endpoint a stranger reaches (widget, Direct Line, /api/messages). */
  requestsPerMinute: number;
  /** New conversations per client IP: a minute's rate, its burst (over 10 minutes), a day's ceiling. */
  newConversations: { perMinute: number; burst: number; perDay: number };
  /** Customer messages per conversation per minute. */
  messagesPerMinute: number;
  /** Failed admin sign-ins (unknown bearer tokens) per client IP per hour; over it, every admin request is 429. */
  signinFailuresPerHour: number;
  /** Agents' signed events per client IP per minute. */
  agentEventsPerMinute: number;
}
