import type { ConversationState, DialogState, EmailState, MessageRecord, NewMessage } from '../../domain/conversation';
import type { HandoffState } from '../../domain/handoff';
import type { AttachmentRef, Lang, ReplySource, Suggestion } from '../../domain/types';
import type { Insertable, Selectable } from 'kysely';
import type { ConversationsTable, MessagesTable, SqlDialectName } from './tables';

// Conversations and messages as rows and back (shared by the conversation and insights ports).

export function encodeConversation(s: ConversationState, dialect: SqlDialectName): Insertable<ConversationsTable> {
  return {
    id: s.id,
    channel: s.channel,
    token_hash: s.tokenHash ?? null,
    lang: s.lang ?? null,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    misunderstandings: s.misunderstandings,
    dialog: s.dialog ? JSON.stringify(s.dialog) : null,
    awaiting_csat: dialect === 'postgres' ? s.awaitingCsat : s.awaitingCsat ? 1 : 0,
    csat_score: s.csat?.score ?? null,
    csat_at: s.csat?.at ?? null,
    handoff: s.handoff ? JSON.stringify(s.handoff) : null,
    handoff_status: s.handoff?.status ?? null,
    handoff_queue: s.handoff?.queue ?? null,
    handoff_requested_at: s.handoff?.requestedAt ?? null,
    last_topic: s.lastTopic ?? null,
    offered: s.offered?.length ? JSON.stringify(s.offered) : null,
    email: s.email ? JSON.stringify(s.email) : null,
    seq: 0,
  };
}

export function decodeConversation(r: Selectable<ConversationsTable>): ConversationState {
  const s: ConversationState = {
    id: r.id,
    channel: r.channel,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    misunderstandings: Number(r.misunderstandings),
    dialog: r.dialog === null ? null : (JSON.parse(r.dialog) as DialogState),
    awaitingCsat: r.awaiting_csat === true || r.awaiting_csat === 1,
    csat: r.csat_score === null ? null : { score: Number(r.csat_score), at: r.csat_at ?? '' },
    handoff: r.handoff === null ? null : (JSON.parse(r.handoff) as HandoffState),
  };
  if (r.token_hash !== null) s.tokenHash = r.token_hash;
  if (r.last_topic !== null) s.lastTopic = r.last_topic;
  if (r.offered !== null) s.offered = JSON.parse(r.offered) as Suggestion[];
  if (r.lang !== null) s.lang = r.lang as Lang;
  if (r.email) s.email = JSON.parse(r.email) as EmailState;
  return s;
}

/** A message row without its id (the database numbers it). */
export function encodeMessage(conversationId: string, m: NewMessage): Omit<Selectable<MessagesTable>, 'id'> {
  return {
    conversation_id: conversationId,
    at: m.at,
    sender: m.from,
    text: m.text,
    action: m.action ?? null,
    source: m.source ? JSON.stringify(m.source) : null,
    kb_version: m.kbVersion ?? null,
    suggestions: m.suggestions?.length ? JSON.stringify(m.suggestions) : null,
    client_id: m.clientId ?? null,
    attachments: m.attachments?.length ? JSON.stringify(m.attachments) : null,
    lang: m.lang ?? null,
    // 1 is true for a PostgreSQL boolean as well.
    feedback: m.feedback ? 1 : null,
  };
}

export function decodeMessage(r: Selectable<MessagesTable>): MessageRecord {
  const m: MessageRecord = {
    id: Number(r.id),
    conversationId: r.conversation_id,
    at: r.at,
    from: r.sender,
    text: r.text,
  };
  if (r.action !== null) m.action = r.action;
  if (r.source !== null) m.source = JSON.parse(r.source) as ReplySource;
  if (r.kb_version !== null) m.kbVersion = r.kb_version;
  if (r.suggestions !== null) m.suggestions = JSON.parse(r.suggestions) as Suggestion[];
  if (r.client_id !== null) m.clientId = r.client_id;
  if (r.attachments) m.attachments = JSON.parse(r.attachments) as AttachmentRef[];
  // Rows written before migration 0011 (or by a path that leaves the columns out) have neither.
  if (r.lang !== null && r.lang !== undefined) m.lang = r.lang as Lang;
  if (r.feedback === true || r.feedback === 1) m.feedback = true;
  return m;
}
