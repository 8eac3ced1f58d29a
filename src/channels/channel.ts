import type { Server } from 'node:http';
import type { MessageRecord } from '../domain/conversation';
import type { HttpMount } from '../server/http';
import type { LimitedPaths } from './limits';

/**
 * One way in for customers (widget, Bot Framework, Direct Line) or agents (their webhook): a folder of
 * src/channels/ that translates its wire format to the engine's messages and back, and hands the wiring (app.ts)
 * one object. A new channel (WhatsApp, Chatwoot, email) is a new folder implementing this, plus one line there.
 */
export interface Channel extends HttpMount {
  /** Short name, for logs. */
  readonly name: string;
  /**
   * The paths strangers reach, counted per client IP before anything else (channelLimits in ./limits.ts).
   * Conversations and messages are limited by the routes that create or carry them (TrafficLimits).
   */
  readonly limited?: LimitedPaths;
  /** Begin the work that is not a request (e.g. listen to the engine to write to customers proactively). Idempotent. */
  start?(): void;
  /** Stop that work and wait for what is under way (shutdown). */
  stop?(): Promise<void>;
  /** Take over what the HTTP server does outside routes (Direct Line's WebSocket upgrade); close() lets go of it. */
  attach?(server: Server): { close(): void };
}

/**
 * What a channel that writes to customers on its own (Teams; WhatsApp, email) does outside their turns, driven by
 * ProactiveDelivery (src/channels/proactive.ts). Channels with a live stream (widget, Direct Line) follow the
 * stored messages instead (src/channels/follow.ts). Each method ignores conversations that are not its channel's.
 */
export interface ProactiveTarget {
  /** Messages written outside the customer's turn: agents joining, writing, closing; the satisfaction question. */
  messages(conversationId: string, records: MessageRecord[]): Promise<void>;
  /** An agent is typing. */
  typing(conversationId: string, agentName: string): Promise<void>;
  /** The customer's place in the queue or the wait changed: tell the new one. */
  queue(conversationId: string): Promise<void>;
}

export function startChannels(channels: readonly Channel[]): void {
  for (const c of channels) c.start?.();
}

/** Attach every channel that needs the HTTP server; close() detaches them all (open streams end). */
export function attachChannels(channels: readonly Channel[], server: Server): { close(): void } {
  const attached = channels.flatMap((c) => (c.attach ? [c.attach(server)] : []));
  return {
    close() {
      for (const a of attached) a.close();
    },
  };
}

export async function stopChannels(channels: readonly Channel[]): Promise<void> {
  await Promise.all(channels.map((c) => c.stop?.()));
}
