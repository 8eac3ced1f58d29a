import { randomBytes } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { incomingOf, type ActivityJson } from '../activity';
import { parseBodyAfter, requireBearer } from '../auth';
import { SLOW_DOWN } from '../limits';
import { activitiesOf, BASE, CHANNEL, existing, watermarkOf, type DirectLineContext } from './protocol';

/** A posted activity (also the activity part of an upload). */
export const activityBody = z.object({
  type: z.string().min(1).max(64),
  text: z.string().max(20_000, { message: 'text is longer than 20000 characters' }).optional(),
  value: z.unknown().optional(),
  channelData: z.looseObject({ clientActivityID: z.string().min(1).max(200).optional() }).optional(),
  entities: z
    .array(z.looseObject({ type: z.string().max(100) }))
    .max(50)
    .optional(),
});

/** The claims of the request's token for the conversation in the path (401 without or with a bad one, 403 for another's). */
const claimsOf = (ctx: DirectLineContext, req: Request) =>
  ctx.tokens.check(requireBearer(req.headers.authorization), String(req.params.id));

/** Post an activity (a customer's message reaches the engine) and get activities after a watermark (polling, history). */
export function activityRoutes(ctx: DirectLineContext): Router {
  const { engine } = ctx;
  const r = Router();

  r.post(`${BASE}/conversations/:id/activities`, async (req, res) => {
    const claims = claimsOf(ctx, req);
    const known = () => existing(ctx, claims.conv);
    const activity = await parseBodyAfter(known, activityBody, req.body);
    const clientId = activity.channelData?.clientActivityID ?? `srv-${randomBytes(9).toString('base64url')}`;
    // Only messages reach the engine; typing indicators and events are acknowledged and dropped.
    if (activity.type !== 'message') {
      await known();
      res.json({ id: clientId });
      return;
    }
    // The same activity posted again (a client's retry): answered once, acknowledged with the same id.
    const seen = await engine.customerMessage(claims.conv, clientId);
    if (seen) {
      res.json({ id: String(seen.id) });
      return;
    }
    // Web Chat marks a refused message "Send failed. Retry": the reason is said in the conversation (once a window).
    await ctx.limits?.requireMessage(claims.conv, () => engine.notice(claims.conv, SLOW_DOWN));
    const incoming = incomingOf(activity as ActivityJson) ?? { text: '' };
    // The engine reads the conversation for the turn (404 for one that is gone, with the same message).
    await engine.handle({ conversationId: claims.conv, channel: CHANNEL, ...incoming, clientId });
    const stored = await engine.customerMessage(claims.conv, clientId);
    res.json({ id: stored ? String(stored.id) : clientId });
  });

  // Polling clients (webSocket: false) and history: activities after the watermark, a page at a time.
  r.get(`${BASE}/conversations/:id/activities`, async (req, res) => {
    const claims = claimsOf(ctx, req);
    const lang = (await existing(ctx, claims.conv)).lang ?? ctx.defaultLang;
    const after = watermarkOf(req.query.watermark);
    // One page: the client polls again from the returned watermark for the rest.
    const records = await engine.messagesPage(claims.conv, { after, limit: ctx.pageSize });
    const last = records.length ? records[records.length - 1]!.id : after;
    res.json({ activities: activitiesOf(ctx, records, claims.conv, claims.user, lang), watermark: String(last) });
  });

  return r;
}
