/** The settings' key prefix of the agent desk's notes (the privacy search reads every key under it). */
export const DESK_NOTES_PREFIX = 'desk:notes:';

/**
 * Where the agent desk keeps a conversation's internal notes (a setting, apart from the transcript, so that no
 * customer stream or page can show them); exported and erased with the conversation by every back end.
 */
export const deskNotesKey = (conversationId: string) => `${DESK_NOTES_PREFIX}${conversationId}`;

/** The claim of one handoff by an agent (one key per handoff, so that a new handoff is claimed afresh). */
export const deskClaimKey = (conversationId: string, handoffId: string) => `desk:claim:${conversationId}:${handoffId}`;

/** An internal note: for agents only, stored apart from the transcript so that no customer stream can show it. */
export interface DeskNote {
  at: string;
  agent: string;
  text: string;
}

/** The notes stored under deskNotesKey ([] when absent or unreadable). */
export function parseDeskNotes(raw: string | undefined): DeskNote[] {
  if (!raw) return [];
  try {
    const list = JSON.parse(raw) as unknown;
    return Array.isArray(list) ? (list as DeskNote[]) : [];
  } catch {
    return [];
  }
}
