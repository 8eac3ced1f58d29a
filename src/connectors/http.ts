import { ConfigError } from '../domain/errors';
import { ConnectorError, impossibleDate, type Connector, type LookupKind, type LookupRecord } from './types';

/**
 * A real back office over HTTP: GET `${baseUrl}/${kind}s/${encodeURIComponent(key)}` (e.g. /orders/MV-4821937).
 *
 * - 2xx: the body must be a JSON object whose values are strings, numbers, booleans or null; values become strings
 *   and nulls are dropped. Anything else (HTML, an array, nested objects, an impossible date like 2026-13-45, a body
 *   over `maxBytes`) is a ConnectorError('invalid response ...'): the dialog apologizes and offers a person.
 * - 3xx: not followed (the Bearer token would go wherever the back office, or whoever answers in its name, points),
 *   a ConnectorError at once.
 * - 404: null (nothing has that key).
 * - 5xx, 429, network errors and timeouts: retried `retries` times with exponential backoff and jitter, then a
 *   ConnectorError giving the last status or "timed out after N ms".
 * - Other statuses (400, 401, 403, ...): ConnectorError at once, no retry.
 *
 * Error messages never contain the token (nor the key, which identifies a customer).
 */
export interface HttpConnectorOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** Per attempt, covering the response body too. Default 3000. */
  timeoutMs?: number;
  /** Extra attempts after the first one for retryable failures. Default 2. */
  retries?: number;
  /** Base delay before the first retry, doubled for each further one, with jitter. Default 200. */
  retryDelayMs?: number;
  /** The largest body read, in bytes (stream-read, aborted beyond). Default 262144. */
  maxBytes?: number;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** The body as text, refused (an Error naming the limit) as soon as it grows beyond `max` bytes. */
async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await discard(res);
    throw new TooLarge(max);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new TooLarge(max);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

class TooLarge extends Error {
  constructor(readonly max: number) {
    super(`body larger than ${max} bytes`);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry failures: carry the reason (for the final message) and the cause. */
class Retryable {
  constructor(
    readonly reason: string,
    readonly cause?: unknown,
  ) {}
}

function integerOption(name: string, v: number | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < min)
    throw new ConfigError(`HttpConnector: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

function describeNetworkError(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  const detail = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
  return `network error (${detail})`;
}

/** A JSON object of scalars → LookupRecord; anything else → a description of what was wrong. */
export function toLookupRecord(body: unknown): LookupRecord | string {
  if (body === null || typeof body !== 'object')
    return `expected a JSON object, got ${body === null ? 'null' : typeof body}`;
  if (Array.isArray(body)) return 'expected a JSON object, got an array';
  const entries: [string, string][] = [];
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (v === null) continue;
    if (typeof v === 'string') {
      if (impossibleDate(v)) return `field "${k}" is not a valid date: "${v.slice(0, 40)}"`;
      entries.push([k, v]);
    } else if (typeof v === 'number' || typeof v === 'boolean') entries.push([k, String(v)]);
    else
      return `field "${k}" is ${Array.isArray(v) ? 'an array' : 'an object'}, expected a string, number, boolean or null`;
  }
  // Object.fromEntries defines own properties, so a "__proto__" key cannot touch the prototype.
  return Object.fromEntries(entries);
}

export class HttpConnector implements Connector {
  private readonly baseUrl: string;
  private readonly host: string;
  private readonly token?: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly maxBytes: number;
  private readonly fetchFn: typeof fetch;

  constructor(options: HttpConnectorOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new ConfigError(`HttpConnector: baseUrl is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigError(`HttpConnector: baseUrl must be http or https`);
    let base = options.baseUrl;
    while (base.endsWith('/')) base = base.slice(0, -1); // not /\/+$/: quadratic on a long run of slashes
    this.baseUrl = base;
    this.host = url.host;
    this.token = options.token || undefined;
    this.timeoutMs = integerOption('timeoutMs', options.timeoutMs, 3000, 1);
    this.retries = integerOption('retries', options.retries, 2, 0);
    this.retryDelayMs = integerOption('retryDelayMs', options.retryDelayMs, 200, 0);
    this.maxBytes = integerOption('maxBytes', options.maxBytes, 262_144, 1);
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new ConfigError('HttpConnector: no fetch implementation available');
    this.fetchFn = f;
  }

  async lookup(kind: LookupKind, key: string): Promise<LookupRecord | null> {
    const trimmed = key.trim();
    if (!trimmed) return null;
    const url = `${this.baseUrl}/${kind}s/${encodeURIComponent(trimmed)}`;
    const attempts = this.retries + 1;
    let last: Retryable | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(this.backoff(attempt));
      const outcome = await this.attempt(kind, url);
      if (!(outcome instanceof Retryable)) return outcome;
      last = outcome;
    }
    throw new ConnectorError(
      `back office ${this.host} unavailable for ${kind} lookup after ${attempts} attempt${attempts > 1 ? 's' : ''}: ${last!.reason}`,
      last!.cause,
    );
  }

  /** Delay before retry n (1-based): base·2^(n-1), between half and all of it (equal jitter). */
  private backoff(n: number): number {
    const full = this.retryDelayMs * 2 ** (n - 1);
    return full / 2 + Math.random() * (full / 2);
  }

  private async attempt(kind: LookupKind, url: string): Promise<LookupRecord | null | Retryable> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const signal = AbortSignal.timeout(this.timeoutMs);
    const timedOut = () => new Retryable(`timed out after ${this.timeoutMs} ms`);

    let res: Response;
    try {
      // Redirects are not followed: each would carry the token, maybe to an internal address.
      res = await this.fetchFn(url, { method: 'GET', headers, signal, redirect: 'manual' });
    } catch (e) {
      return signal.aborted ? timedOut() : new Retryable(describeNetworkError(e), e);
    }

    const status = `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
    if (res.status === 404) {
      await discard(res);
      return null;
    }
    if (res.status >= 300 && res.status < 400) {
      await discard(res);
      throw new ConnectorError(
        `back office ${this.host} answered the ${kind} lookup with a redirect (${status}), not followed`,
      );
    }
    if (res.status === 429 || res.status >= 500) {
      await discard(res);
      return new Retryable(status);
    }
    if (res.status < 200 || res.status >= 300) {
      await discard(res);
      throw new ConnectorError(`back office ${this.host} refused the ${kind} lookup: ${status}`);
    }

    const invalid = (why: string) =>
      new ConnectorError(`invalid response from back office ${this.host} for ${kind} lookup: ${why}`);
    let body: string;
    try {
      body = await readCapped(res, this.maxBytes);
    } catch (e) {
      if (e instanceof TooLarge) throw invalid(e.message);
      return signal.aborted ? timedOut() : new Retryable(describeNetworkError(e), e);
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      const type = res.headers.get('content-type');
      throw invalid(`body is not JSON${type ? ` (content-type ${type})` : ''}`);
    }
    const record = toLookupRecord(json);
    if (typeof record === 'string') throw invalid(record);
    return record;
  }
}

async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    /* the body is not needed */
  }
}
