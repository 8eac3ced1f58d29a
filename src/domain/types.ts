/** Languages the product speaks. Order matters: it is the fallback order for missing translations. */
export const LANGS = ['fr', 'ro', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const isLang = (x: unknown): x is Lang => typeof x === 'string' && (LANGS as readonly string[]).includes(x);

export type PerLang<T> = Partial<Record<Lang, T>>;

/** faq: answered; smalltalk: greetings and the like; handoff: asks for a person; outofscope: examples of
 * what the shop does not answer (the bot gives its honest fallback instead of a near-miss answer). */
export type EntryKind = 'faq' | 'smalltalk' | 'handoff' | 'outofscope';

export interface KbEntry {
  id: string;
  kind: EntryKind;
  topic: string;
  title: PerLang<string>;
  questions: PerLang<string[]>;
  answer: PerLang<string>;
  tags: string[];
  products: string[];
  followUps: string[];
  dialog?: string;
  /** After the answer, hand the conversation to a person (e.g. complaints). */
  handoff?: boolean;
  /** Where the entry is defined, for error messages and editors. */
  source: { file: string; line: number };
}

export interface KbTopic {
  id: string;
  title: PerLang<string>;
  file: string;
}

/** Synonyms per language: folded variant word/phrase -> folded canonical word/phrase. */
export type SynonymMap = PerLang<Record<string, string>>;

export interface KnowledgeBase {
  entries: KbEntry[];
  topics: KbTopic[];
  synonyms: SynonymMap;
  /** Content hash of the loaded files: the published version id. */
  version: string;
}

export type ReplyKind = 'faq' | 'clarify' | 'dialog' | 'fallback' | 'handoff' | 'smalltalk' | 'agent' | 'feedback';

export interface Suggestion {
  /** Button label shown to the customer. */
  label: string;
  /** String value sent back when clicked (Web Chat rejects object values). */
  value: string;
}

export interface ReplySource {
  kind: ReplyKind;
  id?: string;
  confidence?: number;
}

export interface Reply {
  text: string;
  suggestions?: Suggestion[];
  source: ReplySource;
  lang: Lang;
  /**
   * Ask "was this helpful?" under this answer (an FAQ answer: `source.id` is its entry). Channels only translate it
   * into their buttons, whose values are `feedbackAction(vote, source.id)`.
   */
  feedback?: boolean;
}

export type FeedbackVote = 'up' | 'down';

/** The value of a feedback button: the engine records the vote on the entry (turn.ts). */
export const feedbackAction = (vote: FeedbackVote, entryId: string) => `feedback:${vote}:${entryId}`;

/** The vote and the entry of a feedback button's value, or undefined for any other value. */
export function parseFeedback(action: string | undefined): { vote: FeedbackVote; entryId: string } | undefined {
  const m = action === undefined ? null : /^feedback:(up|down):([a-z0-9][a-z0-9-]{0,79})$/.exec(action);
  return m ? { vote: m[1] as FeedbackVote, entryId: m[2]! } : undefined;
}

/**
 * A file a customer (or an agent) sent, as messages carry it: the stored file's own name, type and size (a re-encoded
 * JPEG stays image/jpeg, its size is the stored bytes'). The bytes live behind the attachment store port.
 */
export interface AttachmentRef {
  id: string;
  name: string;
  contentType: string;
  size: number;
}

/** What a channel hands to the engine: text typed, or the value of a clicked button. */
export interface IncomingMessage {
  conversationId: string;
  text?: string;
  action?: string;
  channel: string;
  /**
   * SHA-256 (hex) of the bearer token the channel received, when the conversation's own token authorises the message
   * (widget): the engine checks it against the conversation it reads for the turn, so the conversation is read once.
   */
  tokenHash?: string;
  /** The id the sending client gave its message (Direct Line's clientActivityID), stored to be echoed back. */
  clientId?: string;
  /** Files sent with the message, already checked and stored by the channel (the engine and dialogs see them). */
  attachments?: AttachmentRef[];
}
