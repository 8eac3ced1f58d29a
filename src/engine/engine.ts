import { timingSafeEqual } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors';
import {
  LANGS,
  type IncomingMessage,
  type KbEntry,
  type KnowledgeBase,
  type Lang,
  type Reply,
  type ReplyKind,
  type Suggestion,
} from '../domain/types';
import type { Matcher, MatchResult } from '../matching/matcher';
import { resolveLanguage, type LanguageDetector, type LanguageGuess } from '../nlp/language';
import type { DialogRunner } from '../dialogs/runner';
import { CANCEL_WORDS, DIALOG_MESSAGES, HELP_WORDS } from '../dialogs/messages';
import { EMAIL } from '../dialogs/slots';
import { fold } from '../nlp/normalize';
import {
  newConversationState,
  type ConversationState,
  type MessageRecord,
  type NewMessage,
} from '../domain/conversation';
import {
  HANDOFF_REASONS,
  type HandoffReason,
  type HandoffState,
  type NewOutboxEvent,
  type QueueName,
} from '../domain/handoff';
import type { ConversationStore, TurnEffects } from '../storage/ports';
import { AsyncLocalStorage } from 'node:async_hooks';
import { HANDOFF_MESSAGES, formatOpening } from '../handoff/messages';
import { AngerDetector, BusinessHours, queueFor } from '../handoff/policy';
import { MESSAGES } from './messages';
import { EngineEvents } from './events';

/** Constant-time comparison of two hex SHA-256 digests (a missing one never matches). */
function sameTokenHash(stored: string | undefined, given: string): boolean {
  const a = stored ? Buffer.from(stored, 'hex') : undefined;
  const b = Buffer.from(given, 'hex');
  return a !== undefined && a.length === b.length && b.length > 0 && timingSafeEqual(a, b);
}

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
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  // Chosen with `npm run tune` on test/conversations/dev (never on the test cases).
  answerThreshold: 0.28,
  clarifyMargin: 0.25,
  clarifyThreshold: 0.28,
  defaultLang: 'fr',
  maxTextLength: 1000,
  fallbackTopics: 4,
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
}

/** Everything built from the content files (knowledge base and dialogs): published as one unit. */
export interface EngineContent {
  kb: KnowledgeBase;
  matcher: Matcher;
  detector: LanguageDetector;
  dialogs?: DialogRunner;
}

/** Published content plus what the engine derives from it. */
interface Live extends EngineContent {
  byId: Map<string, KbEntry>;
}

export interface EngineDeps {
  kb: KnowledgeBase;
  /** Dialogs (after-sales requests); without them, entries that start a dialog are answered as FAQ. */
  dialogs?: DialogRunner;
  /** Handoff to people: which triggers are on (default all) and opening hours per queue. */
  handoff?: { triggers?: ReadonlySet<HandoffReason>; hours?: BusinessHours };
  matcher: Matcher;
  detector: LanguageDetector;
  store: ConversationStore;
  options?: Partial<EngineOptions>;
  now?: () => Date;
  observer?: EngineObserver;
}

export type Decision =
  | { action: 'answer'; id: string; confidence: number }
  | { action: 'clarify'; ids: [string, string]; confidence: number }
  | { action: 'fallback'; id?: string; confidence?: number };

/**
 * The decision rule, on its own so that tuning and tests use exactly what the bot does: answer when confident
 * and no other entry is close; "did you mean" when two entries are close; otherwise the honest fallback
 * (always for messages that resemble the out-of-scope examples).
 */
export function decide(
  match: MatchResult,
  kindOf: (id: string) => KbEntry['kind'] | undefined,
  o: Pick<EngineOptions, 'answerThreshold' | 'clarifyThreshold' | 'clarifyMargin'>,
): Decision {
  const [c1, c2] = match.candidates;
  if (!c1) return { action: 'fallback' };
  const confidence = match.confidence;
  if (kindOf(c1.id) === 'outofscope') return { action: 'fallback', id: c1.id, confidence };
  const close = c2 !== undefined && c1.score - c2.score < o.clarifyMargin;
  if (confidence >= o.answerThreshold && !close) return { action: 'answer', id: c1.id, confidence };
  if (close && kindOf(c2.id) !== 'outofscope' && confidence >= o.clarifyThreshold)
    return { action: 'clarify', ids: [c1.id, c2.id], confidence };
  return { action: 'fallback', confidence };
}

/** What agents send back (POST /api/agent/events, or the terminal desk). */
export type AgentEvent =
  | { type: 'agent.joined'; conversationId: string; agent: { name: string } }
  | { type: 'agent.message'; conversationId: string; text: string; agent: { name: string } }
  | { type: 'agent.typing'; conversationId: string; agent: { name: string } }
  | { type: 'handoff.completed'; conversationId: string; note?: string };

export interface QueueStatus {
  queue: QueueName;
  status: 'queued' | 'active';
  position: number;
  estimatedWaitMs: number;
  open: boolean;
  agentName?: string;
}

/** Effects collected during one turn, written with it. */
interface TurnContext {
  handoff?: { reason: HandoffReason; queue: QueueName };
  /** The message was matched and understood by nothing (not an empty message, not an out-of-scope question). */
  misunderstood?: boolean;
  events: NewOutboxEvent[];
  joined?: TurnEffects['joined'];
}

/** Why the engine answered as it did: for editors, tests and the terminal chat. */
export interface TurnTrace {
  lang: Lang;
  match?: MatchResult;
}

/**
 * One conversation turn: language, matching and the decision (answer, clarify, fallback, handoff request,
 * small talk), dialogs and their interruptions, the satisfaction question. Channels translate to and from
 * IncomingMessage/Reply; the engine never sees HTTP. Every turn is persisted: the customer's message before it
 * is processed, the new state and the replies together.
 */
export class Engine {
  readonly options: EngineOptions;
  /** The published content; replaced as a whole by publish(). */
  private live: Live;
  /** The content a turn started with: a turn never mixes two versions. */
  private readonly pinned = new AsyncLocalStorage<Live>();
  private readonly now: () => Date;
  /** Turns of one conversation run one after the other (per-conversation order). */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** For live streams and proactive channels: stored messages, agents typing, publications (see EngineEventMap). */
  readonly events = new EngineEvents();
  private readonly contexts = new WeakMap<ConversationState, TurnContext>();
  private readonly anger = new AngerDetector();
  private readonly triggers: ReadonlySet<HandoffReason>;
  private readonly hours: BusinessHours;

  constructor(private readonly deps: EngineDeps) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...deps.options };
    this.live = liveOf(deps);
    this.now = deps.now ?? (() => new Date());
    this.triggers = deps.handoff?.triggers ?? new Set(HANDOFF_REASONS);
    this.hours = deps.handoff?.hours ?? new BusinessHours();
  }

  private ctx(state: ConversationState): TurnContext {
    let c = this.contexts.get(state);
    if (!c) this.contexts.set(state, (c = { events: [] }));
    return c;
  }

  /** Ask for a person (if this trigger is on); the handoff itself is created when the turn is saved. */
  private requestHandoff(state: ConversationState, reason: HandoffReason, queue: QueueName = 'general'): boolean {
    if (!this.triggers.has(reason) || state.handoff) return false;
    this.ctx(state).handoff ??= { reason, queue };
    return true;
  }

  /** The content of the running turn, or the published one outside turns. */
  private get c(): Live {
    return this.pinned.getStore() ?? this.live;
  }

  get kbVersion(): string {
    return this.c.kb.version;
  }

  /** The published content (editors' tools: try a question, self-test). */
  get content(): EngineContent {
    return this.c;
  }

  /**
   * Switch to new content, built completely beforehand: one reference changes, so every answer comes from one
   * whole version; turns already running finish with the version they started with.
   */
  publish(content: EngineContent): void {
    this.live = liveOf(content);
    this.events.emit('published', content.kb.version);
  }

  async createConversation(opts: { channel: string; lang?: Lang; tokenHash?: string }): Promise<ConversationState> {
    const state = newConversationState({ id: randomUUID(), at: this.now().toISOString(), ...opts });
    await this.deps.store.create(state);
    return state;
  }

  async getConversation(id: string): Promise<ConversationState | undefined> {
    return this.deps.store.get(id);
  }

  async transcript(id: string, afterId?: number): Promise<MessageRecord[]> {
    return this.deps.store.transcript(id, afterId);
  }

  /** The customer's message sent with this client id, if any (Direct Line recognises a client's retry by it). */
  customerMessage(id: string, clientId: string): Promise<MessageRecord | undefined> {
    return this.deps.store.customerMessage(id, clientId);
  }

  handle(msg: IncomingMessage, trace?: TurnTrace): Promise<Reply[]> {
    return this.serialized(msg.conversationId, () => this.pinned.run(this.live, () => this.turn(msg, trace)));
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

  private async turn(msg: IncomingMessage, trace?: TurnTrace): Promise<Reply[]> {
    const state = await this.deps.store.get(msg.conversationId);
    // Same answer for an unknown conversation and a wrong token: do not reveal which conversations exist.
    if (msg.tokenHash !== undefined && !sameTokenHash(state?.tokenHash, msg.tokenHash))
      throw new AppError('UNAUTHORIZED', 'unknown conversation or wrong token', 401);
    if (!state) throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${msg.conversationId}" not found`, 404);
    // Typing the label of a button just offered is clicking it (Teams' imBack, text-only channels, habits).
    if (msg.action === undefined && msg.text !== undefined && state.offered?.length) {
      const typed = fold(msg.text);
      const hit = state.offered.find((s) => fold(s.label) === typed);
      if (hit) msg = { ...msg, action: hit.value };
    }
    // What the customer wrote is stored first: nothing is lost even if processing fails.
    const clientId = msg.clientId ? { clientId: msg.clientId } : {};
    const [customer] = await this.deps.store.append(state.id, [
      msg.action !== undefined
        ? {
            at: this.now().toISOString(),
            from: 'customer',
            text: msg.text ?? msg.action,
            action: msg.action,
            ...clientId,
          }
        : { at: this.now().toISOString(), from: 'customer', text: msg.text ?? '', ...clientId },
    ]);
    this.deps.observer?.received?.(msg.channel);
    let replies: Reply[];
    if (state.handoff) replies = await this.withPerson(state, msg, customer!);
    else {
      replies =
        msg.action !== undefined
          ? await this.onAction(state, msg.action)
          : await this.onText(state, msg.text ?? '', trace);
      const fallback = this.ctx(state).misunderstood === true;
      state.misunderstandings = fallback ? state.misunderstandings + 1 : 0;
      // Not understood twice in a row: a person will do better.
      if (fallback && state.misunderstandings >= 2 && this.requestHandoff(state, 'misunderstood')) {
        const lang = replies[0]?.lang ?? state.lang ?? this.options.defaultLang;
        replies = [{ text: HANDOFF_MESSAGES[lang].misunderstood, source: { kind: 'handoff' }, lang }];
      }
    }
    return this.finishTurn(state, replies);
  }

  /** Create a requested handoff, then save the state, the bot's replies and the events in one transaction. */
  private async finishTurn(state: ConversationState, replies: Reply[]): Promise<Reply[]> {
    const c = this.ctx(state);
    const lang = state.lang ?? replies[0]?.lang ?? this.options.defaultLang;
    if (c.handoff && !state.handoff) {
      const now = this.now();
      const handoff: HandoffState = {
        id: randomUUID(),
        queue: c.handoff.queue,
        lang,
        reason: c.handoff.reason,
        status: 'queued',
        requestedAt: now.toISOString(),
      };
      state.handoff = handoff;
      state.dialog = null;
      state.awaitingCsat = false;
      state.misunderstandings = 0;
      replies = [...replies, await this.statusReply(state, lang)];
      const transcript = await this.deps.store.transcript(state.id);
      const lines = [
        ...transcript.map((m) => ({ at: m.at, from: m.from, text: m.text, ...(m.source ? { source: m.source } : {}) })),
        ...replies.map((r) => ({ at: now.toISOString(), from: 'bot' as const, text: r.text, source: r.source })),
      ];
      const tried = [
        ...new Set(
          transcript
            .filter((m) => m.from === 'bot' && m.source?.id && m.source.kind !== 'handoff')
            .map((m) => `${m.source!.kind}:${m.source!.id}`),
        ),
      ];
      c.events.unshift({
        type: 'handoff.requested',
        data: {
          handoffId: handoff.id,
          requestedAt: handoff.requestedAt,
          channel: state.channel,
          language: lang,
          queue: handoff.queue,
          reason: handoff.reason,
          ...contactOf(transcript),
          transcript: lines,
          botTried: tried,
        },
      });
    }
    state.updatedAt = this.now().toISOString();
    const out: NewMessage[] = replies.map((r) => ({
      at: this.now().toISOString(),
      from: 'bot',
      text: r.text,
      source: r.source,
      kbVersion: this.kbVersion,
      ...(r.suggestions?.length ? { suggestions: r.suggestions } : {}),
    }));
    const last = replies[replies.length - 1];
    state.offered = last?.suggestions?.length ? last.suggestions : undefined;
    const saved = await this.deps.store.saveTurn(state, out, {
      events: c.events,
      ...(c.joined ? { joined: c.joined } : {}),
    });
    this.contexts.delete(state);
    if (c.handoff && state.handoff) this.deps.observer?.handoff?.(state.handoff.reason, state.handoff.queue);
    this.observeSaved(saved);
    this.events.emit('message', state.id, saved, 'turn');
    return replies;
  }

  /** The customer writes while a person is (about to be) in charge: pass it on, or cancel the request. */
  private async withPerson(state: ConversationState, msg: IncomingMessage, customer: MessageRecord): Promise<Reply[]> {
    const h = state.handoff!;
    const lang = state.lang ?? h.lang;
    const text = (msg.text ?? '').trim();
    const cancel = msg.action === 'handoff:cancel' || (msg.action === undefined && CANCEL_WORDS.has(fold(text)));
    if (cancel && h.status === 'queued') {
      state.handoff = null;
      this.ctx(state).events.push({
        type: 'conversation.closed',
        data: { handoffId: h.id, reason: 'cancelled-by-customer' },
      });
      return [{ text: HANDOFF_MESSAGES[lang].cancelled, source: { kind: 'handoff' }, lang }];
    }
    this.ctx(state).events.push({
      type: 'conversation.message',
      data: { handoffId: h.id, messageId: customer.id, text: msg.text ?? msg.action ?? '', at: customer.at },
    });
    if (h.status === 'queued') {
      const status = await this.statusReply(state, lang);
      return [{ ...status, text: `${HANDOFF_MESSAGES[lang].forwarded} ${status.text}` }];
    }
    return [];
  }

  /**
   * The greeting of a conversation that has no messages yet (a channel that opens the conversation itself: the bot
   * added in Teams, Web Chat's join), in `lang` or the conversation's language; nothing for a conversation already under way.
   * It is the knowledge base's 'greeting' small-talk entry, so editors change it like any answer.
   */
  welcome(conversationId: string, lang?: Lang): Promise<Reply[]> {
    return this.serialized(conversationId, async () => {
      const state = await this.deps.store.get(conversationId);
      if (!state) throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${conversationId}" not found`, 404);
      const entry = this.c.byId.get('greeting');
      if (!entry || (await this.deps.store.transcript(conversationId)).length > 0) return [];
      // Stored like a bot reply (with its buttons), so that every replay shows it once.
      return this.finishTurn(state, [this.answer(entry, lang ?? state.lang ?? this.options.defaultLang)]);
    });
  }

  /** Where the customer is in the queue, or when agents are back. */
  async queueStatus(conversationId: string): Promise<QueueStatus | undefined> {
    const state = await this.deps.store.get(conversationId);
    if (!state?.handoff) return undefined;
    return this.statusOf(state);
  }

  /** What the customer is told about the queue (place and wait, or when agents are back), for proactive updates. */
  async queueReply(conversationId: string, lang: Lang): Promise<Reply | undefined> {
    const state = await this.deps.store.get(conversationId);
    if (!state?.handoff) return undefined;
    return this.statusReply(state, lang);
  }

  private async statusOf(state: ConversationState): Promise<QueueStatus> {
    const h = state.handoff!;
    const open = this.hours.isOpen(h.queue, this.now());
    if (h.status === 'active')
      return {
        queue: h.queue,
        status: 'active',
        position: 0,
        estimatedWaitMs: 0,
        open,
        ...(h.agentName ? { agentName: h.agentName } : {}),
      };
    const position = await this.deps.store.queuePosition(h.queue, h.requestedAt, state.id);
    const delays = await this.deps.store.recentJoinDelays(h.queue, 20);
    // Median recent handoff-to-join time per customer ahead; 3 minutes when there is no history yet.
    const sorted = [...delays].sort((a, b) => a - b);
    const per = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 180_000;
    return { queue: h.queue, status: 'queued', position, estimatedWaitMs: per * position, open };
  }

  private async statusReply(state: ConversationState, lang: Lang): Promise<Reply> {
    const st = await this.statusOf(state);
    const m = HANDOFF_MESSAGES[lang];
    const suggestions = [{ label: m.cancelButton, value: 'handoff:cancel' }];
    if (!st.open) {
      const next = this.hours.nextOpening(st.queue, this.now());
      const when = next ? formatOpening(next, lang, this.hours.timeZone(st.queue)) : '';
      return { text: m.closedNow(when), suggestions, source: { kind: 'handoff', id: 'queue' }, lang };
    }
    return {
      text: m.queued(st.position, st.estimatedWaitMs),
      suggestions,
      source: { kind: 'handoff', id: 'queue' },
      lang,
    };
  }

  /** An agent's event: join, message, typing, or hand the conversation back to the bot. */
  agentEvent(e: AgentEvent, inboundId?: string): Promise<void> {
    return this.serialized(e.conversationId, async () => {
      const state = await this.deps.store.get(e.conversationId);
      if (!state) throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${e.conversationId}" not found`, 404);
      if (!state.handoff)
        throw new AppError('NOT_WITH_AGENT', `conversation "${e.conversationId}" is not handed off to a person`, 409);
      const h = state.handoff;
      const lang = state.lang ?? h.lang;
      const now = this.now().toISOString();
      if (e.type === 'agent.typing') {
        if (inboundId !== undefined && !(await this.deps.store.rememberInbound(inboundId, this.now())))
          throw new AppError('REPLAYED', `webhook id "${inboundId}" was already received`, 409);
        this.events.emit('typing', state.id, e.agent.name);
        return;
      }
      const messages: NewMessage[] = [];
      const c = this.ctx(state);
      const join = (name: string) => {
        if (h.status === 'active' && h.agentName === name) return;
        if (h.status === 'queued') c.joined = { queue: h.queue, requestedAt: h.requestedAt, joinedAt: now };
        h.status = 'active';
        h.joinedAt ??= now;
        h.agentName = name;
        messages.push({
          at: now,
          from: 'bot',
          text: HANDOFF_MESSAGES[lang].joined(name),
          source: { kind: 'agent', id: name },
        });
      };
      if (e.type === 'agent.joined') join(e.agent.name);
      else if (e.type === 'agent.message') {
        join(e.agent.name);
        messages.push({ at: now, from: 'agent', text: e.text, source: { kind: 'agent', id: e.agent.name } });
      } else if (e.type === 'handoff.completed') {
        state.handoff = null;
        c.events.push({
          type: 'conversation.closed',
          data: { handoffId: h.id, reason: 'completed', ...(e.note ? { note: e.note } : {}) },
        });
        messages.push({
          at: now,
          from: 'bot',
          text: HANDOFF_MESSAGES[lang].completed,
          source: { kind: 'handoff', id: 'completed' },
        });
        const q = this.csatQuestion(state, lang);
        messages.push({
          at: now,
          from: 'bot',
          text: q.text,
          source: q.source,
          ...(q.suggestions ? { suggestions: q.suggestions } : {}),
        });
        state.offered = q.suggestions;
      } else state.offered = undefined;
      state.updatedAt = now;
      let saved;
      try {
        saved = await this.deps.store.saveTurn(state, messages, {
          events: c.events,
          ...(c.joined ? { joined: c.joined } : {}),
          ...(inboundId !== undefined ? { inboundId } : {}),
        });
      } finally {
        this.contexts.delete(state);
      }
      this.observeSaved(saved);
      this.events.emit('message', state.id, saved, 'agent');
    });
  }

  /** Match one text without a conversation (editors' "try a question", eval, tests). */
  match(text: string, lang: Lang): MatchResult {
    const observer = this.deps.observer;
    if (!observer?.matched) return this.c.matcher.match(text.slice(0, this.options.maxTextLength), lang);
    const t0 = performance.now();
    const result = this.c.matcher.match(text.slice(0, this.options.maxTextLength), lang);
    observer.matched((performance.now() - t0) / 1000);
    return result;
  }

  private observeSaved(saved: MessageRecord[]): void {
    const replied = this.deps.observer?.replied;
    if (replied) for (const m of saved) if (m.from !== 'customer' && m.source) replied(m.source.kind);
  }

  private chooseLanguage(state: ConversationState, text: string): { lang: Lang; guess: LanguageGuess } {
    return resolveLanguage(this.c.detector, text, state.lang, this.options.defaultLang);
  }

  private async onText(state: ConversationState, raw: string, trace?: TurnTrace): Promise<Reply[]> {
    const text = raw.trim();
    const current = state.lang ?? this.options.defaultLang;
    if (!text || !/[\p{L}\p{N}]/u.test(text))
      return [{ text: MESSAGES[current].empty, source: { kind: 'fallback' }, lang: current }];
    const tooLong = text.length > this.options.maxTextLength;
    const clipped = tooLong ? text.slice(0, this.options.maxTextLength) : text;

    if (state.awaitingCsat) {
      state.awaitingCsat = false;
      const score = /^\s*([1-5])\s*(\/\s*5)?\s*$/.exec(clipped);
      if (score) return this.recordCsat(state, Number(score[1]));
    }
    // Computed once per message, and only when needed: a known language inside a dialog asks for nothing.
    let chosen: { lang: Lang; guess: LanguageGuess } | undefined;
    const choose = () => (chosen ??= this.chooseLanguage(state, clipped));
    {
      const lang = state.lang ?? choose().lang;
      if (this.triggers.has('angry') && this.anger.isAngry(clipped, lang)) {
        state.lang = lang;
        this.requestHandoff(state, 'angry', queueFor(state.dialog?.dialogId ?? state.lastTopic));
        return [{ text: HANDOFF_MESSAGES[lang].angry, source: { kind: 'handoff' }, lang }];
      }
    }
    // A dialog removed by a content update: the conversation goes on without it.
    if (state.dialog && !this.c.dialogs?.has(state.dialog.dialogId)) state.dialog = null;
    if (state.dialog && this.c.dialogs) {
      // Inside a dialog, short answers ("oui", "R-204518") must not switch the conversation's language.
      const lang = state.lang ?? this.options.defaultLang;
      if (trace) trace.lang = lang;
      const replies = await this.inDialog(state, clipped, lang, trace);
      if (tooLong) replies.unshift({ text: MESSAGES[lang].tooLong, source: { kind: 'fallback' }, lang });
      return replies;
    }

    const { lang: chosenLang, guess } = choose();
    let lang = chosenLang;
    let match = this.match(clipped, lang);
    // A short message in another language ("merci" in an English conversation): if it is understood
    // there and not here, the customer switched.
    if (guess.lang !== lang && match.confidence < this.options.answerThreshold) {
      const other = this.match(clipped, guess.lang);
      if (other.confidence >= this.options.answerThreshold && other.confidence > match.confidence) {
        match = other;
        lang = guess.lang;
      }
    }
    state.lang = lang;
    if (trace) {
      trace.lang = lang;
      trace.match = match;
    }
    const replies = await this.decideAndAct(state, match, lang, clipped);
    if (tooLong) replies.unshift({ text: MESSAGES[lang].tooLong, source: { kind: 'fallback' }, lang });
    return replies;
  }

  /** The customer wrote while a dialog waits for an answer. */
  private async inDialog(state: ConversationState, text: string, lang: Lang, trace?: TurnTrace): Promise<Reply[]> {
    const dialogs = this.c.dialogs!;
    const d = state.dialog!;
    const f = fold(text);
    if (d.pending) {
      const answer = /^(oui|yes|da|ok|d accord|sure|bien sur|sigur)\b/.test(f)
        ? 'yes'
        : /^(non|no|nu)\b/.test(f)
          ? 'no'
          : undefined;
      const pendingText = d.pending.text;
      delete d.pending;
      if (answer === 'yes') {
        state.dialog = null;
        const { lang: l } = this.chooseLanguage(state, pendingText);
        const match = this.match(pendingText, l);
        return this.decideAndAct(state, match, l, pendingText);
      }
      if (answer === 'no') return [dialogs.prompt(d, lang, DIALOG_MESSAGES[lang].resume)];
      // Neither: take it as an answer to the current step.
    }
    if (CANCEL_WORDS.has(f)) {
      state.dialog = null;
      return [{ text: DIALOG_MESSAGES[lang].cancelled, source: { kind: 'dialog', id: d.dialogId }, lang }];
    }
    if (HELP_WORDS.has(f) || f === '') return dialogs.help(d, lang);
    const ask = dialogs.currentAsk(d);
    const valid = dialogs.accepts(d, text, lang);
    // A question asked in the middle: answer it and come back to the step (for free-text steps only when the
    // bot is quite sure, since almost anything is a valid free text).
    if (ask && (!valid || ask.type === 'text')) {
      const match = this.match(text, lang);
      if (trace) trace.match = match;
      const decision = decide(match, (id) => this.c.byId.get(id)?.kind, this.options);
      // Almost anything is a valid free text ("door scratched, box crushed"): there, only a confident question
      // about another subject is a digression.
      const sure =
        ask.type !== 'text' ||
        (match.confidence >= 0.6 &&
          isQuestion(text) &&
          this.c.byId.get(match.candidates[0]?.id ?? '')?.dialog !== d.dialogId);
      if (decision.action === 'answer' && sure) {
        const e = this.c.byId.get(decision.id)!;
        if (e.kind === 'handoff') {
          this.requestHandoff(state, 'customer-request', queueFor(d.dialogId));
          state.dialog = null;
          return [this.answer(e, lang, decision.confidence)];
        }
        if (e.dialog && e.dialog === d.dialogId) return [dialogs.prompt(d, lang)];
        if (e.dialog && dialogs.has(e.dialog)) {
          d.pending = { kind: 'switch', text };
          const m = DIALOG_MESSAGES[lang];
          return [
            {
              text: m.switchQuestion(dialogs.title(d, lang)),
              suggestions: [
                { label: m.yes, value: 'yes' },
                { label: m.no, value: 'no' },
              ],
              source: { kind: 'dialog', id: d.dialogId },
              lang,
            },
          ];
        }
        if (e.kind === 'faq' || (e.kind === 'smalltalk' && !valid))
          return [this.answer(e, lang, decision.confidence), dialogs.prompt(d, lang, DIALOG_MESSAGES[lang].resume)];
      }
      if (decision.action === 'clarify' && !valid) {
        const ids = decision.ids.filter((id) => !this.c.byId.get(id)?.dialog);
        if (ids.length === 2)
          return [
            this.clarifyReply(ids as [string, string], lang, decision.confidence),
            dialogs.prompt(d, lang, DIALOG_MESSAGES[lang].resume),
          ];
      }
    }
    const turn = await dialogs.answer(d, text, lang);
    return this.afterDialog(state, turn);
  }

  private afterDialog(
    state: ConversationState,
    turn: { replies: Reply[]; state: ConversationState['dialog']; ended?: string },
  ): Reply[] {
    const dialogId =
      state.dialog?.dialogId ??
      turn.replies.find((r) => r.source.kind === 'dialog' || r.source.kind === 'handoff')?.source.id;
    state.dialog = turn.state;
    const replies = [...turn.replies];
    const queue = queueFor(dialogId);
    if (turn.ended === 'handoff') this.requestHandoff(state, 'content', queue);
    else if (turn.ended === 'failed') this.requestHandoff(state, 'dialog-failed', queue);
    else if (turn.ended === 'lookup-failed') this.requestHandoff(state, 'lookup-failed', queue);
    if (turn.ended === 'resolved') {
      const lang = replies[0]?.lang ?? state.lang ?? this.options.defaultLang;
      replies.push(this.csatQuestion(state, lang));
    }
    return replies;
  }

  private csatQuestion(state: ConversationState, lang: Lang): Reply {
    state.awaitingCsat = true;
    return {
      text: DIALOG_MESSAGES[lang].csatQuestion,
      suggestions: [1, 2, 3, 4, 5].map((n) => ({ label: String(n), value: `csat:${n}` })),
      source: { kind: 'dialog', id: 'csat' },
      lang,
    };
  }

  private recordCsat(state: ConversationState, score: number): Reply[] {
    const lang = state.lang ?? this.options.defaultLang;
    state.awaitingCsat = false;
    state.csat = { score, at: this.now().toISOString() };
    this.ctx(state).events.push({ type: 'csat.received', data: { score } });
    return [{ text: DIALOG_MESSAGES[lang].csatThanks, source: { kind: 'dialog', id: 'csat' }, lang }];
  }

  private async startDialog(state: ConversationState, dialogId: string, lang: Lang, text: string): Promise<Reply[]> {
    const turn = await this.c.dialogs!.start(dialogId, lang, text);
    return this.afterDialog(state, turn);
  }

  private async decideAndAct(state: ConversationState, match: MatchResult, lang: Lang, text: string): Promise<Reply[]> {
    const d = decide(match, (id) => this.c.byId.get(id)?.kind, this.options);
    if (d.action === 'answer') {
      const e = this.c.byId.get(d.id)!;
      if (e.dialog && this.c.dialogs?.has(e.dialog)) return this.startDialog(state, e.dialog, lang, text);
      const reply = this.answer(e, lang, d.confidence, state);
      if (e.kind === 'handoff') this.requestHandoff(state, 'customer-request', queueFor(state.lastTopic));
      else if (e.handoff) this.requestHandoff(state, 'content', queueFor(e.topic));
      // Saying goodbye ends the conversation: ask for a rating once.
      if (e.id === 'goodbye' && !state.csat) return [reply, this.csatQuestion(state, lang)];
      return [reply];
    }
    if (d.action === 'clarify') return [this.clarifyReply(d.ids, lang, d.confidence)];
    // Not understood: nothing matched well enough (a weak lean towards the out-of-scope examples included).
    if (!d.id || (d.confidence ?? 0) < this.options.answerThreshold) this.ctx(state).misunderstood = true;
    return [this.fallback(lang, d.confidence, d.id)];
  }

  private clarifyReply(ids: [string, string], lang: Lang, confidence: number): Reply {
    const [e1, e2] = ids.map((id) => this.c.byId.get(id)!);
    return {
      text: MESSAGES[lang].clarify,
      suggestions: [
        this.suggestion(e1!, lang),
        this.suggestion(e2!, lang),
        { label: MESSAGES[lang].noneOfThese, value: 'fallback' },
      ],
      source: { kind: 'clarify', id: e1!.id, confidence: round(confidence) },
      lang,
    };
  }

  private answer(e: KbEntry, lang: Lang, confidence?: number, state?: ConversationState): Reply {
    if (state && e.kind === 'faq') state.lastTopic = e.topic;
    const text = e.answer[lang] ?? LANGS.map((l) => e.answer[l]).find(Boolean) ?? '';
    const kind = e.kind === 'smalltalk' ? 'smalltalk' : e.kind === 'handoff' ? 'handoff' : 'faq';
    const suggestions = e.followUps
      .map((id) => this.c.byId.get(id))
      .filter((x): x is KbEntry => !!x)
      .map((f) => this.suggestion(f, lang));
    if (kind === 'handoff') suggestions.length = 0;
    return {
      text,
      ...(suggestions.length ? { suggestions } : {}),
      source: { kind, id: e.id, ...(confidence !== undefined ? { confidence: round(confidence) } : {}) },
      lang,
    };
  }

  private fallback(lang: Lang, confidence?: number, id?: string): Reply {
    const topics = this.c.kb.topics.filter((t) => this.c.kb.entries.some((e) => e.topic === t.id && e.kind === 'faq'));
    const suggestions: Suggestion[] = topics
      .slice(0, this.options.fallbackTopics)
      .map((t) => ({ label: t.title[lang] ?? t.id, value: `topic:${t.id}` }));
    suggestions.push({ label: MESSAGES[lang].talkToPerson, value: 'handoff' });
    return {
      text: MESSAGES[lang].fallback,
      suggestions,
      source: {
        kind: 'fallback',
        ...(id ? { id } : {}),
        ...(confidence !== undefined ? { confidence: round(confidence) } : {}),
      },
      lang,
    };
  }

  private suggestion(e: KbEntry, lang: Lang): Suggestion {
    return { label: e.title[lang] ?? e.questions[lang]?.[0] ?? e.id, value: `faq:${e.id}` };
  }

  private async onAction(state: ConversationState, action: string): Promise<Reply[]> {
    const lang = state.lang ?? this.options.defaultLang;
    const [verb, arg] = action.includes(':')
      ? [action.slice(0, action.indexOf(':')), action.slice(action.indexOf(':') + 1)]
      : [action, ''];
    if (verb === 'csat' && /^[1-5]$/.test(arg)) return this.recordCsat(state, Number(arg));
    if (verb === 'faq') {
      const e = this.c.byId.get(arg);
      if (e && e.kind !== 'outofscope') {
        if (e.dialog && this.c.dialogs?.has(e.dialog)) {
          state.dialog = null;
          return this.startDialog(state, e.dialog, lang, '');
        }
        const reply = this.answer(e, lang, 1);
        // A question answered in the middle of a dialog: come back to its step.
        if (state.dialog && this.c.dialogs)
          return [reply, this.c.dialogs.prompt(state.dialog, lang, DIALOG_MESSAGES[lang].resume)];
        return [reply];
      }
    } else if (verb === 'dialog' && this.c.dialogs?.has(arg)) {
      state.dialog = null;
      return this.startDialog(state, arg, lang, '');
    } else if (verb === 'topic') {
      const t = this.c.kb.topics.find((x) => x.id === arg);
      if (t) {
        const entries = this.c.kb.entries.filter(
          (e) => e.topic === t.id && e.kind === 'faq' && e.questions[lang]?.length,
        );
        return [
          {
            text: MESSAGES[lang].topicIntro(t.title[lang] ?? t.id),
            suggestions: entries.map((e) => this.suggestion(e, lang)),
            source: { kind: 'clarify', id: `topic:${t.id}` },
            lang,
          },
        ];
      }
    } else if (verb === 'handoff') {
      const queue = queueFor(state.dialog?.dialogId ?? state.lastTopic);
      state.dialog = null;
      this.requestHandoff(state, 'customer-request', queue);
      const h = this.c.kb.entries.find((e) => e.kind === 'handoff');
      if (h) return [this.answer(h, lang, 1)];
      return [{ text: MESSAGES[lang].talkToPerson, source: { kind: 'handoff' }, lang }];
    } else if (verb === 'fallback') {
      return [this.fallback(lang)];
    } else if (state.dialog && this.c.dialogs) {
      // A dialog's own button (a choice, yes/no, skip): the same as typing its value.
      return this.inDialog(state, action, lang);
    }
    return [{ text: MESSAGES[lang].unknownAction, source: { kind: 'fallback' }, lang }];
  }
}

const QUESTION_START =
  /^(comment|quand|ou|pourquoi|quel|quelle|quels|quelles|est ce|combien|how|when|where|why|what|which|can|could|do|does|is|are|cum|cand|unde|de ce|care|ce|cat|cate|pot|puteti)\b/;

/** A question rather than a statement: ends with "?" or starts with an interrogative word. */
function isQuestion(text: string): boolean {
  return /\?\s*$/.test(text) || QUESTION_START.test(fold(text));
}

const PHONE = /(?:\+|\b0)[\d .-]{8,16}\d\b/;

/** The customer's email and phone number if they typed them (the agent can reach them after hours). */
function contactOf(transcript: MessageRecord[]): { contact?: { email?: string; phone?: string } } {
  let email: string | undefined;
  let phone: string | undefined;
  for (const m of transcript) {
    if (m.from !== 'customer') continue;
    email = EMAIL.exec(m.text)?.[0] ?? email;
    phone = PHONE.exec(m.text)?.[0].replace(/[ .-]/g, '') ?? phone;
  }
  return email || phone ? { contact: { ...(email ? { email } : {}), ...(phone ? { phone } : {}) } } : {};
}

function liveOf(c: EngineContent): Live {
  return {
    kb: c.kb,
    matcher: c.matcher,
    detector: c.detector,
    ...(c.dialogs ? { dialogs: c.dialogs } : {}),
    byId: new Map(c.kb.entries.map((e) => [e.id, e])),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
