import { Router } from 'express';
import { AppError } from '../domain/errors';
import { bearerToken, sameSecret } from '../server/auth';
import type { Metrics } from './metrics';

/**
 * GET /metrics (Prometheus text format). Open when no token is configured (bind the port to a private network or
 * loopback then); with METRICS_TOKEN, scrapers must send `Authorization: Bearer <METRICS_TOKEN>`.
 */
export function metricsRoute(metrics: Metrics, token?: string): Router {
  const r = Router();
  r.get('/metrics', async (req, res) => {
    if (token) {
      const given = bearerToken(req.get('authorization'));
      if (given === undefined || !sameSecret(given, token))
        throw new AppError('UNAUTHORIZED', 'a metrics token is required (Authorization: Bearer <METRICS_TOKEN>)', 401);
    }
    const { contentType, body } = await metrics.scrape();
    res.type(contentType).send(body);
  });
  return r;
}
