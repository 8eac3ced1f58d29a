import { isIP } from 'node:net';
import { z } from 'zod';
import { intSetting, listItems } from './settings';
import { TRUST_PROXY_NAMES, type LimitSettings, type TrustProxy } from '../domain/limits';

/** Why `entry` is not a TRUST_PROXY list entry (an address, a CIDR or a name), or undefined when it is one. */
function badTrustEntry(entry: string): string | undefined {
  if (TRUST_PROXY_NAMES[entry]) return undefined;
  const [ip, bits, more] = entry.split('/');
  const family = isIP(ip ?? '');
  if (!family || more !== undefined)
    return `"${entry}" is not an IP address, a CIDR or one of ${Object.keys(TRUST_PROXY_NAMES).join(', ')}`;
  if (bits === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max ? undefined : `"${entry}": the prefix length must be 0 to ${max}`;
}

/**
 * The settings of rate limits, quotas and the client address (merged into the env schema of ./index.ts). Limits
 * count per client IP (requests, new conversations, admin sign-in failures, agents' events) or per conversation
 * (messages); the counters live in the database, so every instance sees the same ones.
 */
export const LIMITS_ENV = {
  // "off" for load tests, or behind a gateway that limits already (a warning is logged at start).
  RATE_LIMITS: z.enum(['on', 'off']).optional().default('on'),
  RATE_LIMIT_REQUESTS_PER_MINUTE: intSetting('RATE_LIMIT_REQUESTS_PER_MINUTE', 300, 1, 1_000_000),
  RATE_LIMIT_NEW_CONVERSATIONS_PER_MINUTE: intSetting('RATE_LIMIT_NEW_CONVERSATIONS_PER_MINUTE', 10, 1, 100_000),
  RATE_LIMIT_NEW_CONVERSATIONS_BURST: intSetting('RATE_LIMIT_NEW_CONVERSATIONS_BURST', 20, 1, 100_000),
  RATE_LIMIT_NEW_CONVERSATIONS_PER_DAY: intSetting('RATE_LIMIT_NEW_CONVERSATIONS_PER_DAY', 200, 1, 10_000_000),
  RATE_LIMIT_MESSAGES_PER_MINUTE: intSetting('RATE_LIMIT_MESSAGES_PER_MINUTE', 20, 1, 100_000),
  RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR: intSetting('RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR', 10, 1, 100_000),
  // A helpdesk posts every agent's events from a few addresses: a higher ceiling than a customer's.
  RATE_LIMIT_AGENT_EVENTS_PER_MINUTE: intSetting('RATE_LIMIT_AGENT_EVENTS_PER_MINUTE', 1200, 1, 1_000_000),
  MAX_MESSAGES_PER_CONVERSATION: intSetting('MAX_MESSAGES_PER_CONVERSATION', 500, 10, 1_000_000),
  // At least what the matcher reads of a message (1000), so that a cut message is always also answered as "long".
  MAX_MESSAGE_CHARS: intSetting('MAX_MESSAGE_CHARS', 2000, 1000, 20_000),
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((v, ctx): TrustProxy => {
      const t = (v ?? '').trim();
      if (t === '' || t === 'false' || t === 'off') return { kind: 'off' };
      if (/^\d+$/.test(t)) return { kind: 'hops', hops: Number(t) };
      const entries = listItems(t);
      const bad = entries.map(badTrustEntry).find(Boolean);
      if (bad) {
        ctx.addIssue({
          code: 'custom',
          message: `TRUST_PROXY: ${bad} (expected a hop count like 1, or addresses/CIDRs like loopback,10.0.0.0/8)`,
        });
        return z.NEVER;
      }
      return { kind: 'list', entries };
    }),
};

type LimitsEnv = { [K in keyof typeof LIMITS_ENV]: z.output<(typeof LIMITS_ENV)[K]> };

/** The limits' numbers (defined in the domain, where the channels' TrafficLimits reads them). */
export type LimitsConfig = LimitSettings;

export interface QuotasConfig {
  /** Stored messages per conversation: past it the bot offers a new conversation or a person. */
  maxMessagesPerConversation: number;
  /** Characters stored of one message (customer's or agent's): longer ones are cut, ending with " […]". */
  maxMessageChars: number;
}

export function limitsConfig(e: LimitsEnv): { limits: LimitsConfig; quotas: QuotasConfig; trustProxy: TrustProxy } {
  return {
    limits: {
      enabled: e.RATE_LIMITS === 'on',
      requestsPerMinute: e.RATE_LIMIT_REQUESTS_PER_MINUTE,
      newConversations: {
        perMinute: e.RATE_LIMIT_NEW_CONVERSATIONS_PER_MINUTE,
        burst: Math.max(e.RATE_LIMIT_NEW_CONVERSATIONS_BURST, e.RATE_LIMIT_NEW_CONVERSATIONS_PER_MINUTE),
        perDay: e.RATE_LIMIT_NEW_CONVERSATIONS_PER_DAY,
      },
      messagesPerMinute: e.RATE_LIMIT_MESSAGES_PER_MINUTE,
      signinFailuresPerHour: e.RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR,
      agentEventsPerMinute: e.RATE_LIMIT_AGENT_EVENTS_PER_MINUTE,
    },
    quotas: {
      maxMessagesPerConversation: e.MAX_MESSAGES_PER_CONVERSATION,
      maxMessageChars: e.MAX_MESSAGE_CHARS,
    },
    trustProxy: e.TRUST_PROXY,
  };
}
