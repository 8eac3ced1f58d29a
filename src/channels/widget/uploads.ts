import { Router } from 'express';
import type { AttachmentService } from '../../attachments/service';
import { AppError } from '../../domain/errors';
import type { AttachmentRef, Reply } from '../../domain/types';
import type { Engine } from '../../engine/engine';
import type { AttachmentLinks } from '../../handoff/attachmentLink';
import { tokenHash } from '../auth';
import { badUpload, readMultipart, sendAttachment } from '../attachments';
import type { TrafficLimits } from '../limits';
import { authorized, widgetToken } from './access';

export interface UploadDeps {
  engine: Pick<Engine, 'conversationFor' | 'handle'>;
  service: AttachmentService;
  /** Signed download URLs (handoff webhook): GET accepts them instead of the bearer token. */
  links?: AttachmentLinks;
  limits?: TrafficLimits;
  /** The longest `text` field (the widget's message limit). */
  maxTextChars?: number;
  now?: () => Date;
}

/** The bot's replies as POST messages returns them. */
export const replyBody = (replies: Reply[]) =>
  replies.map(({ text, suggestions, source }) => ({ text, ...(suggestions ? { suggestions } : {}), source }));

/**
 * The widget's files (README, "Attachments"): POST /api/conversations/:id/attachments (multipart/form-data, field
 * `file` and optional `text`) is a customer message carrying the file, answered like a posted text; GET
 * .../attachments/:attachmentId serves it with the conversation's token or a signed link. Mounted before the JSON
 * parser: the body is read here, as a stream, within its limits.
 */
export function uploadRoutes(deps: UploadDeps): Router {
  const r = Router();
  const now = deps.now ?? (() => new Date());
  const maxText = deps.maxTextChars ?? 2000;

  r.post('/api/conversations/:id/attachments', async (req, res) => {
    const id = String(req.params.id);
    // Refused before its body is read: a stranger's upload costs nothing.
    const hash = tokenHash(widgetToken(req));
    await deps.engine.conversationFor(id, hash);
    await deps.limits?.requireMessage(`${id}:${hash.slice(0, 16)}`);
    const { files, fields } = await readMultipart(req, {
      maxFileBytes: deps.service.limits.maxBytes,
      maxFiles: 1,
      maxFieldBytes: maxText * 4,
      maxFields: 1,
    });
    const file = files[0];
    const unknown = Object.keys(fields).find((f) => f !== 'text');
    if (unknown !== undefined) throw badUpload(`unexpected field "${unknown}" (expected "file" and optional "text")`);
    if (!file) throw badUpload('no file: send it in the multipart field "file"');
    if (file.field !== 'file') throw badUpload(`the file is in field "${file.field}", expected "file"`);
    const text = fields.text ?? '';
    if ([...text].length > maxText) throw badUpload(`text is longer than ${maxText} characters`);
    const ref = await deps.service.accept({
      conversationId: id,
      name: file.name,
      bytes: file.bytes,
      declaredType: file.mimeType,
    });
    const replies = await handleWith(deps, { id, hash, text, ref });
    res.status(201).json({ attachment: ref, replies: replyBody(replies) });
  });

  r.get('/api/conversations/:id/attachments/:attachmentId', async (req, res) => {
    const id = String(req.params.id);
    const attachmentId = String(req.params.attachmentId);
    const { expires, sig } = req.query;
    if (expires !== undefined || sig !== undefined) checkLink(deps.links, id, attachmentId, expires, sig, now());
    else await authorized(deps.engine, req);
    sendAttachment(res, await deps.service.read(id, attachmentId));
  });

  return r;
}

/** The upload as the customer's message; if it cannot be handled, the file goes (a refusal stores nothing). */
async function handleWith(
  deps: UploadDeps,
  m: { id: string; hash: string; text: string; ref: AttachmentRef },
): Promise<Reply[]> {
  try {
    return await deps.engine.handle({
      conversationId: m.id,
      channel: 'widget',
      tokenHash: m.hash,
      text: m.text,
      attachments: [m.ref],
    });
  } catch (err) {
    await deps.service.discard(m.id, m.ref.id).catch(() => undefined);
    throw err;
  }
}

function checkLink(
  links: AttachmentLinks | undefined,
  id: string,
  attachmentId: string,
  expires: unknown,
  sig: unknown,
  now: Date,
): void {
  const verdict = links ? links.check(id, attachmentId, expires, sig, now) : 'bad';
  if (verdict === 'bad')
    throw new AppError('BAD_SIGNATURE', 'download link refused: missing or wrong signature for this file', 403);
  if (verdict === 'expired')
    throw new AppError(
      'LINK_EXPIRED',
      `download link expired at ${new Date(Number(expires) * 1000).toISOString()}`,
      401,
    );
}
