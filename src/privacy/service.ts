import { AppError } from '../domain/errors';
import type { ConversationData, ErasureCounts, PrivacyAudit } from '../domain/privacy';
import { stripEventBody } from '../domain/privacy';
import { phoneKey, phoneKeysIn } from '../nlp/pii';
import type { OutboxStore, PrivacySearch, PrivacyStore } from '../storage/ports';
import { emailOfferKey, emailThreadKey, presenceKey } from '../domain/handoff';

/** How a customer is recognised: any of these (a conversation matches if it matches one). */
export interface PrivacyQuery {
  conversationId?: string;
  email?: string;
  phone?: string;
  order?: string;
}

export interface PrivacyOptions {
  /** RETENTION_DAYS: conversations without activity for longer are erased by the retention job. */
  retentionDays: number;
  /** OUTBOX_TRANSCRIPT_DAYS: delivered webhook bodies keep their transcript and contact details this long. */
  outboxTranscriptDays: number;
  now?: () => Date;
}

/** Told about long work (the command line shows it). */
export type Progress = (done: number, total: number) => void;

export type ErasureTotals = ErasureCounts & { conversations: number };

const DAY_MS = 86_400_000;
const ZERO: ErasureTotals = {
  conversations: 0,
  messages: 0,
  outboxEvents: 0,
  deadLetters: 0,
  channelRefs: 0,
  dialogStates: 0,
  attachments: 0,
};
/** Conversations the retention job erases per store query (it loops until none is left). */
const RETENTION_BATCH = 200;

const invalid = (message: string) => new AppError('INVALID_PRIVACY_QUERY', message, 400);
// Separators a customer may type inside a phone or order number ("MV 1234567", "06.12.34.56.78").
const squeeze = (s: string) => s.toLowerCase().replace(/[ ./()-]/g, '');

/** The query checked: at least one criterion, each one usable (a message naming the value at fault). */
export function checkQuery(q: PrivacyQuery): PrivacyQuery {
  const out: PrivacyQuery = {};
  const conversationId = q.conversationId?.trim();
  const email = q.email?.trim();
  const phone = q.phone?.trim();
  const order = q.order?.trim();
  if (conversationId) {
    if (conversationId.length > 128) throw invalid(`conversationId "${conversationId.slice(0, 40)}…" is too long`);
    out.conversationId = conversationId;
  }
  if (email) {
    const at = email.indexOf('@');
    if (email.length > 254 || at < 1 || at === email.length - 1 || /\s/.test(email))
      throw invalid(`email "${email.slice(0, 80)}" is not an email address`);
    out.email = email;
  }
  if (phone) {
    if (phone.length > 40 || !phoneKey(phone))
      throw invalid(`phone "${phone.slice(0, 40)}" is not a phone number (at least 8 digits)`);
    out.phone = phone;
  }
  if (order) {
    if (order.length > 64 || squeeze(order).length < 4)
      throw invalid(`order "${order.slice(0, 64)}" is not an order number (4 to 64 characters)`);
    out.order = order;
  }
  if (!Object.keys(out).length) throw invalid('give a conversationId, an email, a phone or an order number');
  return out;
}

/** All the text stored for a conversation, where a phone number is looked for. */
function textsOf(d: ConversationData): string[] {
  return [...d.messages.map((m) => m.text), JSON.stringify(d.state.dialog ?? {}), ...d.events.map((e) => e.body)];
}

/** A conversation as its customer gets it (GDPR article 15): everything stored, in plain JSON. */
export function exportConversation(d: ConversationData) {
  const parse = (body: string) => {
    try {
      return (JSON.parse(body) as { data?: Record<string, unknown> }).data ?? {};
    } catch {
      return {};
    }
  };
  const { state } = d;
  return {
    conversationId: state.id,
    channel: state.channel,
    language: state.lang ?? null,
    createdAt: state.createdAt,
    lastActivityAt: state.updatedAt,
    satisfaction: state.csat,
    messages: d.messages.map(({ conversationId: _c, ...m }) => m),
    dialog: state.dialog
      ? {
          dialogId: state.dialog.dialogId,
          step: state.dialog.step,
          answers: state.dialog.slots,
          records: state.dialog.records ?? {},
        }
      : null,
    handoff: state.handoff,
    handoffs: d.events
      .filter((e) => e.type === 'handoff.requested')
      .map((e) => ({ ...parse(e.body), status: e.status, deliveredAt: e.deliveredAt ?? null })),
    webhookEvents: d.events.map((e) => ({
      type: e.type,
      status: e.status,
      createdAt: e.createdAt,
      deliveredAt: e.deliveredAt ?? null,
      data: parse(e.body),
    })),
    channelReference: d.channelRef ?? null,
    // The files' references (names, types, sizes); each file is downloaded with the conversation's token.
    attachments: d.attachments ?? [],
  };
}

export type ConversationExport = ReturnType<typeof exportConversation>;

/**
 * A customer's data: find their conversations (by conversation id, email, phone or order number, in the messages,
 * dialog answers and handoff contact details), export them, erase them (with a `conversation.erased` webhook and
 * an audit line without personal data), and the retention of conversations and delivered webhook bodies.
 */
export class Privacy {
  private readonly now: () => Date;

  constructor(
    /** With the settings: a conversation's mail thread (Message-IDs) goes with its erasure. */
    private readonly store: PrivacyStore & Pick<OutboxStore, 'setSetting'>,
    private readonly options: PrivacyOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Ids of the customer's conversations (not erased), sorted. */
  async find(query: PrivacyQuery): Promise<string[]> {
    const q = checkQuery(query);
    const ids = new Set<string>();
    if (q.conversationId && (await this.store.conversationData(q.conversationId))) ids.add(q.conversationId);
    const search: PrivacySearch = {
      needles: q.email ? [q.email] : [],
      digits: q.order ? [squeeze(q.order)] : [],
    };
    if (search.needles.length || search.digits.length)
      for (const id of await this.store.searchConversations(search)) ids.add(id);
    const key = q.phone ? phoneKey(q.phone) : undefined;
    if (key)
      // The store finds the digits; a number found in the conversation's text must then be that number.
      for (const id of await this.store.searchConversations({ needles: [], digits: [key] })) {
        const d = await this.store.conversationData(id);
        if (d && textsOf(d).some((t) => phoneKeysIn(t).includes(key))) ids.add(id);
      }
    return [...ids].sort();
  }

  /** The customer's conversations as JSON (audited: who, which conversations, how many). */
  async export(query: PrivacyQuery, by: string) {
    const ids = await this.find(query);
    const conversations: ConversationExport[] = [];
    for (const id of ids) {
      const d = await this.store.conversationData(id);
      if (d) conversations.push(exportConversation(d));
    }
    const exportedAt = this.now().toISOString();
    const messages = conversations.reduce((n, c) => n + c.messages.length, 0);
    await this.audit('export', by, ids, { conversations: ids.length, messages });
    return { exportedAt, conversations };
  }

  /** Erases the customer's conversations everywhere; the counts of what was removed. */
  async erase(query: PrivacyQuery, by: string, progress?: Progress) {
    const ids = await this.find(query);
    const counts = await this.eraseIds(ids, progress);
    // The erased text must not stay readable in the database files (free pages, WAL).
    if (ids.length) await this.store.compact();
    await this.audit('erase', by, ids, counts);
    return { conversations: ids, counts };
  }

  /**
   * The daily retention: erases conversations without activity for RETENTION_DAYS and strips the transcript and
   * contact details from webhook bodies delivered more than OUTBOX_TRANSCRIPT_DAYS ago.
   */
  async retention(by = 'retention', progress?: Progress) {
    const now = this.now().getTime();
    const before = new Date(now - this.options.retentionDays * DAY_MS).toISOString();
    const erased: string[] = [];
    let counts = { ...ZERO };
    for (;;) {
      const batch = await this.store.inactiveConversations(before, RETENTION_BATCH);
      if (!batch.length) break;
      counts = add(counts, await this.eraseIds(batch, progress && ((d) => progress(erased.length + d, 0))));
      erased.push(...batch);
    }
    const strippedBefore = new Date(now - this.options.outboxTranscriptDays * DAY_MS).toISOString();
    const strippedEvents = await this.store.stripDelivered(strippedBefore, stripEventBody);
    if (erased.length || strippedEvents) await this.store.compact();
    if (erased.length || strippedEvents) await this.audit('retention', by, erased, { ...counts, strippedEvents });
    return { erased, counts, strippedEvents };
  }

  /** An admin revealed a masked inbox message of `conversationId`. */
  async revealed(by: string, conversationId: string): Promise<void> {
    await this.audit('reveal', by, [conversationId], { messages: 1 });
  }

  /** The privacy audit, newest first. */
  auditLog(limit: number): Promise<PrivacyAudit[]> {
    return this.store.listPrivacyAudit(limit);
  }

  private async eraseIds(ids: string[], progress?: Progress): Promise<ErasureTotals> {
    let counts = { ...ZERO };
    for (const [i, id] of ids.entries()) {
      const c = await this.store.eraseConversation(id, this.now());
      // The Message-IDs its mails were threaded on go with it, when its customer was last reading live, its offer.
      if (c)
        for (const key of [emailThreadKey(id), presenceKey(id), emailOfferKey(id)])
          await this.store.setSetting(key, null);
      if (c) counts = add(counts, { ...c, conversations: 1 });
      progress?.(i + 1, ids.length);
    }
    return counts;
  }

  private async audit(action: PrivacyAudit['action'], by: string, ids: string[], counts: Record<string, number>) {
    await this.store.appendPrivacyAudit({ at: this.now().toISOString(), by, action, conversationIds: ids, counts });
  }
}

function add(a: ErasureTotals, b: ErasureTotals): ErasureTotals {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof ErasureTotals)[]) out[k] += b[k];
  return out;
}
