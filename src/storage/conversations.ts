import type { Lang, ReplySource } from '../domain/types';

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
}

/**
 * Conversations, their transcripts, dialog state and satisfaction answers. Implementations: in memory (tests,
 * terminal chat), SQLite (default, a file under data/) and PostgreSQL (DATABASE_URL), with the same test suite.
 */
export interface ConversationStore {
  create(state: ConversationState): Promise<void>;
  get(id: string): Promise<ConversationState | undefined>;
  /** Append messages (customer message before it is processed, so nothing written is lost). */
  append(conversationId: string, messages: NewMessage[]): Promise<MessageRecord[]>;
  /** Save the new state and append the turn's messages atomically (one transaction). */
  saveTurn(state: ConversationState, messages: NewMessage[]): Promise<MessageRecord[]>;
  /** The transcript, oldest first, optionally only after a message id. */
  transcript(conversationId: string, afterId?: number): Promise<MessageRecord[]>;
  close(): Promise<void>;
}

const SENDERS: readonly string[] = ['customer', 'bot', 'agent'] satisfies MessageRecord['from'][];

/** The check the SQL stores' CHECK constraint makes, so every store rejects the same messages. */
function checkSenders(messages: NewMessage[]): void {
  for (const m of messages) if (!SENDERS.includes(m.from)) throw new Error(`invalid message sender ${JSON.stringify(m.from)}`);
}

export class MemoryConversationStore implements ConversationStore {
  private readonly convs = new Map<string, ConversationState>();
  private readonly messages: MessageRecord[] = [];
  private lastId = 0;

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

  async saveTurn(state: ConversationState, messages: NewMessage[]): Promise<MessageRecord[]> {
    if (!this.convs.has(state.id)) throw new Error(`conversation ${state.id} not found`);
    checkSenders(messages); // before any change, as a rejected SQL transaction leaves nothing behind
    this.convs.set(state.id, structuredClone(state));
    return this.append(state.id, messages);
  }

  async transcript(conversationId: string, afterId = 0): Promise<MessageRecord[]> {
    return this.messages.filter((m) => m.conversationId === conversationId && m.id > afterId).map((m) => structuredClone(m));
  }

  async close(): Promise<void> {}
}
