import { Router } from 'express';
import { AppError } from '../../domain/errors';
import type { BotFrameworkGateway } from './gateway';

/** POST /api/messages: the Bot Framework messaging endpoint (Azure Bot Service, Bot Framework Emulator). */
export function botframeworkRoutes(gateway: BotFrameworkGateway): Router {
  const r = Router();
  r.post(
    '/api/messages',
    (req, res, next) => void gateway.authorize(req, res, next).catch(next),
    async (req, res) => {
      if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw new AppError('INVALID_BODY', 'expected an Activity (JSON object) with content-type application/json', 400);
      await gateway.process(req, res);
    },
  );
  return r;
}
