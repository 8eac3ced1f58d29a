import type { AttachmentRef, FeedbackVote, KbEntry, KnowledgeBase, Lang, ReplyKind } from '../domain/types';
import type { HandoffReason, NewOutboxEvent, OutboxTarget, QueueName } from '../domain/handoff';
import { DEFAULT_THRESHOLDS } from '../domain/thresholds';
import type { PublishedContent } from '../content/build';
import type { Matcher, MatchResult } from '../matching/matcher';
import type { LanguageDetector } from '../nlp/language';
import type { DialogRunner } from '../dialogs/runner';
import type { ConversationStore, TurnEffects } from '../storage/ports';
import type { BusinessHours } from '../handoff/policy';
import type { TranscriptLinks } from '../handoff/transcriptLink';
import type { AttachmentLinks } from '../handoff/attachmentLink';

export interface EngineOptions {
  /** Answer when the match confidence is at least this and no other entry is close. */
  answerThreshold: number;
  /** Two entries are "close" when their scores differ by less than this: ask "did you mean A or B?"... */
  clarifyMargin: number;
  /** ...provided the confidence is at least this; below it, the honest fallback. */
  clarifyThreshold: number;
  /** Language of a conversation before the customer writes anything recognizable. */
  defaultLang: Lang;
  /** Longer messages are matched on their beginning only. */
  maxTextLength: number;
  /** Main topics offered by the fallback. */
  fallbackTopics: number;
  /** Customers' conversation tokens expire after this much inactivity (WIDGET_TOKEN_IDLE_DAYS). */
  tokenIdleMs: number;
  /** Longest message stored (customer's or agent's), MAX_MESSAGE_CHARS: longer ones are cut, with a marker. */
  maxMessageChars: number;
  /** Stored messages per conversation, MAX_MESSAGES_PER_CONVERSATION: past it the bot offers to start again. */
  maxMessagesPerConversation: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  ...DEFAULT_THRESHOLDS, // chosen with `npm run tune`
  defaultLang: 'fr',
  maxTextLength: 1000,
  fallbackTopics: 4,
  tokenIdleMs: 30 * 86_400_000,
  maxMessageChars: 2000,
  maxMessagesPerConversation: 500,
};

/** Told what happens, for metrics (the engine does not know where figures go). Every hook is optional. */
export interface EngineObserver {
  /** A customer message was received on `channel`. */
  received?(channel: string): void;
  /** A message was stored for the customer (bot reply, join notice, agent message), by source kind. */
  replied?(kind: ReplyKind): void;
  /** One matcher call took `seconds`. */
  matched?(seconds: number): void;
  handoff?(reason: HandoffReason, queue: QueueName): void;
  /** A 👍/👎 on an answer from a knowledge-base entry of the published content (so the entries are a bounded set). */
  feedback?(vote: FeedbackVote, entryId: string): void;
}

/** Everything built from the content files (knowledge base and dialogs): published as one unit (content/build.ts). */
export type EngineContent = PublishedContent;

/** Published content plus what the engine derives from it. */
export interface Live extends EngineContent {
  byId: Map<string, KbEntry>;
}

export interface EngineDeps {
  kb: KnowledgeBase;
  /** Dialogs (after-sales requests); without them, entries that start a dialog are answered as FAQ. */
  dialogs?: DialogRunner;
  /**
   * Handoff to people: which triggers are on (default all), opening hours per queue, and the signer of the
   * transcript URL sent in handoff.requested.
   */
  handoff?: {
    triggers?: ReadonlySet<HandoffReason>;
    hours?: BusinessHours;
    transcriptLinks?: TranscriptLinks;
    /** Signs the download URL of each file in handoff.requested. */
    attachmentLinks?: AttachmentLinks;
    /**
     * Outbox targets besides the webhook that receive a copy of each handoff event (handoff.requested,
     * conversation.message, conversation.closed): 'chatwoot' when Chatwoot is the agents' tool.
     */
    relays?: readonly OutboxTarget[];
    /** Email with the customer when nobody is online (SMTP_URL set): see ./email.ts. */
    email?: EmailOptions;
  };
  matcher: Matcher;
  detector: LanguageDetector;
  store: ConversationStore;
  options?: Partial<EngineOptions>;
  now?: () => Date;
  observer?: EngineObserver;
}

/** HANDOFF_EMAIL_AFTER_MS and HANDOFF_EMAIL_GRACE_MS. */
export interface EmailOptions {
  /** A queued handoff no agent has joined after this long gets the offer to continue by email. */
  afterMs: number;
  /** An agent's reply is mailed this long after it arrives, unless the customer read it live meanwhile. */
  graceMs: number;
}

/** What agents send back (POST /api/agent/events, or the terminal desk). */
export type AgentEvent =
  | { type: 'agent.joined'; conversationId: string; agent: { name: string } }
  | {
      type: 'agent.message';
      conversationId: string;
      text: string;
      agent: { name: string };
      /** Files the agent sent, already checked and stored by the agents' channel. */
      attachments?: AttachmentRef[];
    }
  | { type: 'agent.typing'; conversationId: string; agent: { name: string } }
  | { type: 'handoff.completed'; conversationId: string; note?: string };

export interface QueueStatus {
  queue: QueueName;
  status: 'queued' | 'active';
  position: number;
  /** Absent when the data does not support an estimate (see estimateWait in queue.ts). */
  estimatedWaitMs?: number;
  open: boolean;
  agentName?: string;
}

/** Effects collected during one turn, written with it. */
export interface TurnContext {
  handoff?: { reason: HandoffReason; queue: QueueName };
  /** The message was matched and understood by nothing (not an empty message, not an out-of-scope question). */
  misunderstood?: boolean;
  events: NewOutboxEvent[];
  joined?: TurnEffects['joined'];
  /** Files sent with the message, until the dialog step (or the reply) that takes them removes them. */
  attachments?: AttachmentRef[];
}

/** Why the engine answered as it did: for editors, tests and the terminal chat. */
export interface TurnTrace {
  lang: Lang;
  match?: MatchResult;
}
