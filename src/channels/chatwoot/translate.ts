/**
 * Chatwoot's webhook payloads (app/listeners/webhook_listener.rb; Message#webhook_data in app/models/message.rb,
 * Conversation#webhook_data, User#webhook_data) as what the bot does with them. Pure: no I/O, unit-tested on
 * fixtures built from those files (test/fixtures/chatwoot/).
 */

export type ChatwootAction =
  | { kind: 'message'; conversation: number; messageId: number; agent: string; text: string; attribute?: string }
  | { kind: 'typing'; conversation: number; agent: string; attribute?: string }
  | { kind: 'resolved'; conversation: number; attribute?: string }
  | { kind: 'ignored'; why: string };

interface Sender {
  name?: unknown;
  type?: unknown;
}
interface Conversation {
  id?: unknown;
  inbox_id?: unknown;
  status?: unknown;
  custom_attributes?: Record<string, unknown> | null;
}
interface Payload extends Conversation {
  event?: unknown;
  id?: unknown;
  content?: unknown;
  message_type?: unknown;
  private?: unknown;
  content_type?: unknown;
  sender?: Sender | null;
  user?: Sender | null;
  conversation?: Conversation | null;
  inbox?: { id?: unknown } | null;
  attachments?: { data_url?: unknown }[] | null;
  is_private?: unknown;
}

/** Longest agent name passed on (the agents' webhook allows as much). */
const MAX_NAME = 100;
/** Our text limit for one agent message before the engine's own quota clips it. */
const MAX_TEXT = 10_000;

const ignored = (why: string): ChatwootAction => ({ kind: 'ignored', why });

function agentName(s: Sender | null | undefined): string {
  const name = typeof s?.name === 'string' ? s.name.trim() : '';
  return (name || 'Agent').slice(0, MAX_NAME);
}

/**
 * What a webhook asks for, given our inbox: an agent's public reply (message_created, outgoing, not private), an
 * agent typing (conversation_typing_on, not private), the conversation resolved (conversation_status_changed);
 * everything else, or another inbox's conversation, is ignored with the reason.
 */
export function translateWebhook(body: unknown, inboxId: number, attribute: string): ChatwootAction {
  if (!body || typeof body !== 'object') return ignored('not an object');
  const p = body as Payload;
  // Conversation events are the conversation itself (Conversation#webhook_data merged with the event name).
  const conv = p.event === 'conversation_status_changed' ? p : p.conversation;
  const cw = typeof conv?.id === 'number' ? conv.id : undefined;
  if (cw === undefined) return ignored(`event ${String(p.event)} without conversation.id`);
  const inbox = typeof conv?.inbox_id === 'number' ? conv.inbox_id : p.inbox?.id;
  if (inbox !== inboxId) return ignored(`conversation ${cw} is in inbox ${String(inbox)}, not ${inboxId}`);
  const attr = conv?.custom_attributes?.[attribute];
  const ours = typeof attr === 'string' && attr ? { attribute: attr } : {};
  switch (p.event) {
    case 'message_created':
      return message(p, cw, ours);
    case 'conversation_typing_on':
      if (p.is_private === true) return ignored('typing a private note');
      return { kind: 'typing', conversation: cw, agent: agentName(p.user), ...ours };
    case 'conversation_status_changed':
      return conv?.status === 'resolved'
        ? { kind: 'resolved', conversation: cw, ...ours }
        : ignored(`conversation ${cw} is now ${String(conv?.status)}`);
    default:
      return ignored(`event ${String(p.event)}`);
  }
}

/** Only an agent's public outgoing message: our own incoming posts, private notes, activity, templates never. */
function message(p: Payload, cw: number, ours: { attribute?: string }): ChatwootAction {
  if (typeof p.id !== 'number') return ignored('message without id');
  if (p.message_type !== 'outgoing') return ignored(`message ${p.id} is ${String(p.message_type)}`);
  if (p.private !== false) return ignored(`message ${p.id} is a private note`);
  if (p.content_type !== undefined && p.content_type !== 'text')
    return ignored(`message ${p.id} has content type ${String(p.content_type)}`);
  const files = (p.attachments ?? []).flatMap((a) => (typeof a?.data_url === 'string' ? [a.data_url] : []));
  const text = [typeof p.content === 'string' ? p.content.trim() : '', ...files].filter(Boolean).join('\n');
  if (!text) return ignored(`message ${p.id} is empty`);
  return {
    kind: 'message',
    conversation: cw,
    messageId: p.id,
    agent: agentName(p.sender),
    text: text.slice(0, MAX_TEXT),
    ...ours,
  };
}
