import { numberSetting } from './settings';

/** Token lifetimes and the readiness bound (part of the env schema of ./index.ts). */
export const lifetimeEnv = {
  // A widget conversation idle this long is over: its token is refused (401 TOKEN_EXPIRED), the widget starts anew.
  WIDGET_TOKEN_IDLE_DAYS: numberSetting('WIDGET_TOKEN_IDLE_DAYS', 30, 0.01, 3650),
  // Direct Line tokens are refreshed hourly; past this age from the first issue no refresh is granted.
  DIRECTLINE_TOKEN_MAX_HOURS: numberSetting('DIRECTLINE_TOKEN_MAX_HOURS', 24, 1, 8760),
  // GET /ready answers 503 when more handoff events than this wait for delivery (the webhook receiver is down).
  READY_MAX_OUTBOX: numberSetting('READY_MAX_OUTBOX', 1000, 1, 100_000_000),
};

export interface LifetimeConfig {
  tokens: {
    /** Widget tokens expire after this much inactivity of their conversation (ms). */
    widgetIdleMs: number;
    /** Direct Line tokens are not refreshed past this many seconds after the conversation's first token. */
    directLineMaxSeconds: number;
  };
  ready: { maxOutbox: number };
}

export function lifetimeConfig(e: {
  WIDGET_TOKEN_IDLE_DAYS: number;
  DIRECTLINE_TOKEN_MAX_HOURS: number;
  READY_MAX_OUTBOX: number;
}): LifetimeConfig {
  return {
    tokens: {
      widgetIdleMs: Math.round(e.WIDGET_TOKEN_IDLE_DAYS * 86_400_000),
      directLineMaxSeconds: Math.round(e.DIRECTLINE_TOKEN_MAX_HOURS * 3600),
    },
    ready: { maxOutbox: Math.floor(e.READY_MAX_OUTBOX) },
  };
}
