import { createHmac } from 'node:crypto';
import express, { Router, type RequestHandler } from 'express';
import { AppError } from '../../domain/errors';
import type { AgentEvent, Engine } from '../../engine/engine';
import { checkJsonDepth } from '../../server/json';
import { sameSecret } from '../../server/auth';
import type { Channel } from '../channel';
import { ChatwootLinks, type LinkStore } from './links';
import { CONVERSATION_ATTRIBUTE } from './sender';
import { translateWebhook, type ChatwootAction } from './translate';

export const CHATWOOT_WEBHOOK_PATH = '/api/chatwoot/webhook';
/** A message_created payload carries the conversation and its last message: more than an agent event. */
export const CHATWOOT_WEBHOOK_MAX_BYTES = 262_144;
/** A signed webhook's timestamp may be this far from our clock. */
const SIGNATURE_TOLERANCE_S = 300;

export interface ChatwootLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ChatwootChannelDeps {
  engine: Pick<Engine, 'agentEvent'>;
  store: LinkStore;
  inboxId: number;
  /** CHATWOOT_WEBHOOK_TOKEN: the secret last segment of the inbox's webhook URL. */
  webhookToken: string;
  /** CHATWOOT_WEBHOOK_SECRET: when set, X-Chatwoot-Signature is required and checked. */
  webhookSecret?: string;
  maxBodyBytes?: number;
  log?: ChatwootLog;
  now?: () => Date;
}

export interface ChatwootChannel extends Channel {
  /** Resolves when the webhooks received so far are handled (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * Chatwoot's side of the agents' channel: the inbox's webhook (agents' replies, typing, resolved) reaching customers
 * on their own channel through the engine. The outgoing side is ChatwootSender, run by a DeliveryWorker.
 */
export function createChatwootChannel(deps: ChatwootChannelDeps): ChatwootChannel {
  const links = new ChatwootLinks(deps.store);
  const pending = new Set<Promise<void>>();
  const log = deps.log ?? { warn: (o, m) => console.warn(m, o), error: (o, m) => console.error(m, o) };
  const track = (p: Promise<void>) => {
    const t = p.catch((err: unknown) => log.error({ err }, 'chatwoot webhook: handling failed'));
    pending.add(t);
    void t.finally(() => pending.delete(t));
  };
  const handle = async (body: unknown) => {
    const a = translateWebhook(body, deps.inboxId, CONVERSATION_ATTRIBUTE);
    if (a.kind === 'ignored') return;
    const ours = await links.ours(a.conversation);
    if (!ours) return log.warn({ chatwootConversation: a.conversation }, 'chatwoot webhook: conversation not linked');
    await apply(deps.engine, a, ours).catch((err: unknown) => {
      // A replay, or a conversation no longer with a person (cancelled, resolved twice): nothing to do.
      if (err instanceof AppError && err.status < 500)
        return log.warn({ code: err.code, chatwootConversation: a.conversation }, `chatwoot webhook: ${err.message}`);
      throw err;
    });
  };
  const idle = async () => {
    while (pending.size) await Promise.all([...pending]);
  };
  return {
    name: 'chatwoot',
    rawBody: webhookRoute(deps, (body) => track(handle(body))),
    limited: { paths: [CHATWOOT_WEBHOOK_PATH], limit: 'agentEvents' },
    idle,
    stop: idle,
  };
}

function apply(
  engine: Pick<Engine, 'agentEvent'>,
  a: Exclude<ChatwootAction, { kind: 'ignored' }>,
  conversationId: string,
) {
  let e: AgentEvent;
  if (a.kind === 'message')
    // The Chatwoot message id, stored with the message: the same message delivered twice is shown once.
    return engine.agentEvent(
      { type: 'agent.message', conversationId, text: a.text, agent: { name: a.agent } },
      `chatwoot:${a.messageId}`,
    );
  if (a.kind === 'typing') e = { type: 'agent.typing', conversationId, agent: { name: a.agent } };
  else e = { type: 'handoff.completed', conversationId };
  return engine.agentEvent(e);
}

/**
 * POST /api/chatwoot/webhook/<token>: the token first (constant time; any other is a 404 and the body is not even
 * read), the signature when a secret is set, then 200 at once (Chatwoot gives up after 5 s) and the work after.
 */
function webhookRoute(deps: ChatwootChannelDeps, received: (body: unknown) => void): Router {
  const r = Router();
  const now = deps.now ?? (() => new Date());
  const token: RequestHandler = (req, _res, next) => {
    if (!sameSecret(String(req.params.token ?? ''), deps.webhookToken))
      return next(new AppError('NOT_FOUND', 'no such Chatwoot webhook', 404));
    next();
  };
  const raw = express.raw({ type: () => true, limit: deps.maxBodyBytes ?? CHATWOOT_WEBHOOK_MAX_BYTES });
  r.post(`${CHATWOOT_WEBHOOK_PATH}/:token`, token, raw, (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (deps.webhookSecret) checkSignature(deps.webhookSecret, req.headers, body, now());
    checkJsonDepth(body);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new AppError('INVALID_JSON', 'request body is not valid JSON', 400);
    }
    res.status(200).json({ received: true });
    received(json);
  });
  return r;
}

/**
 * Newer Chatwoot versions sign each webhook (lib/webhooks/trigger.rb; chatwoot/chatwoot#13573 for account webhooks,
 * #13892 for API inboxes): X-Chatwoot-Timestamp (Unix seconds) and X-Chatwoot-Signature = "sha256=" + hex
 * HMAC-SHA256(secret, "<timestamp>.<raw body>").
 */
export function checkSignature(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  now: Date,
): void {
  const ts = String(headers['x-chatwoot-timestamp'] ?? '');
  const sig = String(headers['x-chatwoot-signature'] ?? '');
  if (!/^\d{1,12}$/.test(ts) || !sig)
    throw new AppError('BAD_SIGNATURE', 'Chatwoot webhook refused: X-Chatwoot-Timestamp or -Signature missing', 401);
  if (Math.abs(now.getTime() / 1000 - Number(ts)) > SIGNATURE_TOLERANCE_S)
    throw new AppError('BAD_SIGNATURE', `Chatwoot webhook refused: timestamp ${ts} is more than 5 minutes away`, 401);
  const want = `sha256=${createHmac('sha256', secret).update(`${ts}.`).update(body).digest('hex')}`;
  if (!sameSecret(sig, want)) throw new AppError('BAD_SIGNATURE', 'Chatwoot webhook refused: wrong signature', 401);
}
