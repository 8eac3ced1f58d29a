import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import type { ConversationState, MessageRecord, NewMessage } from '../../domain/conversation';
import type { NewOutboxEvent } from '../../domain/handoff';
import {
  conversationNotFound,
  replayed,
  type RateCounter,
  type RateCounters,
  type RateVerdict,
  type TurnEffects,
} from '../ports';
import { decodeConversation, decodeMessage, encodeConversation, encodeMessage } from './codec';
import { isUniqueViolation } from './driverErrors';
import { newOutboxRow } from './outbox';
import type { ConversationsTable, Database } from './tables';

type Row = Record<string, unknown>;
interface Write {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}
type Conversation = Selectable<ConversationsTable>;

/**
 * The turn's hot path on SQLite, as plain SQL on better-sqlite3 statements prepared once and reused (building each
 * query with Kysely and preparing it again took a quarter of the CPU of a message). Each operation runs
 * synchronously while it holds Kysely's single connection, so it never interleaves with a Kysely transaction under
 * way. Writes of the same moment share one commit (group commit, see `write`). Same rows, same errors as the Kysely
 * code it replaces.
 */
export class SqliteTurns {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly writes: Write[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite: BetterSqlite3.Database,
  ) {}

  /** A statement prepared at its first use, then reused. */
  private stmt(sql: string): BetterSqlite3.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.sqlite.prepare(sql)));
    return s;
  }

  /** Runs `fn` alone on the connection (Kysely's connection mutex), synchronously. */
  private exclusive<T>(fn: () => T): Promise<T> {
    return this.db.connection().execute(async () => fn());
  }

  /**
   * Runs `fn` as one write: the writes queued in the same moment (concurrent turns) are committed together, each in
   * its own savepoint, so that one that throws is rolled back alone and rejects alone. Every promise settles after
   * the commit: nothing is acknowledged before it is committed. One commit for many turns saves most of its cost.
   */
  private write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.writes.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.writes.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    let batch: Write[] = [];
    try {
      await this.exclusive(() => {
        // Taken once the connection is ours: the writes queued while waiting for it join this commit.
        batch = this.writes.splice(0);
        const results: { ok: boolean; value: unknown }[] = [];
        this.sqlite.transaction(() => {
          for (const w of batch)
            try {
              results.push({ ok: true, value: this.sqlite.transaction(w.run)() });
            } catch (err) {
              results.push({ ok: false, value: err });
            }
        })();
        batch.forEach((w, i) => (results[i]!.ok ? w.resolve(results[i]!.value) : w.reject(results[i]!.value)));
      });
    } catch (err) {
      // The commit (or the connection) failed: none of the batch is written.
      for (const w of batch) w.reject(err);
    }
  }

  private insert(table: string, row: Row): BetterSqlite3.RunResult {
    const keys = Object.keys(row);
    return this.stmt(`insert into ${table} (${keys.join(', ')}) values (${keys.map(() => '?').join(', ')})`).run(
      ...Object.values(row),
    );
  }

  get(id: string): Promise<ConversationState | undefined> {
    return this.exclusive(() => {
      const row = this.stmt('select * from conversations where id = ? and erased_at is null').get(id) as
        Conversation | undefined;
      return row && decodeConversation(row);
    });
  }

  getForTurn(id: string): Promise<{ state: ConversationState; messageCount: number } | undefined> {
    return this.exclusive(() => {
      const row = this.stmt(
        'select c.*, (select count(*) from messages m where m.conversation_id = c.id) as message_count ' +
          'from conversations c where c.id = ? and c.erased_at is null',
      ).get(id) as (Conversation & { message_count: number }) | undefined;
      return row && { state: decodeConversation(row), messageCount: Number(row.message_count) };
    });
  }

  messageCount(conversationId: string): Promise<number> {
    return this.exclusive(() => {
      const row = this.stmt('select count(*) as n from messages where conversation_id = ?').get(conversationId) as {
        n: number;
      };
      return Number(row.n);
    });
  }

  append(conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]> {
    return this.write(() => {
      const found = this.stmt('select id from conversations where id = ? and erased_at is null').get(conversationId);
      if (!found) throw conversationNotFound(conversationId);
      return this.insertMessages(conversationId, messages);
    });
  }

  saveTurn(state: ConversationState, messages: NewMessage[], effects: TurnEffects): Promise<MessageRecord[]> {
    return this.write(() => {
      const { id, seq: _seq, ...changes } = encodeConversation(state, 'sqlite');
      const keys = Object.keys(changes);
      const res = this.stmt(
        `update conversations set ${keys.map((k) => `${k} = ?`).join(', ')} where id = ? and erased_at is null`,
      ).run(...Object.values(changes), id);
      if (res.changes === 0) throw conversationNotFound(id);
      if (effects.inboundId !== undefined) this.recordInbound(effects.inboundId);
      const out = this.insertMessages(id, messages);
      this.queueEvents(id, effects.events ?? []);
      if (effects.joined) {
        const j = effects.joined;
        const delay = Math.max(0, Date.parse(j.joinedAt) - Date.parse(j.requestedAt));
        this.insert('handoff_joins', {
          queue: j.queue,
          requested_at: j.requestedAt,
          joined_at: j.joinedAt,
          delay_ms: delay,
        });
      }
      return out;
    });
  }

  /**
   * The rate-limit counters on the same statements and commits (rate-limiter-flexible prepared its SQL and ran its
   * own transaction at every hit): the same table and rows ("<limit>:<client>", points, expiry in epoch ms), so
   * instances on one file, and the sweep, see the same counts. A fixed window: the first hit after expiry starts
   * the next one.
   */
  rateCounters(): RateCounters {
    return { counter: (name, points, durationSec) => this.counter(name, points, durationSec * 1000) };
  }

  private counter(name: string, points: number, windowMs: number): RateCounter {
    const verdict = (count: number, expire: number, now: number): RateVerdict =>
      count <= points
        ? { allowed: true, retryAfterMs: 0, firstRefusal: false }
        : { allowed: false, retryAfterMs: Math.max(0, expire - now), firstRefusal: count === points + 1 };
    return {
      hit: (key) =>
        this.write(() => {
          const now = Date.now();
          const row = this.stmt(
            'insert into rate_limits (key, points, expire) values (?, 1, ?) on conflict(key) do update set ' +
              'points = case when expire <= ? then 1 else points + 1 end, ' +
              'expire = case when expire <= ? then excluded.expire else expire end returning points, expire',
          ).get(`${name}:${key}`, now + windowMs, now, now) as { points: number; expire: number };
          return verdict(Number(row.points), Number(row.expire), now);
        }),
      peek: (key) =>
        this.exclusive(() => {
          const now = Date.now();
          const row = this.stmt('select points, expire from rate_limits where key = ? and expire > ?').get(
            `${name}:${key}`,
            now,
          ) as { points: number; expire: number } | undefined;
          if (!row || Number(row.points) < points) return verdict(0, 0, now);
          return { allowed: false, retryAfterMs: Math.max(0, Number(row.expire) - now), firstRefusal: false };
        }),
    };
  }

  private insertMessages(conversationId: string, messages: NewMessage[]): MessageRecord[] {
    return messages.map((m) => {
      const row = encodeMessage(conversationId, m);
      const id = Number(this.insert('messages', row).lastInsertRowid);
      return decodeMessage({ ...row, id });
    });
  }

  private recordInbound(webhookId: string): void {
    try {
      this.insert('inbound_webhooks', { webhook_id: webhookId, received_at: new Date().toISOString() });
    } catch (err) {
      if (isUniqueViolation(err)) throw replayed(webhookId);
      throw err;
    }
  }

  /** As queueEvents (./outbox): numbered after the conversation's last event, inside the turn's transaction. */
  private queueEvents(conversationId: string, events: NewOutboxEvent[]): void {
    if (!events.length) return;
    const row = this.stmt('select seq from conversations where id = ?').get(conversationId) as { seq: number };
    let seq = Number(row.seq);
    const now = new Date().toISOString();
    for (const e of events) {
      seq++;
      this.insert('outbox', newOutboxRow(conversationId, seq, e, now));
    }
    this.stmt('update conversations set seq = ? where id = ?').run(seq, conversationId);
  }
}
