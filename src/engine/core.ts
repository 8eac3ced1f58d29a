import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lang } from '../domain/types';
import type { ConversationState, MessageRecord } from '../domain/conversation';
import {
  HANDOFF_REASONS,
  type HandoffReason,
  type NewOutboxEvent,
  type OutboxEventType,
  type OutboxTarget,
  type QueueName,
} from '../domain/handoff';
import type { MatchResult } from '../matching/matcher';
import { resolveLanguage, type LanguageGuess } from '../nlp/language';
import type { ConversationStore } from '../storage/ports';
import { AngerDetector, BusinessHours } from '../handoff/policy';
import type { TranscriptLinks } from '../handoff/transcriptLink';
import type { AttachmentLinks } from '../handoff/attachmentLink';
import { EngineEvents } from './events';
import {
  DEFAULT_ENGINE_OPTIONS,
  type EngineContent,
  type EmailOptions,
  type EngineDeps,
  type EngineObserver,
  type EngineOptions,
  type Live,
  type TurnContext,
} from './types';

/** The events a relay (Chatwoot) mirrors: the handoff and what the customer writes during it. */
const RELAYED: ReadonlySet<OutboxEventType> = new Set([
  'handoff.requested',
  'conversation.message',
  'conversation.closed',
]);

/**
 * What every part of a turn shares: settings, the store, the clock, the content of the running turn, the effects
 * collected for each conversation in hand, and the handoff triggers. The parts are functions of this core; the
 * Engine facade wires them.
 */
export class EngineCore {
  readonly options: EngineOptions;
  readonly store: ConversationStore;
  readonly observer: EngineObserver | undefined;
  readonly now: () => Date;
  readonly hours: BusinessHours;
  /** Signs the transcript URL of handoff.requested (absent: the webhook carries no URL). */
  readonly transcriptLinks: TranscriptLinks | undefined;
  /** Signs the files' download URLs of handoff.requested (absent: metadata only). */
  readonly attachmentLinks: AttachmentLinks | undefined;
  /** Email with the customer (undefined: no SMTP_URL, nothing is mailed or offered). */
  readonly email: EmailOptions | undefined;
  readonly events = new EngineEvents();
  /** The published content; replaced as a whole by publish(). */
  private live: Live;
  /** The content a turn started with: a turn never mixes two versions. */
  private readonly pinned = new AsyncLocalStorage<Live>();
  private readonly contexts = new WeakMap<ConversationState, TurnContext>();
  private readonly anger = new AngerDetector();
  private readonly triggers: ReadonlySet<HandoffReason>;
  private readonly relays: readonly OutboxTarget[];

  constructor(deps: EngineDeps) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...deps.options };
    this.store = deps.store;
    this.observer = deps.observer;
    this.live = liveOf(deps);
    this.now = deps.now ?? (() => new Date());
    this.triggers = deps.handoff?.triggers ?? new Set(HANDOFF_REASONS);
    this.hours = deps.handoff?.hours ?? new BusinessHours();
    this.transcriptLinks = deps.handoff?.transcriptLinks;
    this.attachmentLinks = deps.handoff?.attachmentLinks;
    this.relays = deps.handoff?.relays ?? [];
    this.email = deps.handoff?.email;
  }

  /**
   * The turn's outbox events as stored: each webhook event, and a copy of each handoff event for every relay
   * (Chatwoot), in the same transaction, so a relay misses nothing the webhook gets. Events already aimed at a target
   * (a mail) stay single.
   */
  outboxEvents(c: TurnContext): NewOutboxEvent[] {
    if (!this.relays.length) return c.events;
    return c.events.flatMap((e) =>
      e.target === undefined && RELAYED.has(e.type) ? [e, ...this.relays.map((target) => ({ ...e, target }))] : [e],
    );
  }

  /** The content of the running turn, or the published one outside turns. */
  get c(): Live {
    return this.pinned.getStore() ?? this.live;
  }

  /** Switch to new content, built completely beforehand: one reference changes. */
  publish(content: EngineContent): void {
    this.live = liveOf(content);
  }

  /** Run `fn` with the content published now pinned for everything it does, awaited parts included. */
  pinnedRun<T>(fn: () => T): T {
    return this.pinned.run(this.live, fn);
  }

  /** The effects collected for this conversation during the running turn. */
  ctx(state: ConversationState): TurnContext {
    let c = this.contexts.get(state);
    if (!c) this.contexts.set(state, (c = { events: [] }));
    return c;
  }

  /** The turn was saved (or failed): its effects are gone with it. */
  forget(state: ConversationState): void {
    this.contexts.delete(state);
  }

  /** Ask for a person (if this trigger is on); the handoff itself is created when the turn is saved. */
  requestHandoff(state: ConversationState, reason: HandoffReason, queue: QueueName = 'general'): boolean {
    if (!this.triggers.has(reason) || state.handoff) return false;
    this.ctx(state).handoff ??= { reason, queue };
    return true;
  }

  /** An angry or distressed customer, when that trigger is on. */
  isAngry(text: string, lang: Lang): boolean {
    return this.triggers.has('angry') && this.anger.isAngry(text, lang);
  }

  /** Match one text with the content in hand (timed for the observer when it wants it). */
  match(text: string, lang: Lang): MatchResult {
    const observer = this.observer;
    if (!observer?.matched) return this.c.matcher.match(text.slice(0, this.options.maxTextLength), lang);
    const t0 = performance.now();
    const result = this.c.matcher.match(text.slice(0, this.options.maxTextLength), lang);
    observer.matched((performance.now() - t0) / 1000);
    return result;
  }

  chooseLanguage(state: ConversationState, text: string): { lang: Lang; guess: LanguageGuess } {
    return resolveLanguage(this.c.detector, text, state.lang, this.options.defaultLang);
  }

  /** The kind of a knowledge-base entry of the content in hand (for decide()). */
  readonly kindOf = (id: string) => this.c.byId.get(id)?.kind;

  /** Tell the observer about the messages stored for the customer. */
  observeSaved(saved: MessageRecord[]): void {
    const replied = this.observer?.replied;
    if (replied) for (const m of saved) if (m.from !== 'customer' && m.source) replied(m.source.kind);
  }
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
