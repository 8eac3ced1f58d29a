import type { Request } from 'express';
import type { Engine } from '../../engine/engine';
import { requireBearer, tokenHash } from '../auth';

/** The bearer token of a widget request. EventSource cannot send headers: the event stream also takes ?token=. */
export function widgetToken(req: Request, allowQuery = false): string {
  const q = req.query.token;
  return requireBearer(req.headers.authorization, allowQuery && typeof q === 'string' ? q : undefined);
}

/**
 * The conversation of the request, if the bearer token is its own (a read of the conversation: for requests that
 * do not go through engine.handle, which checks the token itself). Unknown conversation and wrong token get the
 * same answer: do not reveal which conversations exist.
 */
export async function authorized(engine: Pick<Engine, 'conversationFor'>, req: Request, allowQuery = false) {
  const token = widgetToken(req, allowQuery);
  const id = String(req.params.id);
  await engine.conversationFor(id, tokenHash(token));
  return id;
}
