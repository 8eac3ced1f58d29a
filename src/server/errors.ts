import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, RateLimitedError } from '../domain/errors';

/** The one error handler: AppError -> its status and code; body-parser errors -> 4xx; anything else -> 500. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let status = 500;
    let code = 'INTERNAL';
    let message = 'internal error';
    let details: unknown;
    if (err instanceof AppError) {
      status = err.status;
      code = err.code;
      message = err.message;
      // What exactly was refused (content issues, regressions): only for client errors.
      if (status < 500) details = err.details;
    } else if (
      err &&
      typeof err === 'object' &&
      'type' in err &&
      typeof (err as { status?: unknown }).status === 'number'
    ) {
      // body-parser: entity.too.large, entity.parse.failed, charset/encoding errors
      const e = err as { status: number; type: string; message: string; limit?: number };
      status = e.status;
      code =
        e.type === 'entity.too.large'
          ? 'BODY_TOO_LARGE'
          : e.type === 'entity.parse.failed'
            ? 'INVALID_JSON'
            : 'BAD_REQUEST';
      message =
        e.type === 'entity.too.large'
          ? `request body is larger than ${e.limit} bytes`
          : e.type === 'entity.parse.failed'
            ? 'request body is not valid JSON'
            : e.message;
    }
    if (status >= 500) log.error({ err }, 'request failed');
    if (err instanceof RateLimitedError) res.setHeader('retry-after', String(err.retryAfterSeconds));
    res.status(status).json({ error: { code, message, ...(details !== undefined ? { details } : {}) } });
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`, 404));
};
