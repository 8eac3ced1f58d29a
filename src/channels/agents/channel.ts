import express, { Router } from 'express';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { AppError } from '../../domain/errors';
import { checkJsonDepth } from '../../server/json';
import type { AgentEvent, Engine } from '../../engine/engine';
import type { Channel } from '../channel';
import { transcriptRoute, type TranscriptRouteDeps } from './transcript';
import { agentFile, storeAgentFile, type AgentFile, type AgentFiles } from './files';

const agent = z.object({ name: z.string().trim().min(1).max(100) }).strict();
const conversationId = z.string().min(1).max(100);
const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('agent.joined'), conversationId, agent }).strict(),
  z
    .object({
      type: z.literal('agent.message'),
      conversationId,
      // May be empty only when the message carries a file (checked after parsing).
      text: z.string().trim().max(10_000).default(''),
      agent,
      attachment: agentFile.optional(),
    })
    .strict(),
  z.object({ type: z.literal('agent.typing'), conversationId, agent }).strict(),
  z.object({ type: z.literal('handoff.completed'), conversationId, note: z.string().max(2_000).optional() }).strict(),
]);

/** Longest webhook-id accepted on agent events. */
export const MAX_WEBHOOK_ID = 256;

export interface AgentEventsDeps {
  engine: Pick<Engine, 'agentEvent'>;
  /** AGENT_WEBHOOK_SECRET. */
  secret: string;
  maxBodyBytes: number;
  /** Files agents send back (agent.message with `attachment`); without it such events are refused. */
  files?: AgentFiles;
}

/**
 * POST /api/agent/events: what agents send back, signed like our own webhooks (Standard Webhooks, secret
 * AGENT_WEBHOOK_SECRET). The signature is checked on the raw body; a bad or missing signature or a timestamp
 * more than 5 minutes away is refused with 401, and nothing changes. The engine refuses an unknown conversation
 * (404), one not handed off to a person or an id seen before (409).
 */
export function agentEventsRoute(deps: AgentEventsDeps): Router {
  const r = Router();
  const webhook = new Webhook(deps.secret);
  r.post('/api/agent/events', express.raw({ type: () => true, limit: deps.maxBodyBytes }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const headers = {
      'webhook-id': String(req.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
    };
    // Stored with the event (replay protection): a sender's id, not a document (Standard Webhooks ids are short).
    if (headers['webhook-id'].length > MAX_WEBHOOK_ID)
      throw new AppError(
        'INVALID_WEBHOOK_ID',
        `webhook-id is ${headers['webhook-id'].length} characters long (at most ${MAX_WEBHOOK_ID})`,
        400,
      );
    try {
      webhook.verify(raw, headers, { jsonParse: false });
    } catch (e) {
      throw new AppError('BAD_SIGNATURE', `webhook rejected: ${(e as Error).message}`, 401);
    }
    // The webhook id is recorded in the same transaction as the event's effects: a replay is refused (409), and an
    // event that failed can be retried with the same id.
    await withFile(deps, parseEvent(raw), headers['webhook-id']);
    res.status(202).json({ accepted: true });
  });
  return r;
}

/** The event, with its file stored first (removed again if the event is refused: nothing stays of a refusal). */
async function withFile(deps: AgentEventsDeps, e: AgentEvent & { attachment?: AgentFile }, webhookId: string) {
  const { attachment, ...event } = e as AgentEvent & { attachment?: AgentFile };
  if (!attachment || event.type !== 'agent.message') return deps.engine.agentEvent(event, webhookId);
  if (!deps.files) throw new AppError('ATTACHMENTS_DISABLED', 'this server does not take files from agents', 400);
  const ref = await storeAgentFile(deps.files, event.conversationId, attachment);
  try {
    await deps.engine.agentEvent({ ...event, attachments: [ref] }, webhookId);
  } catch (err) {
    await deps.files.service.discard(event.conversationId, ref.id).catch(() => undefined);
    throw err;
  }
}

function parseEvent(raw: Buffer): AgentEvent & { attachment?: AgentFile } {
  let json: unknown;
  checkJsonDepth(raw);
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AppError('INVALID_JSON', 'request body is not valid JSON', 400);
  }
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success)
    throw new AppError(
      'INVALID_EVENT',
      `invalid agent event: ${parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ` : '') + i.message).join('; ')}`,
      400,
    );
  const e = parsed.data;
  if (e.type === 'agent.message' && !e.text && !e.attachment)
    throw new AppError(
      'INVALID_EVENT',
      'invalid agent event: text: an agent.message needs a text or an attachment',
      400,
    );
  return e as AgentEvent & { attachment?: AgentFile };
}

/**
 * The agents' channel: their inbound webhook (agents' replies reach customers through the customers' channels) and,
 * with `transcripts`, the signed transcript URLs of handoff.requested.
 */
export function createAgentsChannel(deps: AgentEventsDeps & { transcripts?: TranscriptRouteDeps }): Channel {
  return {
    name: 'agents',
    rawBody: agentEventsRoute(deps),
    ...(deps.transcripts ? { routes: transcriptRoute(deps.transcripts) } : {}),
    limited: { paths: ['/api/agent/events'], limit: 'agentEvents' },
  };
}
