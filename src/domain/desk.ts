/**
 * Where the agent desk keeps a conversation's internal notes (a setting, apart from the transcript, so that no
 * customer stream or page can show them); erased with the conversation by every back end.
 */
export const deskNotesKey = (conversationId: string) => `desk:notes:${conversationId}`;
