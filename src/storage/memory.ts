import type { ChannelRef, ConversationState, MessageRecord, NewMessage } from '../domain/conversation';
import { webhookBody } from '../domain/handoff';
import type { HandoffRecord, OutboxEvent, OutboxTarget, QueueName } from '../domain/handoff';
import type { ConversationRecord, InboxMark } from '../domain/insights';
import { ERASED_EVENT, type ConversationData, type ErasureCounts } from '../domain/privacy';
import type { NewPrivacyAudit, PrivacyAudit } from '../domain/privacy';
import {
  checkSenders,
  conversationExists,
  conversationNotFound,
  newWebhookId,
  outboxEventNotFound,
  replayed,
  type AttachmentStore,
  type EditorStore,
  type PrivacySearch,
  type PageQuery,
  type Store,
  type TurnEffects,
} from './ports';
import { MemoryEditorStore } from './memoryEditor';
import { MemoryAttachments } from './memoryAttachments';
import { handedOffIn, queuedCounts, queuePositionIn } from './memoryQueue';
import { eraseSettings, handoffsOf, notesHits, notesOf } from './memoryPrivacy';

export { MemoryEditorStore };

/**
 * Every port in memory (tests, terminal chat): the same contract, and the same errors, as the SQL back end
 * (test/storage/ runs one suite on both). Values are copied in and out, as a database would.
 */
export class MemoryConversationStore implements Store {
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
  private readonly editor = new MemoryEditorStore();
  private readonly erased = new Set<string>();
  private readonly stripped = new Set<number>();
  private readonly erasedHandoffs = new Map<string, HandoffRecord[]>();
  private lastEventId = 0;
  private readonly privacyAudit: PrivacyAudit[] = [];
  private readonly files = new MemoryAttachments((id) => this.live(id));
  readonly attachmentStore = (): AttachmentStore => this.files;

  async create(state: ConversationState): Promise<void> {
    if (this.convs.has(state.id)) throw conversationExists(state.id);
    this.convs.set(state.id, structuredClone(state));
  }

  async get(id: string): Promise<ConversationState | undefined> {
    const s = this.erased.has(id) ? undefined : this.convs.get(id);
    return s ? structuredClone(s) : undefined;
  }

  async getForTurn(id: string): Promise<{ state: ConversationState; messageCount: number } | undefined> {
    const state = await this.get(id);
    return state && { state, messageCount: await this.messageCount(id) };
  }

  async append(conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]> {
    checkSenders(messages);
    if (!this.live(conversationId)) throw conversationNotFound(conversationId);
    const out = messages.map((m) => ({ ...structuredClone(m), id: ++this.lastId, conversationId }) as MessageRecord);
    for (const m of out) this.messages.push(m);
    return out.map((m) => structuredClone(m));
  }

  async saveTurn(
    state: ConversationState,
    messages: NewMessage[],
    effects: TurnEffects = {},
  ): Promise<MessageRecord[]> {
    // Every check before any change, as a rejected SQL transaction leaves nothing behind (in the SQL order).
    checkSenders(messages);
    if (!this.live(state.id)) throw conversationNotFound(state.id);
    if (effects.inboundId !== undefined && this.inbound.has(effects.inboundId)) throw replayed(effects.inboundId);
    if (effects.inboundId !== undefined) this.inbound.add(effects.inboundId);
    this.convs.set(state.id, structuredClone(state));
    this.queue(state.id, effects.events ?? []);
    if (effects.joined)
      this.joins.unshift({
        queue: effects.joined.queue,
        delay: Math.max(0, Date.parse(effects.joined.joinedAt) - Date.parse(effects.joined.requestedAt)),
      });
    return this.append(state.id, messages);
  }

  private live(id: string): boolean {
    return this.convs.has(id) && !this.erased.has(id);
  }

  private queue(conversationId: string, events: NonNullable<TurnEffects['events']>): void {
    const now = new Date().toISOString();
    for (const e of events) {
      const seq = (this.seqs.get(conversationId) ?? 0) + 1;
      this.seqs.set(conversationId, seq);
      this.outbox.push({
        id: ++this.lastEventId,
        target: e.target ?? 'webhook',
        webhookId: newWebhookId(),
        conversationId,
        seq,
        type: e.type,
        body: webhookBody(e, conversationId, seq, now),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: e.notBefore ?? now,
        createdAt: now,
      });
    }
  }

  async transcript(conversationId: string, afterId = 0): Promise<MessageRecord[]> {
    return this.messages
      .filter((m) => m.conversationId === conversationId && m.id > afterId)
      .map((m) => structuredClone(m));
  }

  async messagesPage(conversationId: string, q: PageQuery): Promise<MessageRecord[]> {
    const range = this.messages.filter(
      (m) =>
        m.conversationId === conversationId && m.id > (q.after ?? 0) && (q.before === undefined || m.id < q.before),
    );
    const page = q.newest ? range.slice(Math.max(0, range.length - q.limit)) : range.slice(0, q.limit);
    return page.map((m) => structuredClone(m));
  }

  async messageCount(conversationId: string): Promise<number> {
    return this.messages.reduce((n, m) => n + (m.conversationId === conversationId ? 1 : 0), 0);
  }

  async customerMessage(conversationId: string, clientId: string): Promise<MessageRecord | undefined> {
    const m = this.messages.find(
      (x) => x.conversationId === conversationId && x.from === 'customer' && x.clientId === clientId,
    );
    return m && structuredClone(m);
  }

  async claimDue(now: Date, limit: number, leaseMs: number, target: OutboxTarget = 'webhook'): Promise<OutboxEvent[]> {
    const t = now.getTime();
    const out: OutboxEvent[] = [];
    const blocked = new Set<string>();
    for (const e of this.outbox) {
      if (e.status !== 'pending' || e.target !== target) continue;
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
    if (!e) throw outboxEventNotFound(id);
    return e;
  }

  async markDelivered(id: number, at: Date): Promise<void> {
    Object.assign(this.find(id), { status: 'delivered', deliveredAt: at.toISOString(), lockedUntil: undefined });
  }

  async markRetry(id: number, attempts: number, nextAttemptAt: Date, error: string): Promise<void> {
    Object.assign(this.find(id), {
      attempts,
      nextAttemptAt: nextAttemptAt.toISOString(),
      lastError: error.slice(0, 500),
      lockedUntil: undefined,
    });
  }

  async markDead(id: number, attempts: number, error: string): Promise<void> {
    Object.assign(this.find(id), { status: 'dead', attempts, lastError: error.slice(0, 500), lockedUntil: undefined });
  }

  async listDead(): Promise<OutboxEvent[]> {
    return this.outbox
      .filter((e) => e.status === 'dead')
      .map(({ lockedUntil: _l, ...e }) => structuredClone(e) as OutboxEvent);
  }

  async replay(id: number, now: Date): Promise<boolean> {
    const e = this.outbox.find((x) => x.id === id);
    if (!e || e.status !== 'dead') return false;
    Object.assign(e, { status: 'pending', attempts: 0, nextAttemptAt: now.toISOString() });
    return true;
  }

  async events(conversationId: string): Promise<OutboxEvent[]> {
    return this.outbox
      .filter((e) => e.conversationId === conversationId)
      .map(({ lockedUntil: _l, ...e }) => structuredClone(e) as OutboxEvent);
  }

  async hasHandoffRequest(conversationId: string): Promise<boolean> {
    return this.outbox.some((e) => e.conversationId === conversationId && e.type === 'handoff.requested');
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
    return queuePositionIn(this.convs.values(), queue, requestedAt, conversationId);
  }

  async recentJoinDelays(queue: QueueName, limit: number): Promise<number[]> {
    return this.joins
      .filter((j) => j.queue === queue)
      .slice(0, limit)
      .map((j) => j.delay);
  }

  async getSetting(key: string): Promise<string | undefined> {
    return this.settings.get(key);
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    if (value === null) this.settings.delete(key);
    else this.settings.set(key, value);
  }

  async swapSetting(key: string, expected: string | undefined, value: string): Promise<boolean> {
    if (this.settings.get(key) !== expected) return false;
    this.settings.set(key, value);
    return true;
  }

  async conversationsCreated(from: string, to: string): Promise<ConversationRecord[]> {
    const convs = [...this.convs.values()]
      .filter((c) => c.createdAt >= from && c.createdAt < to)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    return convs.map((c) => ({
      state: structuredClone(c),
      messages: this.messages.filter((m) => m.conversationId === c.id).map((m) => structuredClone(m)),
      handoffs: [...handoffsOf(this.outbox, c.id), ...structuredClone(this.erasedHandoffs.get(c.id) ?? [])],
    }));
  }

  async queuedHandoffs(): Promise<Partial<Record<QueueName, number>>> {
    return queuedCounts(this.convs.values());
  }

  async handedOff(limit: number): Promise<ConversationState[]> {
    return handedOffIn(
      [...this.convs.values()].filter((c) => !this.erased.has(c.id)),
      limit,
    );
  }

  async inboxMarks(): Promise<InboxMark[]> {
    return [...this.marks.values()].map((m) => structuredClone(m));
  }

  async setInboxMark(mark: InboxMark): Promise<void> {
    this.marks.set(mark.key, structuredClone(mark));
  }

  async linkChannel(ref: ChannelRef): Promise<ChannelRef> {
    const existing = await this.channelRefByExternal(ref.channelId, ref.conversation.id);
    // As in SQL (a foreign key): only a new reference needs its conversation to exist.
    if (!existing && !this.convs.has(ref.conversationId)) throw conversationNotFound(ref.conversationId);
    const stored = existing ? { ...ref, conversationId: existing.conversationId } : ref;
    this.refs.set(stored.conversationId, structuredClone(stored));
    return structuredClone(stored);
  }

  async channelRef(conversationId: string): Promise<ChannelRef | undefined> {
    const r = this.refs.get(conversationId);
    return r ? structuredClone(r) : undefined;
  }

  async channelRefByExternal(channelId: string, externalConversationId: string): Promise<ChannelRef | undefined> {
    for (const r of this.refs.values())
      if (r.channelId === channelId && r.conversation.id === externalConversationId) return structuredClone(r);
    return undefined;
  }

  async searchConversations(q: PrivacySearch): Promise<string[]> {
    const squeeze = (t: string) => t.toLowerCase().replace(/[ ./()-]/g, '');
    const hit = (t: string | undefined) =>
      t !== undefined &&
      (q.needles.some((n) => t.toLowerCase().includes(n.toLowerCase())) ||
        q.digits.some((d) => squeeze(t).includes(d.toLowerCase())));
    const ids = new Set<string>();
    for (const m of this.messages) if (this.live(m.conversationId) && hit(m.text)) ids.add(m.conversationId);
    for (const c of this.convs.values())
      if (this.live(c.id) && c.dialog && hit(JSON.stringify(c.dialog))) ids.add(c.id);
    for (const e of this.outbox) if (hit(e.body)) ids.add(e.conversationId);
    for (const id of notesHits(this.settings, hit)) if (this.live(id)) ids.add(id);
    return [...ids].sort();
  }

  async conversationData(id: string): Promise<ConversationData | undefined> {
    const state = await this.get(id);
    if (!state) return undefined;
    const channelRef = await this.channelRef(id);
    return {
      state,
      messages: await this.transcript(id),
      events: await this.events(id),
      ...(channelRef ? { channelRef } : {}),
      attachments: await this.files.list(id),
      notes: notesOf(this.settings, id),
    };
  }

  async eraseConversation(id: string, _at: Date): Promise<ErasureCounts | undefined> {
    const state = this.live(id) ? this.convs.get(id)! : undefined;
    if (!state) return undefined;
    const take = <T>(list: T[], pick: (x: T) => boolean) => {
      const before = list.length;
      list.splice(0, list.length, ...list.filter((x) => !pick(x)));
      return before - list.length;
    };
    // The figures keep counting the conversation: its messages stay, without their text; its handoff requests too.
    const blanked = this.messages.filter((m) => m.conversationId === id);
    for (const m of blanked) {
      m.text = '';
      delete m.suggestions;
      delete m.clientId;
      delete m.attachments;
    }
    this.erasedHandoffs.set(id, handoffsOf(this.outbox, id));
    eraseSettings(this.settings, id, this.outbox, state.handoff?.id);
    const deadLetters = take(this.outbox, (e) => e.conversationId === id && e.status === 'dead');
    const counts: ErasureCounts = {
      messages: blanked.length,
      outboxEvents: take(this.outbox, (e) => e.conversationId === id),
      deadLetters,
      channelRefs: this.refs.delete(id) ? 1 : 0,
      dialogStates: state.dialog ? 1 : 0,
      attachments: this.files.eraseAll(id),
    };
    const { tokenHash: _t, offered: _o, email: _e, ...rest } = state;
    this.convs.set(id, { ...rest, dialog: null, handoff: null, awaitingCsat: false });
    this.erased.add(id);
    this.queue(id, [{ type: ERASED_EVENT, data: {} }]);
    return counts;
  }

  async inactiveConversations(before: string, limit: number): Promise<string[]> {
    return [...this.convs.values()]
      .filter((c) => this.live(c.id) && c.updatedAt < before)
      .filter((c) => !this.messages.some((m) => m.conversationId === c.id && m.at >= before))
      .sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : a.updatedAt > b.updatedAt ? 1 : a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map((c) => c.id);
  }

  async stripDelivered(before: string, strip: (body: string) => string | undefined): Promise<number> {
    let n = 0;
    for (const e of this.outbox) {
      if (e.status !== 'delivered' || !e.deliveredAt || e.deliveredAt >= before || this.stripped.has(e.id)) continue;
      this.stripped.add(e.id);
      const body = strip(e.body);
      if (body !== undefined) [e.body, n] = [body, n + 1];
    }
    return n;
  }

  async compact(): Promise<void> {}

  async appendPrivacyAudit(e: NewPrivacyAudit): Promise<PrivacyAudit> {
    const row = structuredClone({ ...e, id: this.privacyAudit.length + 1 });
    this.privacyAudit.push(row);
    return structuredClone(row);
  }

  async listPrivacyAudit(limit: number): Promise<PrivacyAudit[]> {
    return structuredClone(this.privacyAudit.slice(-limit).reverse());
  }

  /** The editors' audit log and version snapshots, kept with the conversations (one store, like the SQL one). */
  editorStore(): EditorStore {
    return this.editor;
  }

  async close(): Promise<void> {}
}
