import type { ConversationState } from '../domain/conversation';
import type { QueueName } from '../domain/handoff';

// The memory store's reads of the handoff queue, over its conversations (values copied out as a database would).

/** Place in the queue (1 = next) of a queued handoff requested at `requestedAt`. */
export function queuePositionIn(
  convs: Iterable<ConversationState>,
  queue: QueueName,
  requestedAt: string,
  conversationId: string,
): number {
  let n = 1;
  for (const { id, handoff: h } of convs)
    if (id !== conversationId && h?.status === 'queued' && h.queue === queue && h.requestedAt < requestedAt) n++;
  return n;
}

/** Conversations waiting, per queue. */
export function queuedCounts(convs: Iterable<ConversationState>): Partial<Record<QueueName, number>> {
  const out: Partial<Record<QueueName, number>> = {};
  for (const { handoff: h } of convs) if (h?.status === 'queued') out[h.queue] = (out[h.queue] ?? 0) + 1;
  return out;
}

/** Conversations with a person, oldest request first (then by id, as the SQL stores order them), at most `limit`. */
export function handedOffIn(convs: Iterable<ConversationState>, limit: number): ConversationState[] {
  const key = (c: ConversationState) => `${c.handoff!.requestedAt} ${c.id}`;
  return [...convs]
    .filter((c) => c.handoff)
    .sort((a, b) => (key(a) < key(b) ? -1 : 1))
    .slice(0, limit)
    .map((c) => structuredClone(c));
}
