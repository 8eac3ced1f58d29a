import type { AttachmentRef } from '../domain/types';
import {
  conversationNotFound,
  type AttachmentQuota,
  type AttachmentStore,
  type AttachmentUsage,
  type StoredAttachment,
} from './ports';

const refOf = ({ id, name, contentType, size }: StoredAttachment): AttachmentRef => ({ id, name, contentType, size });
const copy = (a: StoredAttachment): StoredAttachment => ({ ...a, bytes: Buffer.from(a.bytes) });

/** Files in memory (tests, terminal chat), with the same contract as the SQL table. */
export class MemoryAttachments implements AttachmentStore {
  private readonly files: StoredAttachment[] = [];

  /** `live`: whether the conversation exists and is not erased (the SQL foreign key and erased_at). */
  constructor(private readonly live: (conversationId: string) => boolean) {}

  async put(a: StoredAttachment, quota: AttachmentQuota): Promise<'stored' | 'files' | 'bytes'> {
    if (!this.live(a.conversationId)) throw conversationNotFound(a.conversationId);
    // Checked and pushed with no await between: concurrent puts cannot both pass, as in the SQL transaction.
    const used = this.used(a.conversationId);
    if (used.files + 1 > quota.maxFiles) return 'files';
    if (used.bytes + a.size > quota.maxBytes) return 'bytes';
    this.files.push(copy(a));
    return 'stored';
  }

  async get(conversationId: string, id: string): Promise<StoredAttachment | undefined> {
    const a = this.files.find((f) => f.id === id && f.conversationId === conversationId);
    return a && copy(a);
  }

  async list(conversationId: string): Promise<AttachmentRef[]> {
    return this.files.filter((f) => f.conversationId === conversationId).map(refOf);
  }

  async usage(conversationId: string): Promise<AttachmentUsage> {
    return this.used(conversationId);
  }

  private used(conversationId: string): AttachmentUsage {
    const mine = this.files.filter((f) => f.conversationId === conversationId);
    return { files: mine.length, bytes: mine.reduce((n, f) => n + f.size, 0) };
  }

  async delete(conversationId: string, id: string): Promise<boolean> {
    const i = this.files.findIndex((f) => f.id === id && f.conversationId === conversationId);
    if (i >= 0) this.files.splice(i, 1);
    return i >= 0;
  }

  /** Every file of the conversation (its erasure); how many. */
  eraseAll(conversationId: string): number {
    const before = this.files.length;
    this.files.splice(0, before, ...this.files.filter((f) => f.conversationId !== conversationId));
    return before - this.files.length;
  }
}
