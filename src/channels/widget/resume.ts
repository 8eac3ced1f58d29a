import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { AppError, parseBody } from '../../domain/errors';
import type { Engine } from '../../engine/engine';
import type { ResumeLinks } from '../../handoff/resumeLink';
import { tokenHash } from '../auth';
import type { TrafficLimits } from '../limits';

// What the mail's link carries besides the conversation id (a number in the URL, so a string or a number here).
const resumeBody = z
  .object({
    expires: z.union([z.string().max(12), z.number().int().nonnegative()]),
    sig: z.string().max(100),
  })
  .strict();
const HINT = 'expected {"expires": <unix seconds>, "sig": "..."} from the link';

/**
 * The way back from a mail's link on any device: a good signature gives the conversation a new widget token (the
 * old device's token stops working, engine.resumeConversation) and answers like the creation of a conversation.
 * Counted like new conversations; a refused link changes nothing.
 */
export function resumeRoutes(
  engine: Pick<Engine, 'resumeConversation'>,
  links: Pick<ResumeLinks, 'check'>,
  limits?: TrafficLimits,
  now: () => Date = () => new Date(),
): Router {
  const r = Router();
  r.post('/api/conversations/:id/resume', async (req, res) => {
    const body = parseBody(resumeBody, req.body, HINT);
    await limits?.newConversation(limits.ip(req));
    const id = String(req.params.id);
    const verdict = links.check(id, String(body.expires), body.sig, now());
    if (verdict === 'bad') throw new AppError('FORBIDDEN', `the link of conversation ${id} is not signed by us`, 403);
    if (verdict === 'expired')
      throw new AppError('LINK_EXPIRED', `the link of conversation ${id} expired at ${body.expires} (Unix s)`, 401);
    const token = randomBytes(24).toString('base64url');
    const state = await engine.resumeConversation(id, tokenHash(token));
    res.json({ conversationId: state.id, token, ...(state.lang ? { lang: state.lang } : {}) });
  });
  return r;
}
