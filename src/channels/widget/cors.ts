import type { RequestHandler } from 'express';
import { AppError } from '../../domain/errors';

/**
 * CORS for the widget API and its event stream, for the sites allowed to embed the widget (WIDGET_ALLOWED_ORIGINS).
 * Same-origin pages need nothing. No cookies are used (the conversation token travels in Authorization or
 * ?token=), so credentials are not allowed.
 */
export function widgetCors(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    const ok = typeof origin === 'string' && allowed.has(origin);
    if (ok) {
      res.set('access-control-allow-origin', origin);
      res.set('access-control-expose-headers', 'Content-Type');
    }
    if (req.method === 'OPTIONS') {
      if (!ok)
        throw new AppError(
          'ORIGIN_NOT_ALLOWED',
          `origin "${String(origin ?? '')}" is not in WIDGET_ALLOWED_ORIGINS`,
          403,
        );
      res.set({
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'Authorization, Content-Type, Last-Event-ID',
        'access-control-max-age': '600',
      });
      res.status(204).end();
      return;
    }
    next();
  };
}
