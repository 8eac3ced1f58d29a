import { DESK_NOTES_PREFIX, deskNotesKey, parseDeskNotes } from '../../domain/desk';
import { sql, type Expression, type SqlBool } from 'kysely';
import { handoffFromEvent, type HandoffState } from '../../domain/handoff';
import { chatwootBackKeyOf, chatwootLinkKey, conversationSettingKeys, handoffIdOf } from '../../domain/settings';
import { ERASED_EVENT, type ConversationData, type ErasureCounts, type NewPrivacyAudit } from '../../domain/privacy';
import type { PrivacyAudit, PrivacyAction } from '../../domain/privacy';
import type { PrivacySearch, PrivacyStore } from '../ports';
import { SqlAttachments } from './attachments';
import { SqlChannelRefs } from './channels';
import { decodeConversation, decodeMessage } from './codec';
import { SqlOutbox, queueEvents } from './outbox';
import type { Db, SqlContext } from './tables';

/** `%needle%` for LIKE, with LIKE's own wildcards escaped (searched text is lower-cased on both sides). */
const contains = (needle: string) => `%${needle.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** `column` lower-cased, or also without the separators of phone numbers (space . - / ( )). */
function searchable(column: string, digits: boolean) {
  let e = sql`lower(${sql.ref(column)})`;
  if (digits) for (const sep of [' ', '.', '-', '/', '(', ')']) e = sql`replace(${e}, ${sep}, '')`;
  return e;
}

/** `column` contains one of the needles (or of the digit strings once separators are removed). */
function matches(column: string, q: PrivacySearch): Expression<SqlBool> {
  const terms = [
    ...q.needles.map((n) => sql<SqlBool>`${searchable(column, false)} like ${contains(n)} escape '\\'`),
    ...q.digits.map((d) => sql<SqlBool>`${searchable(column, true)} like ${contains(d)} escape '\\'`),
  ];
  return terms.length ? sql<SqlBool>`(${sql.join(terms, sql` or `)})` : sql<SqlBool>`1 = 0`;
}

/** A customer's data in SQL: search, export, erasure, retention, audit (PrivacyStore). */
export class SqlPrivacy implements PrivacyStore {
  constructor(private readonly ctx: SqlContext) {}

  async searchConversations(q: PrivacySearch): Promise<string[]> {
    const db = this.ctx.db;
    const ids = new Set<string>();
    const live = (id: string) => ids.add(id);
    for (const r of await db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select('messages.conversation_id as id')
      .distinct()
      .where('conversations.erased_at', 'is', null)
      .where(matches('messages.text', q))
      .execute())
      live(r.id);
    for (const r of await db
      .selectFrom('conversations')
      .select('id')
      .where('erased_at', 'is', null)
      .where(matches('dialog', q))
      .execute())
      live(r.id);
    for (const r of await db
      .selectFrom('outbox')
      .select('conversation_id as id')
      .distinct()
      .where(matches('body', q))
      .execute())
      live(r.id);
    // The desk's internal notes (settings keyed by conversation; an erased conversation has none left).
    const noted = await db
      .selectFrom('settings')
      .select('key')
      .where('key', 'like', `${DESK_NOTES_PREFIX}%`)
      .where(matches('value', q))
      .execute();
    const notedIds = noted.map((r) => r.key.slice(DESK_NOTES_PREFIX.length));
    if (notedIds.length)
      for (const r of await db
        .selectFrom('conversations')
        .select('id')
        .where('id', 'in', notedIds)
        .where('erased_at', 'is', null)
        .execute())
        live(r.id);
    return [...ids].sort();
  }

  async conversationData(id: string): Promise<ConversationData | undefined> {
    const db = this.ctx.db;
    const row = await db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', id)
      .where('erased_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    const messages = await db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', id)
      .orderBy('id')
      .execute();
    const events = await new SqlOutbox(this.ctx).events(id);
    const channelRef = await new SqlChannelRefs(this.ctx).channelRef(id);
    const attachments = await new SqlAttachments(this.ctx).list(id);
    const notes = await db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', deskNotesKey(id))
      .executeTakeFirst();
    return {
      attachments,
      notes: parseDeskNotes(notes?.value),
      state: decodeConversation(row),
      messages: messages.map(decodeMessage),
      events,
      ...(channelRef ? { channelRef } : {}),
    };
  }

  async eraseConversation(id: string, at: Date): Promise<ErasureCounts | undefined> {
    return this.ctx.transaction(async (trx) => {
      const row = await trx
        .selectFrom('conversations')
        .select(['dialog', 'handoff'])
        .where('id', '=', id)
        .where('erased_at', 'is', null)
        .$if(this.ctx.postgres, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) return undefined;
      // The figures keep counting the conversation (messages, times, reply kinds): the rows stay, their text goes.
      const messages = await trx
        .updateTable('messages')
        .set({ text: '', suggestions: null, client_id: null, attachments: null })
        .where('conversation_id', '=', id)
        .executeTakeFirst();
      const handoffs = await trx
        .selectFrom('outbox')
        .select('body')
        .where('conversation_id', '=', id)
        .where('type', '=', 'handoff.requested')
        .where('target', '=', 'webhook')
        .orderBy('seq')
        .execute();
      await eraseSettings(trx, id, row.handoff);
      const dead = await trx
        .deleteFrom('outbox')
        .where('conversation_id', '=', id)
        .where('status', '=', 'dead')
        .executeTakeFirst();
      const events = await trx.deleteFrom('outbox').where('conversation_id', '=', id).executeTakeFirst();
      const refs = await trx.deleteFrom('channel_refs').where('conversation_id', '=', id).executeTakeFirst();
      const files = await trx.deleteFrom('attachments').where('conversation_id', '=', id).executeTakeFirst();
      await trx
        .updateTable('conversations')
        .set({
          erased_at: at.toISOString(),
          erased_handoffs: JSON.stringify(handoffs.flatMap((h) => handoffFromEvent(h.body) ?? [])),
          token_hash: null,
          dialog: null,
          handoff: null,
          handoff_status: null,
          handoff_queue: null,
          handoff_requested_at: null,
          offered: null,
          email: null,
          awaiting_csat: this.ctx.postgres ? false : 0,
        })
        .where('id', '=', id)
        .execute();
      await queueEvents(trx, id, [{ type: ERASED_EVENT, data: {} }]);
      return {
        messages: Number(messages.numUpdatedRows),
        outboxEvents: Number(events.numDeletedRows),
        deadLetters: Number(dead.numDeletedRows),
        channelRefs: Number(refs.numDeletedRows),
        dialogStates: row.dialog === null ? 0 : 1,
        attachments: Number(files.numDeletedRows),
      };
    });
  }

  async inactiveConversations(before: string, limit: number): Promise<string[]> {
    const rows = await this.ctx.db
      .selectFrom('conversations as c')
      .select('c.id')
      .where('c.erased_at', 'is', null)
      .where('c.updated_at', '<', before)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('messages as m')
              .select('m.id')
              .whereRef('m.conversation_id', '=', 'c.id')
              .where('m.at', '>=', before),
          ),
        ),
      )
      .orderBy('c.updated_at')
      .orderBy('c.id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async stripDelivered(before: string, strip: (body: string) => string | undefined): Promise<number> {
    const rows = await this.ctx.db
      .selectFrom('outbox')
      .select(['id', 'body'])
      .where('status', '=', 'delivered')
      .where('delivered_at', '<', before)
      .where('stripped_at', 'is', null)
      .orderBy('id')
      .execute();
    const now = new Date().toISOString();
    let n = 0;
    for (const r of rows) {
      const body = strip(r.body);
      await this.ctx.db
        .updateTable('outbox')
        .set({ stripped_at: now, ...(body === undefined ? {} : { body }) })
        .where('id', '=', r.id)
        .execute();
      if (body !== undefined) n++;
    }
    return n;
  }

  async compact(): Promise<void> {
    if (this.ctx.postgres) {
      // Dead row versions are removed from the tables' pages (a plain VACUUM: no exclusive lock).
      await sql`vacuum messages, outbox, conversations, channel_refs, attachments, settings`.execute(this.ctx.db);
      return;
    }
    // secure_delete (set at connect) zeroes what is deleted; the WAL still holds the pages written before the
    // erasure: copy it into the database and empty it, rebuild the file (free pages), and empty the WAL again.
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(this.ctx.db);
    await sql`vacuum`.execute(this.ctx.db);
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(this.ctx.db);
  }

  async appendPrivacyAudit(e: NewPrivacyAudit): Promise<PrivacyAudit> {
    const { id } = await this.ctx.db
      .insertInto('privacy_audit')
      .values({
        at: e.at,
        user_name: e.by,
        action: e.action,
        conversation_ids: JSON.stringify(e.conversationIds),
        counts: JSON.stringify(e.counts),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ...structuredClone(e), id: Number(id) };
  }

  async listPrivacyAudit(limit: number): Promise<PrivacyAudit[]> {
    const rows = await this.ctx.db.selectFrom('privacy_audit').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      by: r.user_name,
      action: r.action as PrivacyAction,
      conversationIds: JSON.parse(r.conversation_ids) as string[],
      counts: JSON.parse(r.counts) as Record<string, number>,
    }));
  }
}

/**
 * Deletes every setting keyed by the erased conversation (before its events go: they name its handoffs, whose desk
 * claims are keyed by them): notes, mail thread, welcome, queue told, the Chatwoot link and its way back while that
 * still names this conversation.
 */
async function eraseSettings(trx: Db, id: string, handoff: string | null): Promise<void> {
  const bodies = await trx.selectFrom('outbox').select('body').where('conversation_id', '=', id).execute();
  const handoffIds = bodies.flatMap((b) => handoffIdOf(b.body) ?? []);
  if (handoff) handoffIds.push((JSON.parse(handoff) as HandoffState).id);
  const link = await trx
    .selectFrom('settings')
    .select('value')
    .where('key', '=', chatwootLinkKey(id))
    .executeTakeFirst();
  const back = chatwootBackKeyOf(link?.value);
  if (back) await trx.deleteFrom('settings').where('key', '=', back).where('value', '=', id).execute();
  await trx.deleteFrom('settings').where('key', 'in', conversationSettingKeys(id, handoffIds)).execute();
}
