import type { QueueStatus } from '../engine/engine';

/** What of a queue status is worth telling again when it changes (compared as strings). */
export type QueueKey = (status: QueueStatus | undefined) => string;

/** Everything in the status (the widget shows the place, the wait, the opening hours and the agent's name). */
export const wholeStatus: QueueKey = (status) => JSON.stringify(status ?? null);

/** The place and the wait in whole minutes: what a queue message says (channels that write it as a message). */
export const placeAndWait: QueueKey = (status) =>
  status ? `${status.position}/${Math.ceil((status.estimatedWaitMs ?? 0) / 60_000)}` : '';

/**
 * Queue-change detection, per conversation: what each customer was last told about the queue, and when, so that
 * a channel tells only changes (and the channel decides how often).
 */
export class QueueTold {
  private readonly told = new Map<string, { key: string; at: number }>();

  constructor(private readonly keyOf: QueueKey) {}

  get size(): number {
    return this.told.size;
  }

  conversations(): string[] {
    return [...this.told.keys()];
  }

  /** True when `status` says something else than what `conversationId` was last told (or it was told nothing). */
  changed(conversationId: string, status: QueueStatus | undefined): boolean {
    return this.told.get(conversationId)?.key !== this.keyOf(status);
  }

  /** When `conversationId` was last told (ms), if ever. */
  toldAt(conversationId: string): number | undefined {
    return this.told.get(conversationId)?.at;
  }

  note(conversationId: string, status: QueueStatus | undefined, at = 0): void {
    this.told.set(conversationId, { key: this.keyOf(status), at });
  }

  forget(conversationId: string): void {
    this.told.delete(conversationId);
  }
}
