import { Router } from 'express';
import { AppError } from '../../domain/errors';
import type { Engine } from '../../engine/engine';
import { TRANSCRIPT_PATH, type TranscriptLinks } from '../../handoff/transcriptLink';
import { pageRequest, readPage } from '../paging';

export interface TranscriptRouteDeps {
  engine: Pick<Engine, 'getConversation' | 'messagesPage' | 'messageCount'>;
  links: TranscriptLinks;
  now?: () => Date;
}

/**
 * GET /api/handoff/transcripts/:id?expires=&signature=: the whole transcript of a handed-off conversation for the
 * receiver of handoff.requested (its `transcriptUrl`), paged like GET messages (limit, after, before) with the URL
 * of the next page. A wrong or missing signature is a 403, an expired link a 401; nothing else opens it.
 */
export function transcriptRoute(deps: TranscriptRouteDeps): Router {
  const r = Router();
  const now = deps.now ?? (() => new Date());
  r.get(`${TRANSCRIPT_PATH}/:id`, async (req, res) => {
    const id = String(req.params.id);
    const { expires, signature } = req.query;
    const verdict = deps.links.check(id, expires, signature, now());
    if (verdict === 'bad')
      throw new AppError(
        'BAD_SIGNATURE',
        'transcript link refused: missing or wrong signature for this conversation',
        403,
      );
    if (verdict === 'expired')
      throw new AppError(
        'LINK_EXPIRED',
        `transcript link expired at ${new Date(Number(expires) * 1000).toISOString()}`,
        401,
      );
    const p = pageRequest(req.query);
    if (!(await deps.engine.getConversation(id)))
      throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${id}" not found`, 404);
    const page = await readPage((q) => deps.engine.messagesPage(id, q), p);
    const grant = { expires: Number(expires), signature: String(signature) };
    const nextUrl = page.next
      ? deps.links.urlOf(id, grant, {
          limit: String(p.limit),
          ...Object.fromEntries(Object.entries(page.next).map(([k, v]) => [k, String(v)])),
        })
      : null;
    res.setHeader('cache-control', 'no-store');
    res.json({
      conversationId: id,
      total: await deps.engine.messageCount(id),
      messages: page.messages.map(({ conversationId: _c, ...m }) => m),
      hasMore: page.hasMore,
      next: page.next,
      nextUrl,
    });
  });
  return r;
}
