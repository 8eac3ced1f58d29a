import { randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors';
import type { AttachmentRef } from '../domain/types';
import type { AttachmentStore, StoredAttachment } from '../storage/ports';
import { encode } from './encode';
import { inspect } from './inspect';
import { sanitizeName, withExtension } from './names';

export interface AttachmentLimits {
  /** One file as received (ATTACHMENT_MAX_BYTES). */
  maxBytes: number;
  /** Files per conversation (ATTACHMENTS_PER_CONVERSATION). */
  perConversation: number;
  /** Stored bytes per conversation (ATTACHMENT_BYTES_PER_CONVERSATION). */
  bytesPerConversation: number;
  maxPixels: number;
  maxSide: number;
}

/** A file as a channel received it (widget upload, Direct Line upload, Teams attachment, agent's file). */
export interface IncomingFile {
  conversationId: string;
  /** The name the sender gave (sanitized before it is stored). */
  name?: string;
  bytes: Buffer;
  /** The Content-Type the sender declared: it must agree with the content when it says something. */
  declaredType?: string;
}

export const tooLarge = (what: string, max: number) =>
  new AppError('ATTACHMENT_TOO_LARGE', `${what} is larger than ${max} bytes (ATTACHMENT_MAX_BYTES)`, 413);

const mib = (n: number) => `${Math.round((n / 1_048_576) * 10) / 10} MiB`;

/**
 * The one way a file enters the product: every channel calls `accept`, which checks the size, reads the type from
 * the bytes, re-encodes images without their metadata, and stores the file within the conversation's quota. A
 * refused file stores nothing and counts for nothing. `read` serves a stored file to whoever the channel authorised.
 */
export class AttachmentService {
  private readonly now: () => Date;

  constructor(
    private readonly store: AttachmentStore,
    readonly limits: AttachmentLimits,
    now?: () => Date,
  ) {
    this.now = now ?? (() => new Date());
  }

  async accept(file: IncomingFile): Promise<AttachmentRef> {
    const name = sanitizeName(file.name);
    if (file.bytes.length > this.limits.maxBytes) throw tooLarge(`"${name}"`, this.limits.maxBytes);
    if (file.bytes.length === 0) throw new AppError('EMPTY_FILE', `"${name}" is empty (0 bytes)`, 400);
    // Before the work of decoding: a conversation already at its quota is refused at once.
    await this.checkQuota(file.conversationId, 0);
    const kind = await inspect(file.bytes, name, file.declaredType);
    const out = await encode(file.bytes, kind, name, this.limits);
    const stored: StoredAttachment = {
      id: `att_${randomBytes(16).toString('base64url')}`,
      conversationId: file.conversationId,
      at: this.now().toISOString(),
      name: kind === 'heic' ? withExtension(name, out.ext) : name,
      contentType: out.contentType,
      size: out.bytes.length,
      bytes: out.bytes,
    };
    const verdict = await this.store.put(stored, {
      maxFiles: this.limits.perConversation,
      maxBytes: this.limits.bytesPerConversation,
    });
    if (verdict !== 'stored') throw this.quotaError(verdict);
    return { id: stored.id, name: stored.name, contentType: stored.contentType, size: stored.size };
  }

  /** The stored file, or 404 (also for another conversation's file id). */
  async read(conversationId: string, id: string): Promise<StoredAttachment> {
    const a = id.length <= 64 ? await this.store.get(conversationId, id) : undefined;
    if (!a) throw new AppError('ATTACHMENT_NOT_FOUND', `attachment "${id.slice(0, 64)}" not found`, 404);
    return a;
  }

  /** The references of the conversation's files (handoff webhook, export). */
  list(conversationId: string): Promise<AttachmentRef[]> {
    return this.store.list(conversationId);
  }

  /** Undo an accepted file whose message could not be written (the upload is refused as a whole). */
  async discard(conversationId: string, id: string): Promise<void> {
    await this.store.delete(conversationId, id);
  }

  private async checkQuota(conversationId: string, adding: number): Promise<void> {
    const used = await this.store.usage(conversationId);
    if (used.files + 1 > this.limits.perConversation) throw this.quotaError('files');
    if (used.bytes + adding > this.limits.bytesPerConversation) throw this.quotaError('bytes');
  }

  private quotaError(which: 'files' | 'bytes'): AppError {
    const l = this.limits;
    const message =
      which === 'files'
        ? `this conversation already has ${l.perConversation} files, the most it may hold (ATTACHMENTS_PER_CONVERSATION)`
        : `this file would take the conversation's files over ${mib(l.bytesPerConversation)} (ATTACHMENT_BYTES_PER_CONVERSATION)`;
    return new AppError('ATTACHMENT_QUOTA_EXCEEDED', message, 429);
  }
}
