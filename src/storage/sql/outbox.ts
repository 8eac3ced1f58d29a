import type { Insertable, Selectable, Updateable } from 'kysely';
import {
  webhookBody,
  type NewOutboxEvent,
  type OutboxEvent,
  type OutboxTarget,
  type QueueName,
} from '../../domain/handoff';
import { newWebhookId, outboxEventNotFound, replayed, type OutboxStore, type TurnEffects } from '../ports';
import { isUniqueViolation } from './driverErrors';
import type { Db, OutboxTable, SqlContext } from './tables';

/** The webhook outbox, inbound webhook ids, queue positions and join delays, settings (the handoff queue's port). */
export class SqlOutbox implements OutboxStore {
  constructor(private readonly ctx: SqlContext) {}

  async claimDue(now: Date, limit: number, leaseMs: number, target: OutboxTarget = 'webhook'): Promise<OutboxEvent[]> {
    const t = now.toISOString();
    return this.ctx.transaction(async (trx) => {
      // The earliest pending event of each conversation, when due and not leased by another worker.
      const rows = await trx
        .selectFrom('outbox as o')
        .selectAll('o')
        .where('o.target', '=', target)
        .where('o.status', '=', 'pending')
        .where('o.next_attempt_at', '<=', t)
        .where((eb) => eb.or([eb('o.locked_until', 'is', null), eb('o.locked_until', '<', t)]))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('outbox as p')
                .select('p.id')
                .whereRef('p.conversation_id', '=', 'o.conversation_id')
                .whereRef('p.target', '=', 'o.target')
                .where('p.status', '=', 'pending')
                .whereRef('p.seq', '<', 'o.seq'),
            ),
          ),
        )
        .orderBy('o.id')
        .limit(limit)
        .$if(this.ctx.postgres, (q) => q.forUpdate().skipLocked())
        .execute();
      if (rows.length === 0) return [];
      const until = new Date(now.getTime() + leaseMs).toISOString();
      await trx
        .updateTable('outbox')
        .set({ locked_until: until })
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.map(decodeOutbox);
    });
  }

  async markDelivered(id: number, at: Date): Promise<void> {
    await this.update(id, { status: 'delivered', delivered_at: at.toISOString(), locked_until: null });
  }

  async markRetry(id: number, attempts: number, nextAttemptAt: Date, error: string): Promise<void> {
    await this.update(id, {
      attempts,
      next_attempt_at: nextAttemptAt.toISOString(),
      last_error: error.slice(0, 500),
      locked_until: null,
    });
  }

  async markDead(id: number, attempts: number, error: string): Promise<void> {
    await this.update(id, { status: 'dead', attempts, last_error: error.slice(0, 500), locked_until: null });
  }

  /** Changes event `id`: OUTBOX_EVENT_NOT_FOUND if there is none. */
  private async update(id: number, changes: Updateable<OutboxTable>): Promise<void> {
    const r = await this.ctx.db.updateTable('outbox').set(changes).where('id', '=', id).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw outboxEventNotFound(id);
  }

  async listDead(): Promise<OutboxEvent[]> {
    const rows = await this.ctx.db
      .selectFrom('outbox')
      .selectAll()
      .where('status', '=', 'dead')
      .orderBy('id')
      .execute();
    return rows.map(decodeOutbox);
  }

  async replay(id: number, now: Date): Promise<boolean> {
    const r = await this.ctx.db
      .updateTable('outbox')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now.toISOString(), locked_until: null })
      .where('id', '=', id)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async events(conversationId: string): Promise<OutboxEvent[]> {
    const rows = await this.ctx.db
      .selectFrom('outbox')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .orderBy('seq')
      .execute();
    return rows.map(decodeOutbox);
  }

  async hasHandoffRequest(conversationId: string): Promise<boolean> {
    // The (conversation_id, seq) unique index finds the conversation's events; one row is enough.
    const row = await this.ctx.db
      .selectFrom('outbox')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .where('type', '=', 'handoff.requested')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async pendingCount(): Promise<number> {
    const r = await this.ctx.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async rememberInbound(webhookId: string, at: Date): Promise<boolean> {
    try {
      await this.ctx.db
        .insertInto('inbound_webhooks')
        .values({ webhook_id: webhookId, received_at: at.toISOString() })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async queuePosition(queue: QueueName, requestedAt: string, conversationId: string): Promise<number> {
    const r = await this.ctx.db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('handoff_status', '=', 'queued')
      .where('handoff_queue', '=', queue)
      .where('handoff_requested_at', '<', requestedAt)
      .where('id', '!=', conversationId)
      .executeTakeFirstOrThrow();
    return Number(r.n) + 1;
  }

  async recentJoinDelays(queue: QueueName, limit: number): Promise<number[]> {
    const rows = await this.ctx.db
      .selectFrom('handoff_joins')
      .select('delay_ms')
      .where('queue', '=', queue)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => Number(r.delay_ms));
  }

  async getSetting(key: string): Promise<string | undefined> {
    return (await this.ctx.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    if (value === null) return void (await this.ctx.db.deleteFrom('settings').where('key', '=', key).execute());
    // An upsert: two instances setting one key at once (the /ready heartbeat) both succeed, the last one wins. A
    // delete then insert made the second fail on the primary key (PostgreSQL).
    await this.ctx.db
      .insertInto('settings')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }

  async swapSetting(key: string, expected: string | undefined, value: string): Promise<boolean> {
    // One statement each way, atomic on both engines: the key's primary key refuses a second insert, and the
    // update's WHERE on the old value lets one of two concurrent swaps through.
    if (expected === undefined) {
      const res = await this.ctx.db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
    }
    const res = await this.ctx.db
      .updateTable('settings')
      .set({ value })
      .where('key', '=', key)
      .where('value', '=', expected)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
}

// The outbox side of a turn, written inside the turn's transaction (SqlConversations.saveTurn).

/** Remembers the inbound webhook id that caused the turn: REPLAYED if it was seen before. */
export async function recordInbound(trx: Db, webhookId: string): Promise<void> {
  try {
    await trx
      .insertInto('inbound_webhooks')
      .values({ webhook_id: webhookId, received_at: new Date().toISOString() })
      .execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw replayed(webhookId);
    throw err;
  }
}

/** The outbox row of a new event, pending from `now` (the Kysely path below and SQLite's prepared hot path). */
export function newOutboxRow(
  conversationId: string,
  seq: number,
  e: NewOutboxEvent,
  now: string,
): Insertable<OutboxTable> {
  return {
    webhook_id: newWebhookId(),
    conversation_id: conversationId,
    seq,
    type: e.type,
    body: webhookBody(e, conversationId, seq, now),
    status: 'pending',
    attempts: 0,
    next_attempt_at: e.notBefore ?? now,
    target: e.target ?? 'webhook',
    locked_until: null,
    last_error: null,
    created_at: now,
    delivered_at: null,
  };
}

/** Queues the turn's events, numbered after the conversation's last one (whose row the caller's update locked). */
export async function queueEvents(trx: Db, conversationId: string, events: NewOutboxEvent[]): Promise<void> {
  if (!events.length) return;
  // Sequence numbers are taken under the row lock: per-conversation order even with several instances.
  const row = await trx
    .selectFrom('conversations')
    .select('seq')
    .where('id', '=', conversationId)
    .executeTakeFirstOrThrow();
  let seq = Number(row.seq);
  const now = new Date().toISOString();
  for (const e of events) {
    seq++;
    await trx
      .insertInto('outbox')
      .values(newOutboxRow(conversationId, seq, e, now))
      .execute();
  }
  await trx.updateTable('conversations').set({ seq }).where('id', '=', conversationId).execute();
}

/** An agent joined: the delay feeds the estimated wait. */
export async function recordJoin(trx: Db, j: NonNullable<TurnEffects['joined']>): Promise<void> {
  await trx
    .insertInto('handoff_joins')
    .values({
      queue: j.queue,
      requested_at: j.requestedAt,
      joined_at: j.joinedAt,
      delay_ms: Math.max(0, Date.parse(j.joinedAt) - Date.parse(j.requestedAt)),
    })
    .execute();
}

function decodeOutbox(r: Selectable<OutboxTable>): OutboxEvent {
  const e: OutboxEvent = {
    id: Number(r.id),
    target: r.target as OutboxTarget,
    webhookId: r.webhook_id,
    conversationId: r.conversation_id,
    seq: Number(r.seq),
    type: r.type as OutboxEvent['type'],
    body: r.body,
    status: r.status as OutboxEvent['status'],
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
  };
  if (r.last_error !== null) e.lastError = r.last_error;
  if (r.delivered_at !== null) e.deliveredAt = r.delivered_at;
  return e;
}
