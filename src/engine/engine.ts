import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors';
import { welcomeKey } from '../domain/settings';
import type { IncomingMessage, Lang, Reply } from '../domain/types';
import type { MatchResult } from '../matching/matcher';
import { checkToken, newConversationState, type ConversationState, type MessageRecord } from '../domain/conversation';
import { agentEvent } from './agentEvents';
import * as desk from './desk';
import { EngineCore } from './core';
import type { EngineEvents } from './events';
import { conversationNotFound, type PageQuery } from '../storage/ports';
import type { QueueName } from '../domain/handoff';
import { emailOffer, emailOfferDue } from './email';
import { statusOf, statusReply } from './queue';
import { welcomeReply } from './replies';
import { finishTurn, runTurn } from './turn';
import type { AgentEvent, EngineContent, EngineDeps, EngineOptions, QueueStatus, TurnTrace } from './types';

// The engine's types and decision rule are imported from here by the wiring, channels, editor, scripts and tests.
export { decide, type Decision } from './decide';
export type { DeskAnswer, DeskItem, DeskNote } from './desk';
export type { EngineEventMap, EngineEventName, EngineListener, EngineEvents, MessageOrigin } from './events';
export {
  DEFAULT_ENGINE_OPTIONS,
  type AgentEvent,
  type EngineContent,
  type EngineDeps,
  type EngineObserver,
  type EngineOptions,
  type QueueStatus,
  type TurnTrace,
} from './types';

/**
 * One conversation turn: language, matching and the decision (answer, clarify, fallback, handoff request,
 * small talk), dialogs and their interruptions, the satisfaction question. Channels translate to and from
 * IncomingMessage/Reply; the engine never sees HTTP. Every turn is persisted: the customer's message before it
 * is processed, the new state and the replies together.
 *
 * This facade orders the work per conversation and pins the content of each turn; the parts live in turn.ts
 * (understanding and buttons), dialogTurn.ts, handoffFlow.ts, agentEvents.ts, queue.ts and replies.ts.
 */
export class Engine {
  readonly options: EngineOptions;
  /** For live streams and proactive channels: stored messages, agents typing, publications (see EngineEventMap). */
  readonly events: EngineEvents;
  private readonly core: EngineCore;
  /** Turns of one conversation run one after the other (per-conversation order). */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(deps: EngineDeps) {
    this.core = new EngineCore(deps);
    this.options = this.core.options;
    this.events = this.core.events;
    // One subscription per process to what other instances write, fanned out to every stream and channel here.
    this.core.store.changes?.watch((c) =>
      c.typing === undefined
        ? this.events.emit('remote', c.conversationId)
        : this.events.emit('remote', c.conversationId, c.typing),
    );
  }

  get kbVersion(): string {
    return this.core.c.kb.version;
  }

  /** The published content (editors' tools: try a question, self-test). */
  get content(): EngineContent {
    return this.core.c;
  }

  /**
   * Switch to new content, built completely beforehand: one reference changes, so every answer comes from one
   * whole version; turns already running finish with the version they started with.
   */
  publish(content: EngineContent): void {
    this.core.publish(content);
    this.events.emit('published', content.kb.version);
  }

  async createConversation(opts: { channel: string; lang?: Lang; tokenHash?: string }): Promise<ConversationState> {
    const state = newConversationState({ id: randomUUID(), at: this.core.now().toISOString(), ...opts });
    await this.core.store.create(state);
    return state;
  }

  async getConversation(id: string): Promise<ConversationState | undefined> {
    return this.core.store.get(id);
  }

  /** The conversation, if `tokenHash` is its token and the token has not expired (401 otherwise). */
  async conversationFor(id: string, tokenHash: string): Promise<ConversationState> {
    const state = await this.core.store.get(id);
    checkToken(state, tokenHash, this.core.now(), this.core.options.tokenIdleMs);
    return state!;
  }

  /**
   * A signed link brought the customer back (the caller checked it): the conversation's token becomes `tokenHash`,
   * so the device that had the old one is refused (401) and starts afresh. It counts as activity (the token's idle
   * time starts again). In the conversation's turn order, so a turn running here does not save the old hash back.
   */
  resumeConversation(id: string, tokenHash: string): Promise<ConversationState> {
    return this.serialized(id, async () => {
      const state = await this.core.store.get(id);
      if (!state) throw conversationNotFound(id);
      const resumed = { ...state, tokenHash, updatedAt: this.core.now().toISOString() };
      await this.core.store.saveTurn(resumed, []);
      return resumed;
    });
  }

  /** The whole transcript (tests, tools); request paths read pages (messagesPage) instead. */
  async transcript(id: string, afterId?: number): Promise<MessageRecord[]> {
    return this.core.store.transcript(id, afterId);
  }

  /** One page of the transcript (live streams, GET messages): requests never read a whole transcript. */
  messagesPage(id: string, q: PageQuery): Promise<MessageRecord[]> {
    return this.core.store.messagesPage(id, q);
  }

  messageCount(id: string): Promise<number> {
    return this.core.store.messageCount(id);
  }

  /** The customer's message sent with this client id, if any (Direct Line recognises a client's retry by it). */
  customerMessage(id: string, clientId: string): Promise<MessageRecord | undefined> {
    return this.core.store.customerMessage(id, clientId);
  }

  handle(msg: IncomingMessage, trace?: TurnTrace): Promise<Reply[]> {
    return this.serialized(msg.conversationId, () => this.core.pinnedRun(() => runTurn(this.core, msg, trace)));
  }

  /** Run `fn` after the conversation's previous turns (per-conversation order within this process). */
  private serialized<T>(conversationId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(conversationId) ?? Promise.resolve();
    const turn = previous.catch(() => undefined).then(fn);
    this.queues.set(conversationId, turn);
    void turn
      .finally(() => {
        if (this.queues.get(conversationId) === turn) this.queues.delete(conversationId);
      })
      .catch(() => undefined);
    return turn;
  }

  /**
   * The greeting of a conversation that has no messages yet (a channel that opens the conversation itself: the bot
   * added in Teams, Web Chat's join), in `lang` or the conversation's language; nothing for a conversation already under way.
   * It is the knowledge base's 'greeting' small-talk entry, so editors change it like any answer.
   */
  welcome(conversationId: string, lang?: Lang): Promise<Reply[]> {
    return this.serialized(conversationId, async () => {
      const state = await this.core.store.get(conversationId);
      if (!state) throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${conversationId}" not found`, 404);
      const reply = welcomeReply(this.core.c, lang ?? state.lang ?? this.options.defaultLang);
      if (!reply || (await this.core.store.messagesPage(conversationId, { limit: 1 })).length > 0) return [];
      // Once across instances (two joins or two conversationUpdates handled at once on two instances).
      if (!(await this.core.store.swapSetting(welcomeKey(conversationId), undefined, this.core.now().toISOString())))
        return [];
      // Stored like a bot reply (with its buttons), so that every replay shows it once.
      return finishTurn(this.core, state, [reply]);
    });
  }

  /**
   * A bot message outside a turn, in the conversation's language (a channel's notice, e.g. "please slow down"):
   * stored, so that live streams and replays show it. Nothing for an unknown conversation.
   */
  notice(conversationId: string, text: Record<Lang, string>): Promise<void> {
    return this.serialized(conversationId, async () => {
      const state = await this.core.store.get(conversationId);
      if (!state) return;
      const at = this.core.now().toISOString();
      const lang = state.lang ?? this.options.defaultLang;
      const saved = await this.core.store.append(conversationId, [
        { at, from: 'bot', text: text[lang], source: { kind: 'fallback' } },
      ]);
      this.events.emit('message', conversationId, saved, 'turn');
    });
  }

  /**
   * Where the customer is in the queue, or when agents are back. Live streams ask it all the time: when nobody has
   * joined for HANDOFF_EMAIL_AFTER_MS, the offer to continue by email is stored here (once per handoff).
   */
  async queueStatus(conversationId: string): Promise<QueueStatus | undefined> {
    const state = await this.core.store.get(conversationId);
    if (!state?.handoff) return undefined;
    if (emailOfferDue(this.core, state)) await this.offerEmail(conversationId);
    return statusOf(this.core, state);
  }

  /**
   * The offers to continue by email that are due (queued for HANDOFF_EMAIL_AFTER_MS, or agents away), among the
   * `limit` oldest handoffs: posted to their customers outside any turn (the offers job, emailJob.ts, runs it on
   * every instance; each offer is made once). How many this call made.
   */
  async offerDueEmails(limit = 500): Promise<number> {
    if (!this.core.email) return 0;
    let made = 0;
    for (const state of await this.core.store.handedOff(limit))
      if (emailOfferDue(this.core, state) && (await this.offerEmail(state.id))) made++;
    return made;
  }

  /**
   * The offer to continue by email, stored like a bot reply and announced as the bot's (proactive channels send
   * it), checked again in the conversation's turn order. True when it was made here.
   */
  private offerEmail(conversationId: string): Promise<boolean> {
    return this.serialized(conversationId, async () => {
      const state = await this.core.store.get(conversationId);
      if (!state?.handoff) return false;
      const offer = await emailOffer(this.core, state, state.lang ?? state.handoff.lang);
      if (offer.length) await finishTurn(this.core, state, offer, [], 'bot');
      return offer.length > 0;
    });
  }

  /** What the customer is told about the queue (place and wait, or when agents are back), for proactive updates. */
  async queueReply(conversationId: string, lang: Lang): Promise<Reply | undefined> {
    const state = await this.core.store.get(conversationId);
    if (!state?.handoff) return undefined;
    return statusReply(this.core, state, lang);
  }

  /** An agent's event: join, message, typing, or hand the conversation back to the bot. */
  agentEvent(e: AgentEvent, inboundId?: string): Promise<void> {
    return this.serialized(e.conversationId, () => agentEvent(this.core, e, inboundId));
  }

  /** The agent desk (desk.ts): the conversations with a person, each with a preview. */
  deskList(limit: number): Promise<desk.DeskItem[]> {
    return desk.deskList(this.core, limit);
  }

  /** A conversation the desk may read: is or was with a person (404 like an unknown id otherwise). */
  deskConversation(conversationId: string): Promise<ConversationState> {
    return desk.deskConversation(this.core, conversationId);
  }

  /** `agent` takes the conversation (one agent wins across instances; 409 naming who has it otherwise). */
  claim(conversationId: string, agent: string): Promise<void> {
    return this.serialized(conversationId, () => desk.claim(this.core, conversationId, agent));
  }

  /** An event of the desk's agent, refused (409) unless that agent holds the conversation. */
  deskEvent(e: Exclude<AgentEvent, { type: 'agent.joined' }>, agent: string): Promise<void> {
    return this.serialized(e.conversationId, async () => {
      await desk.heldBy(this.core, e.conversationId, agent);
      await agentEvent(this.core, e);
    });
  }

  /** Back to waiting in another queue; the customer is told. */
  transfer(conversationId: string, queue: QueueName, agent: string): Promise<void> {
    return this.serialized(conversationId, () => desk.transfer(this.core, conversationId, queue, agent));
  }

  /** The desk's notes of a conversation (no access check: the stream polls it, once deskConversation passed). */
  notes(conversationId: string): Promise<desk.DeskNote[]> {
    return desk.notes(this.core, conversationId);
  }

  addNote(conversationId: string, agent: string, text: string): Promise<desk.DeskNote> {
    return desk.addNote(this.core, conversationId, agent, text);
  }

  /** Knowledge-base answers to `text`, in `lang`, for an agent to paste. */
  searchAnswers(text: string, lang: Lang): desk.DeskAnswer[] {
    return desk.searchAnswers(this.core, text, lang);
  }

  /** Match one text without a conversation (editors' "try a question", eval, tests). */
  match(text: string, lang: Lang): MatchResult {
    return this.core.match(text, lang);
  }
}
