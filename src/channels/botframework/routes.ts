import { Router } from 'express';
import { AppError } from '../../domain/errors';
import { jsonBody } from '../../server/json';

/** Minimal request/response shapes (express' satisfy them) so that routes need not import the SDK. */
export interface GatewayRequest {
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  method?: string;
}
export interface GatewayResponse {
  status(code: number): this;
  setHeader(name: string, value: string): this;
  send(body?: unknown): this;
  end(): this;
  headersSent: boolean;
  writableEnded: boolean;
}

/** What the messaging endpoint asks of the gateway (BotFrameworkGateway): authenticate, then run the turn. */
export interface ActivityProcessor {
  authorize(req: GatewayRequest, res: GatewayResponse, next: (err?: unknown) => void): Promise<void>;
  /** Why replies may not be posted to this serviceUrl (not on the allow list), or undefined. */
  refusedServiceUrl(serviceUrl: unknown): string | undefined;
  process(req: GatewayRequest, res: GatewayResponse): Promise<void>;
}

/** Activities carry more than the text (entities, channelData, card payloads): Teams messages reach tens of KB. */
const MIN_ACTIVITY_BYTES = 256 * 1024;

/** POST /api/messages: the Bot Framework messaging endpoint (Azure Bot Service, Bot Framework Emulator). */
export function botframeworkRoutes(gateway: ActivityProcessor, maxBodyBytes: number): Router {
  const r = Router();
  r.post(
    '/api/messages',
    jsonBody(Math.max(maxBodyBytes, MIN_ACTIVITY_BYTES)),
    (req, res, next) => void gateway.authorize(req, res, next).catch(next),
    async (req, res) => {
      if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body))
        throw new AppError(
          'INVALID_BODY',
          'expected an Activity (JSON object) with content-type application/json',
          400,
        );
      if (typeof req.body.type !== 'string' || !req.body.type)
        throw new AppError(
          'INVALID_ACTIVITY',
          'expected an Activity with a "type" (message, conversationUpdate, invoke, ...)',
          400,
        );
      // Replies go to the activity's serviceUrl: only to an allowed one (else POST /api/messages is a proxy).
      const refused = req.body.serviceUrl === undefined ? undefined : gateway.refusedServiceUrl(req.body.serviceUrl);
      if (refused)
        throw new AppError(
          'SERVICE_URL_NOT_ALLOWED',
          `serviceUrl "${String(req.body.serviceUrl).slice(0, 200)}" refused: ${refused}`,
          403,
        );
      try {
        await gateway.process(req, res);
      } catch (e) {
        // The SDK validates the activity with zod: a malformed one is the sender's error, not ours.
        if (e instanceof Error && e.name === 'ZodError' && !res.headersSent) {
          const issues = (e as Error & { issues?: { path?: unknown[]; message?: string }[] }).issues ?? [];
          const first = issues[0];
          throw new AppError(
            'INVALID_ACTIVITY',
            `invalid Activity${first ? `: ${(first.path ?? []).join('.') || 'activity'}: ${first.message ?? ''}` : ''}`,
            400,
          );
        }
        throw e;
      }
    },
  );
  return r;
}
