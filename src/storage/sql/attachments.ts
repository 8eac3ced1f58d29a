import type { Selectable } from 'kysely';
import type { AttachmentRef } from '../../domain/types';
import {
  conversationNotFound,
  type AttachmentQuota,
  type AttachmentStore,
  type AttachmentUsage,
  type StoredAttachment,
} from '../ports';
import type { AttachmentsTable, Db, SqlContext } from './tables';

const ref = (r: Pick<Selectable<AttachmentsTable>, 'id' | 'name' | 'content_type' | 'size'>): AttachmentRef => ({
  id: r.id,
  name: r.name,
  contentType: r.content_type,
  size: Number(r.size),
});

async function usageIn(db: Db, conversationId: string): Promise<AttachmentUsage> {
  const row = await db
    .selectFrom('attachments')
    .select((e) => [e.fn.countAll().as('files'), e.fn.coalesce(e.fn.sum('size'), e.lit(0)).as('bytes')])
    .where('conversation_id', '=', conversationId)
    .executeTakeFirst();
  return { files: Number(row?.files ?? 0), bytes: Number(row?.bytes ?? 0) };
}

/** Files in the database (SQLite BLOB, PostgreSQL bytea): every instance serves them. */
export class SqlAttachments implements AttachmentStore {
  constructor(private readonly ctx: SqlContext) {}

  put(a: StoredAttachment, quota: AttachmentQuota): Promise<'stored' | 'files' | 'bytes'> {
    return this.ctx.transaction(async (trx) => {
      // The conversation's row lock (PostgreSQL) serializes its uploads: the quota is checked against committed
      // files only. SQLite writes are serialized anyway.
      const found = await trx
        .selectFrom('conversations')
        .select('id')
        .where('id', '=', a.conversationId)
        .where('erased_at', 'is', null)
        .$if(this.ctx.postgres, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!found) throw conversationNotFound(a.conversationId);
      const used = await usageIn(trx, a.conversationId);
      if (used.files + 1 > quota.maxFiles) return 'files';
      if (used.bytes + a.size > quota.maxBytes) return 'bytes';
      await trx
        .insertInto('attachments')
        .values({
          id: a.id,
          conversation_id: a.conversationId,
          at: a.at,
          name: a.name,
          content_type: a.contentType,
          size: a.size,
          bytes: a.bytes,
        })
        .execute();
      return 'stored';
    });
  }

  async get(conversationId: string, id: string): Promise<StoredAttachment | undefined> {
    const r = await this.ctx.db
      .selectFrom('attachments')
      .selectAll()
      .where('id', '=', id)
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst();
    return r && { ...ref(r), conversationId: r.conversation_id, at: r.at, bytes: Buffer.from(r.bytes) };
  }

  async list(conversationId: string): Promise<AttachmentRef[]> {
    const rows = await this.ctx.db
      .selectFrom('attachments')
      .select(['id', 'name', 'content_type', 'size'])
      .where('conversation_id', '=', conversationId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map(ref);
  }

  usage(conversationId: string): Promise<AttachmentUsage> {
    return usageIn(this.ctx.db, conversationId);
  }

  async delete(conversationId: string, id: string): Promise<boolean> {
    const r = await this.ctx.db
      .deleteFrom('attachments')
      .where('id', '=', id)
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
