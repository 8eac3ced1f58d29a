import { timingSafeEqual } from 'node:crypto';
import { AppError } from './errors';
import type { HandoffState } from './handoff';
import type { AttachmentRef, Lang, ReplySource, Suggestion } from './types';

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
  /** Files sent with the message (photos, PDFs), already stored. */
  attachments?: AttachmentRef[];
  /** The language a bot reply is written in (the widget speaks it too). */
  lang?: Lang;
  /** A bot answer that asks "was this helpful?" (Reply.feedback). */
  feedback?: boolean;
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
  /** Well-formed numbers the back office did not know, at the current step (a second one ends the dialog). */
  notFound?: number;
  /** The message that started the dialog (at most 500 characters), for steps filled from it after a lookup. */
  opening?: string;
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
  /** The customer's email address and what they agreed to receive there (src/engine/email.ts). */
  email?: EmailState;
}

/** Email with the customer (migration 0013_conversation_email): giving the address after the notice is the consent. */
export interface EmailState {
  /** The address the customer typed after the consent notice. */
  address?: string;
  /** When they gave it. */
  consentAt?: string;
  /** They chose to continue by email: agents' replies are mailed while they are not connected. */
  replies?: boolean;
  /** The bot asked for an address: the next message holding one is it ('replies' or 'transcript' afterwards). */
  asking?: 'replies' | 'transcript';
  /** The handoff (id) the offer to continue by email was made for: once per handoff. */
  offeredFor?: string;
  /** Transcripts mailed so far (a bounded number per conversation). */
  transcripts?: number;
}

/** A new conversation: the bot talking, nothing asked yet. */
export function newConversationState(o: {
  id: string;
  at: string;
  channel: string;
  lang?: Lang;
  tokenHash?: string;
}): ConversationState {
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

/**
 * Whether `tokenHash` (hex SHA-256 of a bearer token) is the conversation's own, in constant time: the one check for
 * the engine's turn and the widget's other requests. An unknown conversation or one without a token never matches.
 */
export function ownsToken(state: Pick<ConversationState, 'tokenHash'> | undefined, tokenHash: string): boolean {
  const a = state?.tokenHash ? Buffer.from(state.tokenHash, 'hex') : undefined;
  const b = Buffer.from(tokenHash, 'hex');
  return a !== undefined && a.length === b.length && b.length > 0 && timingSafeEqual(a, b);
}

/** The one refusal for a conversation's token: the same for an unknown conversation, so none is revealed. */
export const wrongToken = () => new AppError('UNAUTHORIZED', 'unknown conversation or wrong token', 401);

/** A genuine token of a conversation idle too long: the client starts a new conversation. */
export const tokenExpired = (idleMs: number) =>
  new AppError(
    'TOKEN_EXPIRED',
    `this conversation was inactive for more than ${Math.round(idleMs / 3_600_000)} h and its token has expired: start a new conversation`,
    401,
  );

/**
 * The token check of a customer's request: `tokenHash` must be the conversation's own (wrongToken otherwise), and the
 * conversation must have been active within `idleMs` (tokenExpired otherwise: a leaked token does not live forever).
 */
export function checkToken(
  state: Pick<ConversationState, 'tokenHash' | 'updatedAt'> | undefined,
  tokenHash: string,
  now: Date,
  idleMs: number,
): void {
  if (!ownsToken(state, tokenHash)) throw wrongToken();
  if (now.getTime() - Date.parse(state!.updatedAt) > idleMs) throw tokenExpired(idleMs);
}
