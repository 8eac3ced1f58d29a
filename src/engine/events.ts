import { EventEmitter } from 'node:events';
import type { MessageRecord } from '../domain/conversation';

export type MessageOrigin = 'turn' | 'agent' | 'bot';

/** What the engine tells live streams and proactive channels, by event name: the listener's arguments. */
export interface EngineEventMap {
  /**
   * Messages stored for a conversation. `origin` is 'turn' for the customer's own turn (already answered to the
   * channel), 'agent' for agents' events and 'bot' for the bot writing outside any turn (the email offer): nobody
   * has seen these two yet.
   */
  message: [conversationId: string, records: MessageRecord[], origin: MessageOrigin];
  /** An agent is typing. */
  typing: [conversationId: string, agentName: string];
  /**
   * Another instance changed the conversation (PostgreSQL's change feed): new stored messages (read them from the
   * store; '*' for any conversation after the feed reconnected), or an agent typing when `typing` is set. Not the
   * messages themselves: this instance's proactive channels do not deliver them again.
   */
  remote: [conversationId: string, typing?: string];
  /** New content was published. */
  published: [kbVersion: string];
}

export type EngineEventName = keyof EngineEventMap;
export type EngineListener<K extends EngineEventName> = (...args: EngineEventMap[K]) => void;

/**
 * A typed event bus. Node's EventEmitter underneath keeps its semantics: listeners run synchronously in the order
 * they were added, a listener that throws makes emit() throw, the same listener added twice runs twice.
 */
export class EngineEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open stream or channel: no leak warning.
    this.emitter.setMaxListeners(0);
  }

  on<K extends EngineEventName>(event: K, listener: EngineListener<K>): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends EngineEventName>(event: K, listener: EngineListener<K>): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  emit<K extends EngineEventName>(event: K, ...args: EngineEventMap[K]): boolean {
    return this.emitter.emit(event, ...args);
  }

  listenerCount(event: EngineEventName): number {
    return this.emitter.listenerCount(event);
  }
}
