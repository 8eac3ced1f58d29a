import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, RateLimitedError } from '../domain/errors';

interface HttpProblem {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

/** What a framework error thrown for a client's request says (body-parser, the router's URL decoding, zlib). */
const CLIENT_ERRORS: Record<string, { code: string; message?: (e: { limit?: number; message: string }) => string }> = {
  'entity.too.large': { code: 'BODY_TOO_LARGE', message: (e) => `request body is larger than ${e.limit} bytes` },
  'entity.parse.failed': { code: 'INVALID_JSON', message: () => 'request body is not valid JSON' },
  'entity.too.deep': { code: 'JSON_TOO_DEEP' },
  'encoding.unsupported': { code: 'UNSUPPORTED_CONTENT_ENCODING' },
  'charset.unsupported': { code: 'UNSUPPORTED_CHARSET' },
  'request.aborted': { code: 'REQUEST_ABORTED', message: () => 'the request was aborted by the client' },
  'request.size.invalid': {
    code: 'BAD_CONTENT_LENGTH',
    message: () => 'request body does not match its Content-Length',
  },
};

/** A status between 400 and 499 set on a thrown error (http-errors, the router, body-parser). */
function clientStatus(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const s = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' && s >= 400 && s < 500 ? s : undefined;
}

/** The answer for `err`: AppError as it says; a client's malformed request as a 4xx; anything else a 500. */
export function problemOf(err: unknown): HttpProblem {
  if (err instanceof AppError)
    // What exactly was refused (content issues, regressions): only for client errors.
    return {
      status: err.status,
      code: err.code,
      message: err.message,
      details: err.status < 500 ? err.details : undefined,
    };
  const status = clientStatus(err);
  if (status === undefined) return { status: 500, code: 'INTERNAL', message: 'internal error' };
  const e = err as { type?: unknown; message?: unknown; limit?: number };
  const message = typeof e.message === 'string' ? e.message : 'bad request';
  const known = typeof e.type === 'string' ? CLIENT_ERRORS[e.type] : undefined;
  if (known) return { status, code: known.code, message: known.message?.({ limit: e.limit, message }) ?? message };
  // The router could not decode a %-escape of the path ("Failed to decode param '%FF'").
  if (err instanceof URIError) return { status, code: 'INVALID_URL', message: `malformed URL encoding: ${message}` };
  // zlib: a body sent with Content-Encoding gzip/deflate/br that is not compressed that way.
  if (typeof (err as { code?: unknown }).code === 'string' && /^Z_/.test((err as { code: string }).code))
    return {
      status,
      code: 'INVALID_CONTENT_ENCODING',
      message: `request body does not match its Content-Encoding: ${message}`,
    };
  return { status, code: 'BAD_REQUEST', message };
}

/**
 * The one error handler: AppError -> its status and code; a client's malformed request -> 4xx; anything else -> 500.
 * 5xx are logged at error with the stack; client errors at info, one line without a stack (they are not ours).
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { status, code, message, details } = problemOf(err);
    if (status >= 500) log.error({ err }, 'request failed');
    else log.info({ status, code, method: req.method, path: req.path }, `request refused: ${message.split('\n')[0]}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof RateLimitedError) res.setHeader('retry-after', String(err.retryAfterSeconds));
    res.status(status).json({ error: { code, message, ...(details !== undefined ? { details } : {}) } });
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`, 404));
};
