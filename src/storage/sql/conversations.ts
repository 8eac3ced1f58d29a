import type { ConversationState, MessageRecord, NewMessage } from '../../domain/conversation';
import {
  checkSenders,
  conversationExists,
  conversationNotFound,
  type PageQuery,
  type RateCounters,
  type TurnEffects,
} from '../ports';
import { decodeConversation, decodeMessage, encodeConversation, encodeMessage } from './codec';
import { isUniqueViolation } from './driverErrors';
import { queueEvents, recordInbound, recordJoin } from './outbox';
import type { PgChangeFeed } from './changes';
import { pgPlainTurn } from './pgTurns';
import { SqliteTurns } from './sqliteTurns';
import type { Db, SqlContext } from './tables';

/**
 * Conversations, their messages and the turn transaction (ConversationStore without the outbox and channel parts).
 * On SQLite the turn's hot path (get, getForTurn, append, saveTurn, messageCount) runs on prepared statements
 * (./sqliteTurns); on PostgreSQL a plain turn is one statement (./pgTurns); everything else goes through Kysely.
 */
export class SqlConversations {
  private readonly hot?: SqliteTurns;

  constructor(
    private readonly ctx: SqlContext,
    /** PostgreSQL: NOTIFY the other instances in each write transaction. */
    private readonly feed?: PgChangeFeed,
  ) {
    const driver = ctx.driver;
    if (driver && 'sqlite' in driver) this.hot = new SqliteTurns(ctx.db, driver.sqlite);
  }

  /** The rate-limit counters on the SQLite hot path's statements and commits; undefined on PostgreSQL. */
  sqliteCounters(): RateCounters | undefined {
    return this.hot?.rateCounters();
  }

  async create(state: ConversationState): Promise<void> {
    try {
      await this.ctx.db.insertInto('conversations').values(encodeConversation(state, this.ctx.dialect)).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conversationExists(state.id);
      throw err;
    }
  }

  async get(id: string): Promise<ConversationState | undefined> {
    if (this.hot) return this.hot.get(id);
    // An erased conversation (PrivacyStore) is no longer one: unknown to the engine and the channels.
    const row = await this.ctx.db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', id)
      .where('erased_at', 'is', null)
      .executeTakeFirst();
    return row ? decodeConversation(row) : undefined;
  }

  /** One query: the conversation and its message count (PostgreSQL: one round trip). */
  async getForTurn(id: string): Promise<{ state: ConversationState; messageCount: number } | undefined> {
    if (this.hot) return this.hot.getForTurn(id);
    const row = await this.ctx.db
      .selectFrom('conversations as c')
      .selectAll('c')
      .select((eb) =>
        eb
          .selectFrom('messages as m')
          .select((e) => e.fn.countAll().as('n'))
          .whereRef('m.conversation_id', '=', 'c.id')
          .as('message_count'),
      )
      .where('c.id', '=', id)
      .where('c.erased_at', 'is', null)
      .executeTakeFirst();
    return row && { state: decodeConversation(row), messageCount: Number(row.message_count ?? 0) };
  }

  async append(conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]> {
    checkSenders(messages);
    if (this.hot) return this.hot.append(conversationId, messages);
    return this.ctx.transaction(async (trx) => {
      // Lock the conversation (PostgreSQL; SQLite writes are serialized anyway) so concurrent writers to one
      // conversation take turns: its messages get ids in commit order and "after id" replays miss nothing.
      const found = await trx
        .selectFrom('conversations')
        .select('id')
        .where('id', '=', conversationId)
        .where('erased_at', 'is', null)
        .$if(this.ctx.postgres, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!found) throw conversationNotFound(conversationId);
      const out = await insertMessages(trx, conversationId, messages);
      if (out.length) await this.feed?.notifyIn(trx, conversationId);
      return out;
    });
  }

  async saveTurn(
    state: ConversationState,
    messages: NewMessage[],
    effects: TurnEffects = {},
  ): Promise<MessageRecord[]> {
    checkSenders(messages);
    if (this.hot) return this.hot.saveTurn(state, messages, effects);
    if (this.ctx.postgres && messages.length && !effects.events?.length && !effects.inboundId && !effects.joined)
      return pgPlainTurn(this.ctx.db, state, messages, this.feed?.notice(state.id));
    return this.ctx.transaction(async (trx) => {
      const { id, seq: _seq, ...changes } = encodeConversation(state, this.ctx.dialect);
      // The update also locks the row until commit.
      const res = await trx
        .updateTable('conversations')
        .set(changes)
        .where('id', '=', id)
        .where('erased_at', 'is', null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw conversationNotFound(id);
      if (effects.inboundId !== undefined) await recordInbound(trx, effects.inboundId);
      const out = await insertMessages(trx, id, messages);
      await queueEvents(trx, id, effects.events ?? []);
      if (effects.joined) await recordJoin(trx, effects.joined);
      if (out.length) await this.feed?.notifyIn(trx, id);
      return out;
    });
  }

  async transcript(conversationId: string, afterId = 0): Promise<MessageRecord[]> {
    const rows = await this.ctx.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('id', '>', afterId)
      .orderBy('id')
      .execute();
    return rows.map(decodeMessage);
  }

  async messagesPage(conversationId: string, q: PageQuery): Promise<MessageRecord[]> {
    const rows = await this.ctx.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('id', '>', q.after ?? 0)
      .$if(q.before !== undefined, (b) => b.where('id', '<', q.before!))
      .orderBy('id', q.newest ? 'desc' : 'asc')
      .limit(q.limit)
      .execute();
    if (q.newest) rows.reverse();
    return rows.map(decodeMessage);
  }

  async messageCount(conversationId: string): Promise<number> {
    if (this.hot) return this.hot.messageCount(conversationId);
    const row = await this.ctx.db
      .selectFrom('messages')
      .select((e) => e.fn.countAll().as('n'))
      .where('conversation_id', '=', conversationId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async customerMessage(conversationId: string, clientId: string): Promise<MessageRecord | undefined> {
    const row = await this.ctx.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('sender', '=', 'customer')
      .where('client_id', '=', clientId)
      .orderBy('id')
      .executeTakeFirst();
    return row ? decodeMessage(row) : undefined;
  }
}

/**
 * The messages in one multi-row insert (one round trip), inside the caller's transaction. Ids follow the order of
 * `messages`: the rows of one VALUES list take their serial ids in order, and RETURNING gives them back in that
 * order; they are sorted anyway, so the records' order never depends on it.
 */
async function insertMessages(db: Db, conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]> {
  if (!messages.length) return [];
  const rows = messages.map((m) => encodeMessage(conversationId, m));
  const ids = (await db.insertInto('messages').values(rows).returning('id').execute())
    .map((r) => Number(r.id))
    .sort((a, b) => a - b);
  return rows.map((row, i) => decodeMessage({ ...row, id: ids[i]! }));
}
