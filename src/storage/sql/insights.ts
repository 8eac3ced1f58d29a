import { handoffFromEvent, type HandoffRecord, type QueueName } from '../../domain/handoff';
import type { ConversationState } from '../../domain/conversation';
import type { ConversationRecord, InboxMark, InboxMarkState } from '../../domain/insights';
import type { InsightsStore } from '../ports';
import { decodeConversation, decodeMessage } from './codec';
import type { SqlContext } from './tables';

/** The read side of the figures and the inbox, and the inbox marks. */
export class SqlInsights implements InsightsStore {
  constructor(private readonly ctx: SqlContext) {}

  async conversationsCreated(from: string, to: string): Promise<ConversationRecord[]> {
    const db = this.ctx.db;
    const convs = await db
      .selectFrom('conversations')
      .selectAll()
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const messages = await db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .selectAll('messages')
      .where('conversations.created_at', '>=', from)
      .where('conversations.created_at', '<', to)
      .orderBy('messages.id')
      .execute();
    const events = await db
      .selectFrom('outbox')
      .innerJoin('conversations', 'conversations.id', 'outbox.conversation_id')
      .select(['outbox.conversation_id', 'outbox.body'])
      .where('outbox.type', '=', 'handoff.requested')
      // Copies for Chatwoot are the same handoff: counted once.
      .where('outbox.target', '=', 'webhook')
      .where('conversations.created_at', '>=', from)
      .where('conversations.created_at', '<', to)
      .orderBy('outbox.conversation_id')
      .orderBy('outbox.seq')
      .execute();
    const byId = new Map<string, ConversationRecord>();
    for (const c of convs) byId.set(c.id, { state: decodeConversation(c), messages: [], handoffs: [] });
    for (const m of messages) byId.get(m.conversation_id)?.messages.push(decodeMessage(m));
    for (const e of events) {
      const h = handoffFromEvent(e.body);
      if (h) byId.get(e.conversation_id)?.handoffs.push(h);
    }
    // An erased conversation's handoff requests were kept on its row (PrivacyStore.eraseConversation).
    for (const c of convs)
      if (c.erased_handoffs) byId.get(c.id)!.handoffs.push(...(JSON.parse(c.erased_handoffs) as HandoffRecord[]));
    return [...byId.values()];
  }

  async queuedHandoffs(): Promise<Partial<Record<QueueName, number>>> {
    const rows = await this.ctx.db
      .selectFrom('conversations')
      .select(['handoff_queue', (eb) => eb.fn.countAll().as('n')])
      .where('handoff_status', '=', 'queued')
      .groupBy('handoff_queue')
      .execute();
    const out: Partial<Record<QueueName, number>> = {};
    for (const r of rows) if (r.handoff_queue) out[r.handoff_queue as QueueName] = Number(r.n);
    return out;
  }

  async handedOff(limit: number): Promise<ConversationState[]> {
    const rows = await this.ctx.db
      .selectFrom('conversations')
      .selectAll()
      .where('handoff_status', 'is not', null)
      .where('erased_at', 'is', null)
      .orderBy('handoff_requested_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(decodeConversation);
  }

  async inboxMarks(): Promise<InboxMark[]> {
    const rows = await this.ctx.db.selectFrom('inbox_marks').selectAll().orderBy('at').execute();
    return rows.map((r) => ({
      key: r.key,
      state: r.state as InboxMarkState,
      terms: JSON.parse(r.terms) as string[],
      at: r.at,
      by: r.by_user,
    }));
  }

  async setInboxMark(mark: InboxMark): Promise<void> {
    await this.ctx.transaction(async (trx) => {
      await trx.deleteFrom('inbox_marks').where('key', '=', mark.key).execute();
      await trx
        .insertInto('inbox_marks')
        .values({ key: mark.key, state: mark.state, terms: JSON.stringify(mark.terms), at: mark.at, by_user: mark.by })
        .execute();
    });
  }
}
