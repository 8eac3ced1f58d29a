import { Webhook } from 'standardwebhooks';
import { ConfigError } from '../domain/errors';
import { webhookHeaders } from './signing';
import type { OutboxEvent, OutboxTarget } from '../domain/handoff';
import type { OutboxStore } from '../storage/ports';

/**
 * Retry delays in ms after each failed attempt (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h): an event is tried
 * at most `schedule.length + 1` times, then it becomes a dead letter (replayable by an operator).
 */
export const DEFAULT_SCHEDULE: readonly number[] = [
  5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000,
];

/** Setting written when the endpoint answers 410 Gone: "<url> (410 at <iso>)". Delivery to that URL stops until cleared. */
export const WEBHOOK_DISABLED_SETTING = 'webhook.disabled';

/** Longest Retry-After honoured (a receiver cannot park a conversation's events for more than a day). */
export const MAX_RETRY_AFTER_MS = 86_400_000;

export interface DeliveryLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Told about each delivery attempt (metrics); the worker does not know where figures go. */
export interface DeliveryObserver {
  delivered?(e: OutboxEvent): void;
  /** A failed attempt: `dead` when it was the last one, `gone` for 410 Gone, `status` when the endpoint answered. */
  failed?(e: OutboxEvent, o: { status?: number; dead: boolean; gone: boolean }): void;
}

/**
 * Delivers one event of a target other than the webhook (Chatwoot, mail): the worker keeps the order, the retries,
 * the dead letters; the sender only says how the attempt went. It must not throw for a failed attempt.
 */
export interface OutboxSender {
  /** For logs: where events go, without credentials ("chatwoot https://desk.example.com", "smtp mail.example.com"). */
  readonly endpoint: string;
  send(e: OutboxEvent): Promise<SendOutcome>;
}

export interface DeliveryOptions {
  /** HANDOFF_WEBHOOK_URL. Undefined: the worker does nothing (handoffs stay queued for the built-in desk). */
  url?: string;
  /** The events this worker claims: 'webhook' (default, sent to `url`), or another target with its `sender`. */
  target?: OutboxTarget;
  /** Required for a target other than 'webhook' (then `url` and `secret` are not used). */
  sender?: OutboxSender;
  /** HANDOFF_WEBHOOK_SECRET ("whsec_<base64>"); required when `url` is set, unused with a `sender`. */
  secret?: string;
  /** Delays in ms after each failed attempt; after the last one the event goes dead. */
  schedule?: readonly number[];
  /** Relative jitter of each delay: 0.2 = ±20 %. */
  jitter?: number;
  /** Per-request timeout (connection, response headers). */
  timeoutMs?: number;
  /** Events claimed per run. */
  batch?: number;
  /** How long claimed events are reserved for this worker; must exceed `timeoutMs`. */
  leaseMs?: number;
  now?: () => Date;
  random?: () => number;
  fetch?: typeof fetch;
  log?: DeliveryLog;
  observer?: DeliveryObserver;
}

export interface RunResult {
  /** Events the endpoint acknowledged (2xx). */
  delivered: number;
  /** Failed attempts: rescheduled, dead-lettered, or answered 410 Gone. */
  failed: number;
}

/** Re-enables delivery after a 410 Gone (the operator fixed or replaced the endpoint). */
export async function enableEndpoint(store: Pick<OutboxStore, 'setSetting'>): Promise<void> {
  await store.setSetting(WEBHOOK_DISABLED_SETTING, null);
}

/** The Retry-After header (delay in seconds or an HTTP date) as a delay in ms from `now`; undefined if absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    // HTTP dates (IMF-fixdate and the obsolete forms) start with the day name; Date.parse alone would take "-5".
    if (!/^[A-Za-z]{3}/.test(v)) return undefined;
    const t = Date.parse(v);
    if (!Number.isFinite(t)) return undefined;
    ms = t - now.getTime();
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/** How one attempt went; `gone` (410) disables the webhook endpoint, other targets never set it. */
export type SendOutcome =
  { ok: true } | { ok: false; gone: boolean; error: string; status?: number; retryAfterMs?: number };
type Outcome = SendOutcome;

const consoleLog: DeliveryLog = {
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

/**
 * Delivers the outbox to the agents' webhook endpoint (Standard Webhooks): each event's stored body, byte for byte,
 * signed with the shared secret, under its stable webhook-id (receivers deduplicate on it). Failed attempts are
 * retried on `schedule` with jitter, then dead-lettered. Events of one conversation go out in seq order: the store
 * only hands out the earliest pending event of each conversation, and a batch is delivered sequentially.
 */
export class DeliveryWorker {
  private readonly url: string | undefined;
  private readonly target: OutboxTarget;
  private readonly sender: OutboxSender | undefined;
  private readonly secret: string;
  private readonly schedule: readonly number[];
  private readonly jitter: number;
  private readonly timeoutMs: number;
  private readonly batch: number;
  private readonly leaseMs: number;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly fetch: typeof fetch;
  private readonly log: DeliveryLog;
  private readonly observer: DeliveryObserver;
  /** Where the endpoint is, for logs: origin and path only (no credentials, no query string). */
  private readonly endpoint: string | undefined;

  private loop: { stopped: boolean } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly store: OutboxStore,
    opts: DeliveryOptions,
  ) {
    this.target = opts.target ?? 'webhook';
    this.sender = opts.sender;
    if ((this.target === 'webhook') !== (this.sender === undefined))
      throw new ConfigError(
        `delivery worker for target "${this.target}": a sender is needed for, and only for, a target other than webhook`,
      );
    this.url = this.sender ? undefined : opts.url?.trim() || undefined;
    this.secret = opts.secret ?? '';
    this.schedule = [...(opts.schedule ?? DEFAULT_SCHEDULE)];
    this.jitter = opts.jitter ?? 0.2;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.batch = opts.batch ?? 20;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.now = opts.now ?? (() => new Date());
    this.random = opts.random ?? Math.random;
    this.fetch = opts.fetch ?? ((input, init) => fetch(input, init));
    this.log = opts.log ?? consoleLog;
    this.observer = opts.observer ?? {};

    if (!this.schedule.every((d) => Number.isFinite(d) && d >= 0))
      throw new ConfigError('webhook retry schedule: delays must be finite numbers of ms >= 0');
    if (!(this.jitter >= 0 && this.jitter < 1)) throw new ConfigError('webhook retry jitter must be in [0, 1)');
    if (!(Number.isInteger(this.batch) && this.batch > 0))
      throw new ConfigError('webhook delivery batch must be a positive integer');
    if (!(this.timeoutMs > 0)) throw new ConfigError('webhook timeout must be > 0 ms');
    if (!(this.leaseMs > this.timeoutMs))
      throw new ConfigError('webhook delivery lease must be longer than the request timeout');

    if (this.sender) this.endpoint = this.sender.endpoint;
    else if (this.url !== undefined) {
      let u: URL;
      try {
        u = new URL(this.url);
      } catch {
        throw new ConfigError('HANDOFF_WEBHOOK_URL is not a valid URL');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:')
        throw new ConfigError(`HANDOFF_WEBHOOK_URL must be http:// or https:// (got ${u.protocol})`);
      this.endpoint = `${u.origin}${u.pathname}`;
      if (!this.secret) throw new ConfigError('HANDOFF_WEBHOOK_SECRET is required when HANDOFF_WEBHOOK_URL is set');
      try {
        new Webhook(this.secret);
      } catch {
        // Not the library's message: never echo anything derived from the secret.
        throw new ConfigError(
          'HANDOFF_WEBHOOK_SECRET is not a valid Standard Webhooks secret (expected "whsec_" followed by base64)',
        );
      }
    }
  }

  /** Whether a webhook URL (or a sender) is configured (otherwise handoffs are served by the built-in desk only). */
  get enabled(): boolean {
    return this.url !== undefined || this.sender !== undefined;
  }

  /** The 410 Gone record when delivery to this worker's URL is disabled, else undefined. */
  async disabledSince(): Promise<string | undefined> {
    if (this.url === undefined) return undefined;
    const v = await this.store.getSetting(WEBHOOK_DISABLED_SETTING);
    return v !== undefined && (v === this.url || v.startsWith(`${this.url} (`)) ? v : undefined;
  }

  /** Claims the due events and delivers them one after the other. */
  async runOnce(): Promise<RunResult> {
    const result: RunResult = { delivered: 0, failed: 0 };
    const url = this.url;
    if (!this.enabled) return result;
    if ((await this.disabledSince()) !== undefined) return result;

    const claimedAt = this.now().getTime();
    const events = await this.store.claimDue(new Date(claimedAt), this.batch, this.leaseMs, this.target);
    const seen = new Set<string>();
    let gone = false;
    for (const e of events) {
      // Never two events of one conversation in a batch (order); none after a 410; none whose lease could run out
      // during the request (another worker could take it). Those wait for the next run.
      if (seen.has(e.conversationId)) {
        await this.defer(e, 'not attempted: another event of the conversation was in the batch');
        continue;
      }
      seen.add(e.conversationId);
      if (gone) {
        await this.defer(e, 'not attempted: endpoint disabled (410 Gone)');
        continue;
      }
      if (this.now().getTime() + this.timeoutMs > claimedAt + this.leaseMs) {
        await this.defer(e, 'not attempted: delivery run exceeded the lease');
        continue;
      }
      const outcome = this.sender ? await this.attempt(this.sender, e) : await this.send(url!, e);
      if (outcome.ok) {
        await this.store.markDelivered(e.id, this.now());
        result.delivered++;
        this.observer.delivered?.(e);
        continue;
      }
      result.failed++;
      this.observer.failed?.(e, {
        ...(outcome.status !== undefined ? { status: outcome.status } : {}),
        gone: outcome.gone,
        dead: !outcome.gone && e.attempts + 1 > this.schedule.length,
      });
      if (outcome.gone) {
        gone = true;
        const at = this.now().toISOString();
        await this.store.setSetting(WEBHOOK_DISABLED_SETTING, `${url} (410 at ${at})`);
        // Still pending, no attempt counted: delivered once the operator re-enables the endpoint.
        await this.store.markRetry(e.id, e.attempts, new Date(e.nextAttemptAt), outcome.error);
        this.log.error(
          { endpoint: this.endpoint, eventId: e.id, webhookId: e.webhookId, status: 410, disabledAt: at },
          'webhook endpoint answered 410 Gone: delivery disabled until the endpoint is re-enabled',
        );
        continue;
      }
      await this.failed(e, outcome);
    }
    return result;
  }

  /** Runs `runOnce` every `intervalMs` (at once again after a full batch), never two runs at a time. */
  start(intervalMs = 1000): void {
    if (this.loop) return;
    const loop = { stopped: false };
    this.loop = loop;
    const next = (ms: number) => {
      if (loop.stopped) return;
      this.timer = setTimeout(tick, ms);
      this.timer.unref();
    };
    const tick = () => {
      this.timer = undefined;
      const run: Promise<void> = this.runOnce()
        .then(
          (r) => r.delivered + r.failed >= this.batch,
          (err: unknown) => {
            this.log.error(
              { endpoint: this.endpoint, error: this.redact(describeError(err)) },
              'webhook delivery run failed',
            );
            return false;
          },
        )
        .then((more) => {
          if (this.inFlight === run) this.inFlight = undefined;
          next(more ? 0 : intervalMs);
        });
      this.inFlight = run;
    };
    next(0);
  }

  /** Stops the loop and waits for the run in progress, if any. */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    loop.stopped = true;
    this.loop = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** A sender's attempt; one that throws counts as a failed attempt (retried), never as a stopped worker. */
  private async attempt(sender: OutboxSender, e: OutboxEvent): Promise<Outcome> {
    try {
      const o = await sender.send(e);
      return o.ok ? o : { ...o, gone: false, error: this.redact(o.error) };
    } catch (err) {
      return { ok: false, gone: false, error: this.redact(describeError(err)) };
    }
  }

  private async send(url: string, e: OutboxEvent): Promise<Outcome> {
    const sentAt = this.now();
    let res: Response;
    try {
      res = await this.fetch(url, {
        method: 'POST',
        headers: webhookHeaders(this.secret, e.webhookId, sentAt, e.body),
        body: e.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = (err as { name?: unknown } | null)?.name === 'TimeoutError';
      return {
        ok: false,
        gone: false,
        error: this.redact(timedOut ? `timeout after ${this.timeoutMs} ms` : `network error: ${describeError(err)}`),
      };
    }
    // The response body is not used; release the connection.
    await res.body?.cancel().catch(() => {});
    const status = res.status;
    if (status >= 200 && status < 300) return { ok: true };
    if (status === 410) return { ok: false, gone: true, status, error: 'HTTP 410 Gone' };
    let error = `HTTP ${status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if ((status >= 300 && status < 400) || res.type === 'opaqueredirect') error += ' (redirects are not followed)';
    const retryAfterMs =
      status === 429 || status === 503 ? parseRetryAfter(res.headers.get('retry-after'), sentAt) : undefined;
    return { ok: false, gone: false, status, error: this.redact(error), retryAfterMs };
  }

  private async failed(e: OutboxEvent, outcome: Extract<Outcome, { ok: false }>): Promise<void> {
    const attempts = e.attempts + 1;
    const info = {
      target: this.target,
      endpoint: this.endpoint,
      eventId: e.id,
      webhookId: e.webhookId,
      conversationId: e.conversationId,
      seq: e.seq,
      attempts,
      status: outcome.status,
      error: outcome.error,
    };
    if (attempts > this.schedule.length) {
      await this.store.markDead(e.id, attempts, outcome.error);
      this.log.error(info, 'webhook delivery failed for good: event moved to the dead letters');
      return;
    }
    const base = this.schedule[attempts - 1]!;
    let delay = Math.round(base * (1 + this.jitter * (2 * this.random() - 1)));
    if (outcome.retryAfterMs !== undefined) delay = Math.max(delay, outcome.retryAfterMs);
    const nextAttemptAt = new Date(this.now().getTime() + delay);
    await this.store.markRetry(e.id, attempts, nextAttemptAt, outcome.error);
    this.log.warn({ ...info, nextAttemptAt: nextAttemptAt.toISOString() }, 'webhook delivery failed: will retry');
  }

  /** Releases a claimed event untouched (same attempts and due time) for a later run. */
  private async defer(e: OutboxEvent, reason: string): Promise<void> {
    await this.store.markRetry(e.id, e.attempts, new Date(e.nextAttemptAt), e.lastError ?? reason);
  }

  /** Belt and braces: nothing logged or stored ever contains the signing secret. */
  private redact(text: string): string {
    if (!this.secret) return text;
    let out = text.split(this.secret).join('***');
    const key = this.secret.startsWith('whsec_') ? this.secret.slice('whsec_'.length) : '';
    if (key) out = out.split(key).join('***');
    return out;
  }
}

/** An error's message with its cause (fetch reports "fetch failed" and puts the reason in `cause`). */
function describeError(err: unknown): string {
  const e = err as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const msg = typeof e?.message === 'string' && e.message ? e.message : String(err);
  const cause = e?.cause;
  if (cause) {
    const detail = [cause.code, cause.message].filter((x) => typeof x === 'string' && x).join(' ');
    if (detail) return `${msg} (${detail})`;
  }
  return msg;
}
