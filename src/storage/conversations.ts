import type { Lang, ReplySource } from '../domain/types';

export interface TranscriptLine {
  at: string;
  from: 'customer' | 'bot' | 'agent';
  text: string;
  source?: ReplySource;
  /** Knowledge-base version that produced a bot reply. */
  kbVersion?: string;
}

export interface ConversationState {
  id: string;
  channel: string;
  /** SHA-256 of the customer's bearer token (the token itself is never stored). */
  tokenHash?: string;
  lang?: Lang;
  createdAt: string;
  /** Consecutive replies that were fallbacks. */
  misunderstandings: number;
  transcript: TranscriptLine[];
}

/** Where conversations live. The in-memory store serves tests and the terminal chat; SQL stores come next. */
export interface ConversationStore {
  get(id: string): Promise<ConversationState | undefined>;
  save(state: ConversationState): Promise<void>;
}

export class MemoryConversationStore implements ConversationStore {
  private readonly map = new Map<string, ConversationState>();

  async get(id: string): Promise<ConversationState | undefined> {
    const s = this.map.get(id);
    return s ? structuredClone(s) : undefined;
  }

  async save(state: ConversationState): Promise<void> {
    this.map.set(state.id, structuredClone(state));
  }
}
