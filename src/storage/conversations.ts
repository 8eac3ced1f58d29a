import { randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors';
import type { Lang, ReplySource, Suggestion } from '../domain/types';
import type { HandoffState, NewOutboxEvent, OutboxEvent, OutboxStore, QueueName } from '../handoff/types';
import { handoffFromEvent, type ConversationRecord, type InboxMark, type InsightsStore } from './insights';

export interface MessageRecord {
  /** Increasing per store (autoincrement): streams replay "after the last seen id". */
  id: number;
  conversationId: string;
  at: string;
  from: 'customer' | 'bot' | 'agent';
  text: string;
  /** For a button click: the button's value (text then holds its label or value). */
  action?: string;
  source?: ReplySource;
  /** Knowledge-base version that produced a bot reply. */
  kbVersion?: string;
  /** Buttons offered with a bot reply (kept so that a reloaded history or a replayed channel can show them). */
  suggestions?: Suggestion[];
  /** A customer message's id given by the sending client (Direct Line clientActivityID): echoed back with it. */
  clientId?: string;
}

export type NewMessage = Omit<MessageRecord, 'id' | 'conversationId'>;

/** Where a conversation stands in a dialog: enough to resume at the same step after a restart. */
export interface DialogState {
  dialogId: string;
  /** Index of the step being asked. */
  step: number;
  /** Slot values collected so far. */
  slots: Record<string, string>;
  /** Failed answers at the current step. */
  attempts: number;
  /** Records looked up so far (flat string fields), by the name given in the dialog (`as`). */
  records?: Record<string, Record<string, string>>;
  /** A question waiting for yes/no ("drop the current request?"), with the message that caused it. */
  pending?: { kind: 'switch'; text: string };
}

export interface ConversationState {
  id: string;
  channel: string;
  /** SHA-256 of the customer's bearer token (the token itself is never stored). */
  tokenHash?: string;
  lang?: Lang;
  createdAt: string;
  updatedAt: string;
  /** Consecutive replies that were fallbacks. */
  misunderstandings: number;
  dialog: DialogState | null;
  /** The bot asked the satisfaction question and waits for a 1-5 answer. */
  awaitingCsat: boolean;
  csat: { score: number; at: string } | null;
  /** With a person (queued or active), or null when the bot is talking. */
  handoff: HandoffState | null;
  /** Topic of the last knowledge-base answer (routes a later request for a person). */
  lastTopic?: string;
  /** Buttons offered by the bot's last reply: typing one's label counts as clicking it (text-only channels, imBack). */
  offered?: Suggestion[];
}

/** A new conversation: the bot talking, nothing asked yet. */
export function newConversationState(o: { id: string; at: string; channel: string; lang?: Lang; tokenHash?: string }): ConversationState {
  return {
    id: o.id,
    channel: o.channel,
    ...(o.tokenHash ? { tokenHash: o.tokenHash } : {}),
    ...(o.lang ? { lang: o.lang } : {}),
    createdAt: o.at,
    updatedAt: o.at,
    misunderstandings: 0,
    dialog: null,
    awaitingCsat: false,
    csat: null,
    handoff: null,
  };
}

/** What a turn changes besides the conversation and its messages, written in the same transaction. */
export interface TurnEffects {
  /** Webhook events for the agents (the outbox). */
  events?: NewOutboxEvent[];
  /** The id of the signed inbound webhook that caused the turn: refused (409) if it was seen before. */
  inboundId?: string;
  /** An agent joined: the delay feeds the estimated wait shown to the next customers. */
  joined?: { queue: QueueName; requestedAt: string; joinedAt: string };
}

export const replayed = (id: string) => new AppError('REPLAYED', `webhook id "${id}" was already received`, 409);

export const newWebhookId = () => `msg_${randomBytes(16).toString('base64url')}`;

/** The JSON body of an outgoing webhook (Standard Webhooks: type, timestamp, data). */
export function webhookBody(e: NewOutboxEvent, conversationId: string, seq: number, at: string): string {
  return JSON.stringify({ type: e.type, timestamp: at, data: { conversationId, seq, ...e.data } });
}

/**
 * Where a conversation lives on a Bot Framework channel (Teams, Web Chat through Azure Bot Service): what is needed
 * to write to the customer later (agents' replies, queue updates) from any instance, after a restart. Plain data,
 * independent of the SDK that sends the messages.
 */
export interface ChannelRef {
  /** Our conversation. */
  conversationId: string;
  /** 'msteams', 'webchat', 'emulator'... */
  channelId: string;
  serviceUrl: string;
  /** The channel's conversation; (channelId, conversation.id) is unique. */
  conversation: { id: string; conversationType?: string; tenantId?: string; isGroup?: boolean };
  bot: { id: string; name?: string };
  user: { id: string; name?: string; aadObjectId?: string };
  locale?: string;
  updatedAt: string;
}

/** Conversation references of the Bot Framework channel. */
export interface ChannelRefStore {
  /**
   * Store `ref` unless (channelId, conversation.id) already has a reference: then update its service URL, user and
   * locale and keep its conversation. Returns what is stored (the caller uses the returned conversation id).
   */
  linkChannel(ref: ChannelRef): Promise<ChannelRef>;
  channelRef(conversationId: string): Promise<ChannelRef | undefined>;
  channelRefByExternal(channelId: string, externalConversationId: string): Promise<ChannelRef | undefined>;
}

/**
 * Conversations, their transcripts, dialog state and satisfaction answers. Implementations: in memory (tests,
 * terminal chat), SQLite (default, a file under data/) and PostgreSQL (DATABASE_URL), with the same test suite.
 */
export interface ConversationStore extends OutboxStore, ChannelRefStore {
  create(state: ConversationState): Promise<void>;
  get(id: string): Promise<ConversationState | undefined>;
  /** Append messages (customer message before it is processed, so nothing written is lost). */
  append(conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]>;
  /** Save the new state, append the turn's messages and queue its webhook events atomically (one transaction). */
  saveTurn(state: ConversationState, messages: NewMessage[], effects?: TurnEffects): Promise<MessageRecord[]>;
  /** The transcript, oldest first, optionally only after a message id. */
  transcript(conversationId: string, afterId?: number): Promise<MessageRecord[]>;
  /** The customer's message sent with this client id (a client's retry is recognised by it), if any. */
  customerMessage(conversationId: string, clientId: string): Promise<MessageRecord | undefined>;
  close(): Promise<void>;
}

const SENDERS: readonly string[] = ['customer', 'bot', 'agent'] satisfies MessageRecord['from'][];

/** The check the SQL stores' CHECK constraint makes, so every store rejects the same messages. */
function checkSenders(messages: NewMessage[]): void {
  for (const m of messages) if (!SENDERS.includes(m.from)) throw new Error(`invalid message sender ${JSON.stringify(m.from)}`);
}

export class MemoryConversationStore implements ConversationStore, InsightsStore {
  private readonly convs = new Map<string, ConversationState>();
  private readonly messages: MessageRecord[] = [];
  private lastId = 0;
  private readonly outbox: (OutboxEvent & { lockedUntil?: number })[] = [];
  private readonly seqs = new Map<string, number>();
  private readonly inbound = new Set<string>();
  private readonly joins: { queue: QueueName; delay: number }[] = [];
  private readonly settings = new Map<string, string>();
  private readonly marks = new Map<string, InboxMark>();
  private readonly refs = new Map<string, ChannelRef>();

  async create(state: ConversationState): Promise<void> {
    if (this.convs.has(state.id)) throw new Error(`conversation ${state.id} already exists`);
    this.convs.set(state.id, structuredClone(state));
  }

  async get(id: string): Promise<ConversationState | undefined> {
    const s = this.convs.get(id);
    return s ? structuredClone(s) : undefined;
  }

  async append(conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]> {
    if (!this.convs.has(conversationId)) throw new Error(`conversation ${conversationId} not found`);
    checkSenders(messages);
    const out = messages.map((m) => ({ ...structuredClone(m), id: ++this.lastId, conversationId }) as MessageRecord);
    for (const m of out) this.messages.push(m);
    return out.map((m) => structuredClone(m));
  }

  async saveTurn(state: ConversationState, messages: NewMessage[], effects: TurnEffects = {}): Promise<MessageRecord[]> {
    if (!this.convs.has(state.id)) throw new Error(`conversation ${state.id} not found`);
    checkSenders(messages); // before any change, as a rejected SQL transaction leaves nothing behind
    if (effects.inboundId !== undefined && this.inbound.has(effects.inboundId)) throw replayed(effects.inboundId);
    if (effects.inboundId !== undefined) this.inbound.add(effects.inboundId);
    this.convs.set(state.id, structuredClone(state));
    const now = new Date().toISOString();
    for (const e of effects.events ?? []) {
      const seq = (this.seqs.get(state.id) ?? 0) + 1;
      this.seqs.set(state.id, seq);
      this.outbox.push({
        id: this.outbox.length + 1,
        webhookId: newWebhookId(),
        conversationId: state.id,
        seq,
        type: e.type,
        body: webhookBody(e, state.id, seq, now),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
      });
    }
    if (effects.joined) this.joins.unshift({ queue: effects.joined.queue, delay: Date.parse(effects.joined.joinedAt) - Date.parse(effects.joined.requestedAt) });
    return this.append(state.id, messages);
  }

  async transcript(conversationId: string, afterId = 0): Promise<MessageRecord[]> {
    return this.messages.filter((m) => m.conversationId === conversationId && m.id > afterId).map((m) => structuredClone(m));
  }

  async customerMessage(conversationId: string, clientId: string): Promise<MessageRecord | undefined> {
    const m = this.messages.find((x) => x.conversationId === conversationId && x.from === 'customer' && x.clientId === clientId);
    return m && structuredClone(m);
  }

  async claimDue(now: Date, limit: number, leaseMs: number): Promise<OutboxEvent[]> {
    const t = now.getTime();
    const out: OutboxEvent[] = [];
    const blocked = new Set<string>();
    for (const e of this.outbox) {
      if (e.status !== 'pending') continue;
      if (blocked.has(e.conversationId)) continue;
      blocked.add(e.conversationId); // only the earliest pending event of a conversation
      if (Date.parse(e.nextAttemptAt) > t || (e.lockedUntil ?? 0) > t) continue;
      e.lockedUntil = t + leaseMs;
      const { lockedUntil: _l, ...copy } = e;
      out.push(structuredClone(copy));
      if (out.length >= limit) break;
    }
    return out;
  }

  private find(id: number) {
    const e = this.outbox.find((x) => x.id === id);
    if (!e) throw new Error(`outbox event ${id} not found`);
    return e;
  }

  async markDelivered(id: number, at: Date): Promise<void> {
    Object.assign(this.find(id), { status: 'delivered', deliveredAt: at.toISOString(), lockedUntil: undefined });
  }

  async markRetry(id: number, attempts: number, nextAttemptAt: Date, error: string): Promise<void> {
    Object.assign(this.find(id), { attempts, nextAttemptAt: nextAttemptAt.toISOString(), lastError: error, lockedUntil: undefined });
  }

  async markDead(id: number, attempts: number, error: string): Promise<void> {
    Object.assign(this.find(id), { status: 'dead', attempts, lastError: error, lockedUntil: undefined });
  }

  async listDead(): Promise<OutboxEvent[]> {
    return this.outbox.filter((e) => e.status === 'dead').map(({ lockedUntil: _l, ...e }) => structuredClone(e) as OutboxEvent);
  }

  async replay(id: number, now: Date): Promise<boolean> {
    const e = this.outbox.find((x) => x.id === id);
    if (!e || e.status !== 'dead') return false;
    Object.assign(e, { status: 'pending', attempts: 0, nextAttemptAt: now.toISOString() });
    return true;
  }

  async events(conversationId: string): Promise<OutboxEvent[]> {
    return this.outbox.filter((e) => e.conversationId === conversationId).map(({ lockedUntil: _l, ...e }) => structuredClone(e) as OutboxEvent);
  }

  async pendingCount(): Promise<number> {
    return this.outbox.filter((e) => e.status === 'pending').length;
  }

  async rememberInbound(webhookId: string): Promise<boolean> {
    if (this.inbound.has(webhookId)) return false;
    this.inbound.add(webhookId);
    return true;
  }

  async queuePosition(queue: QueueName, requestedAt: string, conversationId: string): Promise<number> {
    let n = 1;
    for (const c of this.convs.values())
      if (c.id !== conversationId && c.handoff?.status === 'queued' && c.handoff.queue === queue && c.handoff.requestedAt < requestedAt) n++;
    return n;
  }

  async recentJoinDelays(queue: QueueName, limit: number): Promise<number[]> {
    return this.joins.filter((j) => j.queue === queue).slice(0, limit).map((j) => j.delay);
  }

  async getSetting(key: string): Promise<string | undefined> {
    return this.settings.get(key);
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    if (value === null) this.settings.delete(key);
    else this.settings.set(key, value);
  }

  async conversationsCreated(from: string, to: string): Promise<ConversationRecord[]> {
    const convs = [...this.convs.values()].filter((c) => c.createdAt >= from && c.createdAt < to).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    return convs.map((c) => ({
      state: structuredClone(c),
      messages: this.messages.filter((m) => m.conversationId === c.id).map((m) => structuredClone(m)),
      handoffs: this.outbox
        .filter((e) => e.conversationId === c.id && e.type === 'handoff.requested')
        .sort((a, b) => a.seq - b.seq)
        .flatMap((e) => handoffFromEvent(e.body) ?? []),
    }));
  }

  async queuedHandoffs(): Promise<Partial<Record<QueueName, number>>> {
    const out: Partial<Record<QueueName, number>> = {};
    for (const c of this.convs.values()) if (c.handoff?.status === 'queued') out[c.handoff.queue] = (out[c.handoff.queue] ?? 0) + 1;
    return out;
  }

  async inboxMarks(): Promise<InboxMark[]> {
    return [...this.marks.values()].map((m) => structuredClone(m));
  }

  async setInboxMark(mark: InboxMark): Promise<void> {
    this.marks.set(mark.key, structuredClone(mark));
  }

  async linkChannel(ref: ChannelRef): Promise<ChannelRef> {
    if (!this.convs.has(ref.conversationId)) throw new Error(`conversation ${ref.conversationId} not found`);
    const existing = await this.channelRefByExternal(ref.channelId, ref.conversation.id);
    const stored = existing ? { ...ref, conversationId: existing.conversationId } : ref;
    this.refs.set(stored.conversationId, structuredClone(stored));
    return structuredClone(stored);
  }

  async channelRef(conversationId: string): Promise<ChannelRef | undefined> {
    const r = this.refs.get(conversationId);
    return r ? structuredClone(r) : undefined;
  }

  async channelRefByExternal(channelId: string, externalConversationId: string): Promise<ChannelRef | undefined> {
    for (const r of this.refs.values()) if (r.channelId === channelId && r.conversation.id === externalConversationId) return structuredClone(r);
    return undefined;
  }

  async close(): Promise<void> {}
}
