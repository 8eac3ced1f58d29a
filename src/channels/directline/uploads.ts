import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { AppError } from '../../domain/errors';
import type { AttachmentRef } from '../../domain/types';
import { incomingOf, type ActivityJson } from '../activity';
import { requireBearer } from '../auth';
import { badUpload, readMultipart, sendAttachment, type UploadedFile } from '../attachments';
import { SLOW_DOWN } from '../limits';
import { activityBody } from './activities';
import { attachmentRoute, BASE, CHANNEL, type DirectLineContext, type DirectLineFiles } from './protocol';

/** The activity part of an upload is a small JSON document. */
const MAX_ACTIVITY_BYTES = 65_536;

/** Files in one upload (Web Chat lets a customer choose several at once). */
const MAX_FILES_PER_UPLOAD = 5;

/** Direct Line answers on other sites' pages: every answer of these routes may be read cross-origin. */
const crossOrigin = (res: Response) => res.setHeader('access-control-allow-origin', '*');

/**
 * The activity of an upload: the part named "activity" (Web Chat sends it as a Blob of type
 * application/vnd.microsoft.activity, so it arrives as a file part; a plain field is accepted too).
 */
function activityOf(files: UploadedFile[], fields: Record<string, string>): ActivityJson {
  const part = files.find((f) => f.field === 'activity');
  const raw = part ? part.bytes.toString('utf8') : fields.activity;
  if (raw === undefined) return { type: 'message' };
  if (Buffer.byteLength(raw) > MAX_ACTIVITY_BYTES)
    throw badUpload(`the activity part is larger than ${MAX_ACTIVITY_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw badUpload('the activity part is not JSON');
  }
  const parsed = activityBody.safeParse(json);
  if (!parsed.success) throw badUpload(`the activity part: ${parsed.error.issues[0]?.message ?? 'not an activity'}`);
  if (parsed.data.type !== 'message') throw badUpload(`the activity is of type "${parsed.data.type}", not "message"`);
  return parsed.data as ActivityJson;
}

/** Every file through the attachments service; one refused undoes the others (the upload stores nothing). */
async function acceptAll(files: DirectLineFiles, conversationId: string, parts: UploadedFile[]) {
  const refs: AttachmentRef[] = [];
  try {
    for (const f of parts)
      refs.push(await files.service.accept({ conversationId, name: f.name, bytes: f.bytes, declaredType: f.mimeType }));
    return refs;
  } catch (err) {
    await discardAll(files, conversationId, refs);
    throw err;
  }
}

const discardAll = (files: DirectLineFiles, conversationId: string, refs: AttachmentRef[]) =>
  Promise.all(refs.map((r) => files.service.discard(conversationId, r.id).catch(() => undefined)));

/**
 * POST /v3/directline/conversations/:id/upload as Web Chat sends a message with files (botframework-directlinejs
 * postMessageWithAttachments): multipart with the activity and one part per file, the Direct Line token, answered
 * `{"id"}`. The files pass the same checks as the widget's (413, 415, 429); the activity is a customer message
 * carrying them. GET .../attachments/:attachmentId serves a file to the signed URL put on activities. Mounted
 * before the JSON parser: the body is read here as a stream.
 */
export function uploadRoutes(ctx: DirectLineContext, files: DirectLineFiles): Router {
  const r = Router();
  r.post(`${BASE}/conversations/:id/upload`, async (req, res) => {
    crossOrigin(res);
    const claims = ctx.tokens.check(requireBearer(req.headers.authorization), String(req.params.id));
    const conv = claims.conv;
    // Refused before the body is read: a message over the rate costs no decoding.
    await ctx.limits?.requireMessage(conv, () => ctx.engine.notice(conv, SLOW_DOWN));
    const body = await readMultipart(req, {
      maxFileBytes: files.service.limits.maxBytes,
      // The activity part and at most 5 files (the body is buffered: its bound is maxFiles x ATTACHMENT_MAX_BYTES).
      maxFiles: Math.min(files.service.limits.perConversation, MAX_FILES_PER_UPLOAD) + 1,
      maxFieldBytes: MAX_ACTIVITY_BYTES,
      maxFields: 1,
    });
    const activity = activityOf(body.files, body.fields);
    const parts = body.files.filter((f) => f.field !== 'activity');
    if (!parts.length) throw badUpload('no file: send each file as a part besides "activity"');
    const clientId = String(activity.channelData?.clientActivityID ?? `srv-${randomBytes(9).toString('base64url')}`);
    const seen = await ctx.engine.customerMessage(conv, clientId);
    if (seen) {
      res.json({ id: String(seen.id) });
      return;
    }
    const refs = await acceptAll(files, conv, parts);
    const incoming = incomingOf(activity);
    const text = incoming && 'text' in incoming ? incoming.text : '';
    try {
      await ctx.engine.handle({ conversationId: conv, channel: CHANNEL, text, attachments: refs, clientId });
    } catch (err) {
      await discardAll(files, conv, refs);
      throw err;
    }
    const stored = await ctx.engine.customerMessage(conv, clientId);
    res.json({ id: stored ? String(stored.id) : clientId });
  });

  r.get(attachmentRoute, async (req: Request, res: Response) => {
    crossOrigin(res);
    const id = String(req.params.id);
    const attachmentId = String(req.params.attachmentId);
    const verdict = files.links.check(id, attachmentId, req.query.expires, req.query.sig, ctx.now?.() ?? new Date());
    if (verdict === 'bad')
      throw new AppError('BAD_SIGNATURE', 'download link refused: missing or wrong signature for this file', 403);
    if (verdict === 'expired') throw new AppError('LINK_EXPIRED', 'download link expired', 401);
    const file = await files.service.read(id, attachmentId);
    // Web Chat on another site's page shows the image with <img>: allowed despite the default same-origin CORP.
    res.setHeader('cross-origin-resource-policy', 'cross-origin');
    sendAttachment(res, file);
  });
  return r;
}
