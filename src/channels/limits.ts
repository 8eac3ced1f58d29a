import type { IncomingMessage } from 'node:http';
import { Router, type RequestHandler } from 'express';
import { RateLimitedError } from '../domain/errors';
import type { LimitSettings } from '../domain/limits';
import type { Lang } from '../domain/types';
import type { RateCounter, RateCounters, RateVerdict } from '../storage/ports';
import { bearerToken } from '../server/auth';
import { clientIp, type TrustFn } from '../server/clientIp';
import type { HttpMount } from '../server/http';

/** Which counter guards a channel's paths: customers' requests, or agents' events. */
export type PathLimit = 'requests' | 'agentEvents';

/** The burst above a minute's rate is spent over this window (then refills). */
const BURST_WINDOW_SEC = 600;

/** What a customer is told in the conversation when the channel shows no HTTP status (Teams) or only "failed" (Web Chat). */
export const SLOW_DOWN: Record<Lang, string> = {
  fr: 'Vous envoyez beaucoup de messages : merci de patienter un instant avant le prochain.',
  ro: 'Trimiteți multe mesaje: vă rugăm să așteptați puțin înainte de următorul.',
  en: 'You are sending a lot of messages: please wait a moment before the next one.',
};
/**
 * The rate limits of everything a stranger reaches, applied where the channel contract receives traffic: per
 * client IP (requests, new conversations, admin sign-in failures, agents' events) and per conversation
 * (messages). Counters are the store's (the database): every instance sees the same counts. A refusal is a
 * RateLimitedError (429, Retry-After, RATE_LIMITED).
 */
export class TrafficLimits {
  private readonly c: Record<
    'requests' | 'agentEvents' | 'newPerMinute' | 'newPerDay' | 'messages' | 'signin',
    RateCounter
  > & { newBurst?: RateCounter };

  constructor(
    readonly settings: LimitSettings,
    counters: RateCounters,
    private readonly trust: TrustFn,
  ) {
    const s = settings;
    const extra = s.newConversations.burst - s.newConversations.perMinute;
    this.c = {
      requests: counters.counter('req', s.requestsPerMinute, 60),
      agentEvents: counters.counter('agent', s.agentEventsPerMinute, 60),
      newPerMinute: counters.counter('conv', s.newConversations.perMinute, 60),
      ...(extra > 0 ? { newBurst: counters.counter('convburst', extra, BURST_WINDOW_SEC) } : {}),
      newPerDay: counters.counter('convday', s.newConversations.perDay, 86_400),
      messages: counters.counter('msg', s.messagesPerMinute, 60),
      signin: counters.counter('signin', s.signinFailuresPerHour, 3600),
    };
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** The client's address (TRUST_PROXY decides whether X-Forwarded-For is believed). */
  ip(req: Pick<IncomingMessage, 'headers' | 'socket'>): string {
    return clientIp(req, this.trust);
  }

  /** One more conversation from `ip`: its minute's rate, then the burst, then the day's ceiling. */
  async newConversation(ip: string): Promise<void> {
    if (!this.enabled) return;
    const { perMinute, perDay } = this.settings.newConversations;
    const minute = await this.c.newPerMinute.hit(ip);
    if (!minute.allowed) {
      const burst = this.c.newBurst ? await this.c.newBurst.hit(ip) : minute;
      // Served again as soon as either the minute or the burst allows.
      const wait = Math.min(minute.retryAfterMs, burst.retryAfterMs);
      if (!burst.allowed)
        throw refused(`more than ${perMinute} new conversations a minute from ${ip}`, { ...burst, retryAfterMs: wait });
    }
    const day = await this.c.newPerDay.hit(ip);
    if (!day.allowed) throw refused(`more than ${perDay} new conversations a day from ${ip}`, day);
  }

  /** One more customer message in `conversationId` (RATE_LIMIT_MESSAGES_PER_MINUTE). */
  async message(conversationId: string): Promise<RateVerdict> {
    if (!this.enabled) return { allowed: true, retryAfterMs: 0, firstRefusal: false };
    return this.c.messages.hit(conversationId);
  }

  /** message(), refused with a RateLimitedError; `onFirstRefusal` runs at the window's first refusal (a notice). */
  async requireMessage(conversationId: string, onFirstRefusal?: () => Promise<void>): Promise<void> {
    const v = await this.message(conversationId);
    if (v.allowed) return;
    if (v.firstRefusal) await onFirstRefusal?.();
    throw refused(`more than ${this.settings.messagesPerMinute} messages a minute in this conversation`, v);
  }

  /** A middleware counting each request of its client IP on `limit`'s counter. */
  perIp(limit: PathLimit): RequestHandler {
    const counter = this.c[limit];
    const max = limit === 'requests' ? this.settings.requestsPerMinute : this.settings.agentEventsPerMinute;
    return (req, _res, next) => {
      if (!this.enabled) return next();
      const ip = this.ip(req);
      counter
        .hit(ip)
        .then((v) => next(v.allowed ? undefined : refused(`more than ${max} requests a minute from ${ip}`, v)), next);
    };
  }

  /**
   * In front of the admin API: a client IP that sent RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR unknown bearer tokens
   * is refused (429) until the hour is over, even with a good token; each unknown token counts one failure.
   */
  signinGuard(isKnownToken: (token: string) => boolean, what = 'admin'): RequestHandler {
    const max = this.settings.signinFailuresPerHour;
    return (req, _res, next) => {
      if (!this.enabled) return next();
      const ip = this.ip(req);
      const token = bearerToken(req.get('authorization'));
      const check = async () => {
        const blocked = await this.c.signin.peek(ip);
        if (!blocked.allowed) throw refused(`more than ${max} failed ${what} sign-ins an hour from ${ip}`, blocked);
        if (token !== undefined && !isKnownToken(token)) await this.c.signin.hit(ip);
      };
      check().then(() => next(), next);
    };
  }
}

/** The refusal of the first verdict that refused (the longest wait when several did). */
function refused(what: string, ...verdicts: RateVerdict[]): RateLimitedError {
  const wait = Math.max(...verdicts.filter((v) => !v.allowed).map((v) => v.retryAfterMs));
  return new RateLimitedError(`too many requests: ${what}; retry in ${Math.ceil(wait / 1000)} s`, wait);
}

/** The paths a channel opens to strangers, and the counter they are limited by. */
export interface LimitedPaths {
  paths: readonly string[];
  limit: PathLimit;
}

/**
 * One mount in front of every channel (first of the list given to createHttpApp): each channel's public paths
 * are counted per client IP before any body is read.
 */
export function channelLimits(
  channels: readonly { readonly limited?: LimitedPaths }[],
  limits: TrafficLimits,
): HttpMount {
  const r = Router();
  for (const c of channels) if (c.limited) r.use([...c.limited.paths], limits.perIp(c.limited.limit));
  return { rawBody: r };
}
