import type { Lang, Reply } from '../domain/types';
import type { ConversationState } from '../domain/conversation';
import { formatOpening, HANDOFF_MESSAGES } from '../handoff/messages';
import type { EngineCore } from './core';
import type { QueueStatus } from './types';

/** Without any history yet, each customer ahead is taken to wait this long. */
const DEFAULT_WAIT_PER_CUSTOMER_MS = 180_000;

/** Where a handed-off conversation is: active with an agent, or its place in the queue and the estimated wait. */
export async function statusOf(core: EngineCore, state: ConversationState): Promise<QueueStatus> {
  const h = state.handoff!;
  const open = core.hours.isOpen(h.queue, core.now());
  if (h.status === 'active')
    return {
      queue: h.queue,
      status: 'active',
      position: 0,
      estimatedWaitMs: 0,
      open,
      ...(h.agentName ? { agentName: h.agentName } : {}),
    };
  const position = await core.store.queuePosition(h.queue, h.requestedAt, state.id);
  const delays = await core.store.recentJoinDelays(h.queue, 20);
  return { queue: h.queue, status: 'queued', position, estimatedWaitMs: waitPerCustomer(delays) * position, open };
}

/** Median recent handoff-to-join time: the wait per customer ahead. */
function waitPerCustomer(delays: readonly number[]): number {
  const sorted = [...delays].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : DEFAULT_WAIT_PER_CUSTOMER_MS;
}

/** What the customer is told about the queue: place and wait, or when agents are back; with a cancel button. */
export async function statusReply(core: EngineCore, state: ConversationState, lang: Lang): Promise<Reply> {
  const st = await statusOf(core, state);
  const m = HANDOFF_MESSAGES[lang];
  const suggestions = [{ label: m.cancelButton, value: 'handoff:cancel' }];
  if (!st.open) {
    const next = core.hours.nextOpening(st.queue, core.now());
    const when = next ? formatOpening(next, lang, core.hours.timeZone(st.queue)) : '';
    return { text: m.closedNow(when), suggestions, source: { kind: 'handoff', id: 'queue' }, lang };
  }
  return {
    text: m.queued(st.position, st.estimatedWaitMs),
    suggestions,
    source: { kind: 'handoff', id: 'queue' },
    lang,
  };
}
