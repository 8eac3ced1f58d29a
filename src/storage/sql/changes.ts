import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Notification, Pool, PoolClient } from 'pg';
import type { ChangeFeed, StoreChange } from '../ports';
import type { Db } from './tables';

/** The PostgreSQL channel every instance LISTENs on. */
export const CHANGES_CHANNEL = 'sav_changes';

/** What a NOTIFY carries: the sending store (to skip one's own), the conversation, an agent's name when typing. */
interface Payload {
  s: string;
  c: string;
  t?: string;
}

/**
 * The change feed of PostgreSQL: NOTIFY sent inside the transaction that appends messages (so it fires on commit,
 * never for a rolled-back write), LISTEN on one dedicated pooled client per store, reconnecting after a lost
 * connection. A NOTIFY only wakes the streams; they read the store after their last id. Notifications sent while
 * the listener was down are lost: after a reconnect every listener gets a '*' change (look at everything again).
 */
export class PgChangeFeed implements ChangeFeed {
  /** This store's id in the payloads: its own changes are already told in-process. */
  private readonly source = randomUUID();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private client: PoolClient | undefined;
  private starting: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private connectedOnce = false;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly reconnectMs = 1000,
  ) {}

  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    this.ensure();
    return () => void this.listeners.delete(listener);
  }

  async signal(change: StoreChange): Promise<void> {
    await this.pool.query('select pg_notify($1, $2)', [CHANGES_CHANNEL, this.payload(change)]);
  }

  /** The NOTIFY's channel and payload for a change of `conversationId`, for a statement that sends it itself. */
  notice(conversationId: string): { channel: string; payload: string } {
    return { channel: CHANGES_CHANNEL, payload: this.payload({ conversationId }) };
  }

  /** NOTIFY the other instances in the write transaction `trx`: delivered when (and only if) it commits. */
  async notifyIn(trx: Db, conversationId: string): Promise<void> {
    await sql`select pg_notify(${CHANGES_CHANNEL}, ${this.payload({ conversationId })})`.execute(trx);
  }

  /** Whether the LISTEN connection is up (tests, readiness). */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.starting;
    const client = this.client;
    this.client = undefined;
    client?.release(true);
  }

  private payload(change: StoreChange): string {
    const p: Payload = { s: this.source, c: change.conversationId };
    if (change.typing !== undefined) p.t = change.typing;
    return JSON.stringify(p);
  }

  private ensure(): void {
    if (this.client || this.starting || this.closed) return;
    this.starting = this.connect().finally(() => (this.starting = undefined));
  }

  private async connect(): Promise<void> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const c = client;
      c.on('notification', (m) => this.onNotification(m));
      c.on('error', (err) => this.lost(c, err));
      c.on('end', () => this.lost(c, new Error('connection ended')));
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
      if (this.closed) return c.release(true);
      this.client = c;
      if (this.connectedOnce) this.tell({ conversationId: '*' });
      this.connectedOnce = true;
    } catch (err) {
      client?.release(err instanceof Error ? err : true);
      this.scheduleRetry();
    }
  }

  private lost(client: PoolClient, err: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.release(err);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.ensure(), this.reconnectMs);
    this.retry.unref();
  }

  private onNotification(m: Notification): void {
    if (m.channel !== CHANGES_CHANNEL || !m.payload) return;
    let p: Payload;
    try {
      p = JSON.parse(m.payload) as Payload;
    } catch {
      return;
    }
    if (p.s === this.source || typeof p.c !== 'string') return;
    this.tell(typeof p.t === 'string' ? { conversationId: p.c, typing: p.t } : { conversationId: p.c });
  }

  private tell(change: StoreChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        /* one listener's failure is not the feed's */
      }
    }
  }
}
