import type { Insertable, Selectable } from 'kysely';
import type { ChannelRef } from '../../domain/conversation';
import { conversationNotFound, type ChannelRefStore } from '../ports';
import { isForeignKeyViolation, isUniqueViolation } from './driverErrors';
import type { ChannelRefsTable, SqlContext } from './tables';

/** Conversation references of the Bot Framework channel. */
export class SqlChannelRefs implements ChannelRefStore {
  constructor(private readonly ctx: SqlContext) {}

  async linkChannel(ref: ChannelRef): Promise<ChannelRef> {
    const row = encodeRef(ref);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.channelRefByExternal(ref.channelId, ref.conversation.id);
      if (existing) {
        const { conversation_id: _c, channel_id: _ch, external_id: _e, ...changes } = row;
        await this.ctx.db
          .updateTable('channel_refs')
          .set(changes)
          .where('conversation_id', '=', existing.conversationId)
          .execute();
        return { ...ref, conversationId: existing.conversationId };
      }
      try {
        await this.ctx.db.insertInto('channel_refs').values(row).execute();
        return ref;
      } catch (err) {
        if (isForeignKeyViolation(err)) throw conversationNotFound(ref.conversationId);
        // Another instance linked the same channel conversation meanwhile: use its conversation.
        if (!isUniqueViolation(err) || attempt > 0) throw err;
      }
    }
  }

  async channelRef(conversationId: string): Promise<ChannelRef | undefined> {
    const r = await this.ctx.db
      .selectFrom('channel_refs')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst();
    return r ? decodeRef(r) : undefined;
  }

  async channelRefByExternal(channelId: string, externalConversationId: string): Promise<ChannelRef | undefined> {
    const r = await this.ctx.db
      .selectFrom('channel_refs')
      .selectAll()
      .where('channel_id', '=', channelId)
      .where('external_id', '=', externalConversationId)
      .executeTakeFirst();
    return r ? decodeRef(r) : undefined;
  }
}

function encodeRef(ref: ChannelRef): Insertable<ChannelRefsTable> {
  const { conversationId, channelId, serviceUrl, updatedAt, ...rest } = ref;
  return {
    conversation_id: conversationId,
    channel_id: channelId,
    external_id: ref.conversation.id,
    service_url: serviceUrl,
    reference: JSON.stringify(rest),
    updated_at: updatedAt,
  };
}

function decodeRef(r: Selectable<ChannelRefsTable>): ChannelRef {
  const rest = JSON.parse(r.reference) as Pick<ChannelRef, 'conversation' | 'bot' | 'user' | 'locale'>;
  return {
    conversationId: r.conversation_id,
    channelId: r.channel_id,
    serviceUrl: r.service_url,
    ...rest,
    updatedAt: r.updated_at,
  };
}
