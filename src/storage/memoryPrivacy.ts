import { DESK_NOTES_PREFIX, deskNotesKey, parseDeskNotes, type DeskNote } from '../domain/desk';
import { handoffFromEvent, type HandoffRecord, type OutboxEvent } from '../domain/handoff';
import { chatwootBackKeyOf, chatwootLinkKey, conversationSettingKeys, handoffIdOf } from '../domain/settings';

// The memory store's privacy parts that read or delete settings, kept beside it (the same rows as the SQL stores).

/** A conversation's handoffs, from its webhook handoff.requested events in order (relays' copies are the same). */
export function handoffsOf(outbox: readonly OutboxEvent[], id: string): HandoffRecord[] {
  return outbox
    .filter((e) => e.conversationId === id && e.type === 'handoff.requested' && e.target === 'webhook')
    .sort((a, b) => a.seq - b.seq)
    .flatMap((e) => handoffFromEvent(e.body) ?? []);
}

/** The conversation's desk notes. */
export const notesOf = (settings: ReadonlyMap<string, string>, id: string): DeskNote[] =>
  structuredClone(parseDeskNotes(settings.get(deskNotesKey(id))));

/** Conversations whose desk notes `hit` (the privacy search). */
export function notesHits(settings: ReadonlyMap<string, string>, hit: (text: string) => boolean): string[] {
  const ids: string[] = [];
  for (const [key, value] of settings)
    if (key.startsWith(DESK_NOTES_PREFIX) && hit(value)) ids.push(key.slice(DESK_NOTES_PREFIX.length));
  return ids;
}

/**
 * Deletes every setting keyed by the erased conversation: notes, mail thread, welcome, queue told, Chatwoot link
 * and its way back (while it still names this conversation), the desk claims of its handoffs (`current` and those
 * its events name).
 */
export function eraseSettings(settings: Map<string, string>, id: string, outbox: OutboxEvent[], current?: string) {
  const handoffIds = outbox.flatMap((e) => (e.conversationId === id ? (handoffIdOf(e.body) ?? []) : []));
  const back = chatwootBackKeyOf(settings.get(chatwootLinkKey(id)));
  if (back && settings.get(back) === id) settings.delete(back);
  for (const key of conversationSettingKeys(id, current ? [current, ...handoffIds] : handoffIds)) settings.delete(key);
}
