import { randomBytes } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError, parseBody } from '../../domain/errors';
import type { Lang } from '../../domain/types';
import { bearerToken, sameSecret } from '../../server/auth';
import { requireBearer } from '../auth';
import { langOfLocale } from '../locale';
import { BASE, CHANNEL, existing, watermarkOf, type DirectLineContext } from './protocol';

const startBody = z.object({
  user: z.object({ id: z.string().max(128).optional(), name: z.string().max(200).optional() }).optional(),
  locale: z.string().max(35).optional(),
});
// User ids embedded in tokens start with dl_ (Web Chat refuses such ids when they do not come from a token).
const TRUSTED_USER = /^dl_[A-Za-z0-9._:-]{1,120}$/;
const newUser = () => `dl_${randomBytes(12).toString('base64url')}`;

/** The WebSocket URL of a conversation, with a stream token (a conversation token cannot open it). */
function streamUrl(ctx: DirectLineContext, req: Request, conversationId: string, user: string, watermark?: number) {
  const scheme = req.protocol === 'https' ? 'wss' : 'ws';
  const { token } = ctx.tokens.issue(conversationId, user, 'stream');
  const w = watermark ? `watermark=${watermark}&` : '';
  return `${scheme}://${req.get('host')}${BASE}/conversations/${encodeURIComponent(conversationId)}/stream?${w}t=${token}`;
}

/** A new conversation, greeted in its language. */
async function start(ctx: DirectLineContext, lang: Lang | undefined): Promise<string> {
  const state = await ctx.engine.createConversation({ channel: CHANNEL, ...(lang ? { lang } : {}) });
  await ctx.engine.welcome(state.id, lang ?? ctx.defaultLang);
  return state.id;
}

/**
 * Tokens and conversations: a site's backend generates a token, Web Chat starts (or resumes) the conversation it
 * names, refreshes the token before it expires, and asks for a new stream URL to reconnect after a watermark.
 */
export function conversationRoutes(ctx: DirectLineContext, secret: string | undefined): Router {
  const { tokens } = ctx;
  const isSecret = (given: string | undefined) => !!(secret && given && sameSecret(given, secret));
  const r = Router();

  // Server-to-server: a site's backend asks for a token (with DIRECTLINE_SECRET when set) and gives it to its page.
  r.post(`${BASE}/tokens/generate`, async (req, res) => {
    if (secret && !isSecret(bearerToken(req.headers.authorization)))
      throw new AppError('UNAUTHORIZED', 'tokens/generate needs "Authorization: Bearer <DIRECTLINE_SECRET>"', 401);
    const body = parseBody(startBody, req.body);
    // A user id is trusted only from a backend that proved it holds the secret.
    const asked = body.user?.id;
    if (asked !== undefined && !(secret && TRUSTED_USER.test(asked)))
      throw new AppError(
        'INVALID_BODY',
        `user.id "${asked}" is accepted only with DIRECTLINE_SECRET, and must match ${TRUSTED_USER}`,
        400,
      );
    const user = asked ?? newUser();
    // A site's backend holding the secret starts conversations for all its visitors: only strangers are counted.
    if (!secret) await ctx.limits?.newConversation(ctx.limits.ip(req));
    const conversationId = await start(ctx, langOfLocale(body.locale));
    const { token, expiresIn } = tokens.issue(conversationId, user);
    res.json({ conversationId, token, expires_in: expiresIn });
  });

  // Start a conversation: the one a token was generated for (what Web Chat does with a token), or a new one.
  r.post(`${BASE}/conversations`, async (req, res) => {
    const given = bearerToken(req.headers.authorization);
    const body = parseBody(startBody, req.body);
    if (given && !isSecret(given)) {
      const claims = tokens.verify(given);
      await existing(ctx, claims.conv);
      res.json({
        conversationId: claims.conv,
        token: given,
        expires_in: tokens.secondsLeft(claims),
        streamUrl: streamUrl(ctx, req, claims.conv, claims.user),
      });
      return;
    }
    const user = newUser();
    if (!isSecret(given)) await ctx.limits?.newConversation(ctx.limits.ip(req));
    const conversationId = await start(ctx, langOfLocale(body.locale));
    const { token, expiresIn } = tokens.issue(conversationId, user);
    res
      .status(201)
      .json({ conversationId, token, expires_in: expiresIn, streamUrl: streamUrl(ctx, req, conversationId, user) });
  });

  r.post(`${BASE}/tokens/refresh`, async (req, res) => {
    const claims = tokens.verify(requireBearer(req.headers.authorization));
    await existing(ctx, claims.conv);
    const { token, expiresIn } = tokens.refresh(claims);
    res.json({ conversationId: claims.conv, token, expires_in: expiresIn });
  });

  // Reconnect: a new stream URL that resumes after the watermark.
  r.get(`${BASE}/conversations/:id`, async (req, res) => {
    const token = requireBearer(req.headers.authorization);
    const claims = tokens.check(token, String(req.params.id));
    await existing(ctx, claims.conv);
    const watermark = watermarkOf(req.query.watermark);
    res.json({
      conversationId: claims.conv,
      token,
      expires_in: tokens.secondsLeft(claims),
      streamUrl: streamUrl(ctx, req, claims.conv, claims.user, watermark),
    });
  });

  return r;
}
