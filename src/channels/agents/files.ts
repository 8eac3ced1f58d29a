import { z } from 'zod';
import type { AttachmentService } from '../../attachments/service';
import { AppError } from '../../domain/errors';
import type { AttachmentRef } from '../../domain/types';
import { fetchFile } from '../fetchFile';

/**
 * A file an agent sends back: a URL the server fetches (any size up to ATTACHMENT_MAX_BYTES), or the bytes in base64
 * with a name (small files: the event's body stays within MAX_BODY_BYTES like every agent event).
 */
export const agentFile = z.union([
  z.object({ url: z.string().min(1).max(2000), name: z.string().max(300).optional() }).strict(),
  z
    .object({
      data: z
        .string()
        .min(1)
        .regex(/^[A-Za-z0-9+/_-]+=*$/, { message: 'data must be base64' }),
      name: z.string().min(1).max(300),
      contentType: z.string().max(100).optional(),
    })
    .strict(),
]);
export type AgentFile = z.infer<typeof agentFile>;

export interface AgentFiles {
  service: AttachmentService;
  /** How long the fetch of a file URL may take. */
  fetchTimeoutMs?: number;
}

/** The agent's file checked and stored like a customer's (same types, sizes and quota): its reference. */
export async function storeAgentFile(files: AgentFiles, conversationId: string, f: AgentFile): Promise<AttachmentRef> {
  const max = files.service.limits.maxBytes;
  if ('url' in f) {
    const got = await fetchFile(f.url, { maxBytes: max, timeoutMs: files.fetchTimeoutMs ?? 10_000 });
    return files.service.accept({
      conversationId,
      name: f.name ?? got.name,
      bytes: got.bytes,
      ...(got.contentType ? { declaredType: got.contentType } : {}),
    });
  }
  // Decoded size known before decoding: a too-large file is refused without allocating it.
  if (Math.floor((f.data.length * 3) / 4) > max + 2)
    throw new AppError('ATTACHMENT_TOO_LARGE', `"${f.name}" is larger than ${max} bytes (ATTACHMENT_MAX_BYTES)`, 413);
  return files.service.accept({
    conversationId,
    name: f.name,
    bytes: Buffer.from(f.data, 'base64'),
    ...(f.contentType ? { declaredType: f.contentType } : {}),
  });
}
