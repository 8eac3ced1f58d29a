import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateCounter, RateCounters, RateVerdict } from './ports';

/** What a back end hands: a rate-limiter-flexible limiter for a limit's name, points and window. */
export type LimiterFactory = (opts: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract;

const ALLOWED: RateVerdict = { allowed: true, retryAfterMs: 0, firstRefusal: false };

/** The counters port over rate-limiter-flexible (memory, SQLite or PostgreSQL, as the factory builds them). */
export class LimiterCounters implements RateCounters {
  constructor(private readonly make: LimiterFactory) {}

  counter(name: string, points: number, durationSec: number): RateCounter {
    const limiter = this.make({ keyPrefix: name, points, duration: durationSec });
    return {
      async hit(key) {
        try {
          await limiter.consume(key);
          return ALLOWED;
        } catch (e) {
          // A refusal resolves to the counter's state; anything else (the database) is an error of ours.
          if (!(e instanceof RateLimiterRes)) throw e;
          return { allowed: false, retryAfterMs: e.msBeforeNext, firstRefusal: e.consumedPoints === points + 1 };
        }
      },
      async peek(key) {
        const res = await limiter.get(key);
        if (!res || res.consumedPoints < points) return ALLOWED;
        return { allowed: false, retryAfterMs: res.msBeforeNext, firstRefusal: false };
      },
    };
  }
}

/** Counters in this process only: the memory store (tests, `npm run chat`), where one instance is all there is. */
export const memoryCounters = (): RateCounters => new LimiterCounters((opts) => new RateLimiterMemory(opts));
