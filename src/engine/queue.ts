import type { Lang, Reply } from '../domain/types';
import type { ConversationState } from '../domain/conversation';
import type { QueueName } from '../domain/handoff';
import { formatOpening, HANDOFF_MESSAGES } from '../handoff/messages';
import type { EngineCore } from './core';
import type { QueueStatus } from './types';

/** Recent joins needed before a wait is estimated: fewer say nothing a customer could rely on. */
export const MIN_WAIT_SAMPLES = 5;
/**
 * Below this median join delay, agents pick conversations up at once (or the history comes from tests and demos):
 * "number 26, about 1 minute" is not believable, so no figure is given.
 */
export const MIN_HANDLING_MS = 60_000;

/** Where a handed-off conversation is: active with an agent, or its place in the queue and the estimated wait. */
export async function statusOf(core: EngineCore, state: ConversationState): Promise<QueueStatus> {
  const h = state.handoff!;
  const open = core.hours.isOpen(h.queue, core.now());
  if (h.status === 'active')
    return {
      queue: h.queue,
      status: 'active',
      position: 0,
      open,
      ...(h.agentName ? { agentName: h.agentName } : {}),
    };
  const position = await core.store.queuePosition(h.queue, h.requestedAt, state.id);
  const wait = estimateWait(position, await core.store.recentJoinDelays(h.queue, 20));
  return { queue: h.queue, status: 'queued', position, ...(wait === undefined ? {} : { estimatedWaitMs: wait }), open };
}

/**
 * The estimated wait, only when the data supports one: position × the recent handling time (the median of the
 * recent handoff-to-join delays) ÷ the agents online. The bot does not know how many agents are online (the
 * helpdesk does not say), so it counts one: the join delays already reflect how many agents served the queue.
 * Undefined (no figure, "a person will answer as soon as possible") with fewer than MIN_WAIT_SAMPLES joins or a
 * median under MIN_HANDLING_MS.
 */
export function estimateWait(position: number, delays: readonly number[], agentsOnline = 1): number | undefined {
  if (delays.length < MIN_WAIT_SAMPLES || agentsOnline < 1 || position < 1) return undefined;
  const sorted = [...delays].sort((a, b) => a - b);
  const handling = sorted[Math.floor(sorted.length / 2)]!;
  if (handling < MIN_HANDLING_MS) return undefined;
  return Math.round((position * handling) / agentsOnline);
}

/** When the queue's agents are back ("on Monday at 09:00"), or '' when no opening is known. */
export function nextOpening(core: EngineCore, queue: QueueName, lang: Lang): string {
  const next = core.hours.nextOpening(queue, core.now());
  return next ? formatOpening(next, lang, core.hours.timeZone(queue)) : '';
}

/** What the customer is told about the queue: place and wait, or when agents are back; with a cancel button. */
export async function statusReply(core: EngineCore, state: ConversationState, lang: Lang): Promise<Reply> {
  const st = await statusOf(core, state);
  const m = HANDOFF_MESSAGES[lang];
  const suggestions = [{ label: m.cancelButton, value: 'handoff:cancel' }];
  if (!st.open)
    return {
      text: m.closedNow(nextOpening(core, st.queue, lang)),
      suggestions,
      source: { kind: 'handoff', id: 'queue' },
      lang,
    };
  return {
    text: m.queued(st.position, st.estimatedWaitMs),
    suggestions,
    source: { kind: 'handoff', id: 'queue' },
    lang,
  };
}
