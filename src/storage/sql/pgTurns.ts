import { sql, type Kysely } from 'kysely';
import type { ConversationState, MessageRecord, NewMessage } from '../../domain/conversation';
import { conversationNotFound } from '../ports';
import { decodeMessage, encodeConversation, encodeMessage } from './codec';
import type { Database } from './tables';

const COLUMNS = [
  'at',
  'sender',
  'text',
  'action',
  'source',
  'kb_version',
  'suggestions',
  'client_id',
  'attachments',
  'lang',
  'feedback',
] as const;

/**
 * A plain turn on PostgreSQL (messages, no webhook event, no inbound id, no join) in one statement, so one round
 * trip instead of begin, update, insert and commit: the update locks the conversation (and finds it live), the
 * insert of its messages depends on the update's row, so it takes its ids under that lock, and a single statement
 * is atomic. No row updated means no message inserted: CONVERSATION_NOT_FOUND, as in the transaction it replaces.
 */
export async function pgPlainTurn(
  db: Kysely<Database>,
  state: ConversationState,
  messages: NewMessage[],
  /** The change feed's NOTIFY, sent by the same statement (so on commit, and only when the row was updated). */
  notice?: { channel: string; payload: string },
): Promise<MessageRecord[]> {
  const { id, seq: _seq, ...changes } = encodeConversation(state, 'postgres');
  const set = sql.join(Object.entries(changes).map(([k, v]) => sql`${sql.ref(k)} = ${v}`));
  const rows = messages.map((m) => encodeMessage(id, m));
  // A VALUES list types its parameters as text: the boolean column needs its cast.
  const value = (r: (typeof rows)[number], c: (typeof COLUMNS)[number]) =>
    c === 'feedback' ? sql`cast(${r[c]} as boolean)` : sql`${r[c]}`;
  const values = sql.join(rows.map((r) => sql`(${sql.join(COLUMNS.map((c) => value(r, c)))})`));
  const cols = sql.join(COLUMNS.map((c) => sql.ref(c)));
  const r = await sql<{ id: string | number }>`
    with u as (update conversations set ${set} where id = ${id} and erased_at is null returning id),
    n as (select ${notice ? sql`pg_notify(${notice.channel}, ${notice.payload})` : sql`null`} as sent from u)
    insert into messages (conversation_id, ${cols})
    select u.id, v.* from u cross join n cross join (values ${values}) as v(${cols})
    returning id`.execute(db);
  if (r.rows.length === 0) throw conversationNotFound(id);
  const ids = r.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
  return rows.map((row, i) => decodeMessage({ ...row, id: ids[i]! }));
}
