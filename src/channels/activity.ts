import { feedbackAction, type Lang, type Reply, type Suggestion } from '../domain/types';
import type { MessageRecord } from '../domain/conversation';

/**
 * The Activity protocol (Bot Framework / Azure Bot Service / Direct Line 3.0), as plain JSON: only the fields
 * this product reads or writes. Shared by the Bot Framework gateway and the Direct Line endpoint so that both
 * translate the engine's replies the same way; no SDK type leaks past the channels.
 */
export interface ChannelAccount {
  id: string;
  name?: string;
  role?: string;
  aadObjectId?: string;
}

export interface CardAction {
  type: 'imBack';
  title: string;
  /** Always a string: Web Chat rejects object values on imBack. */
  value: string;
}

/** A card button that sends a value (not text): the engine gets `value.action`, the chat shows `displayText`. */
export interface MessageBackAction {
  type: 'messageBack';
  title: string;
  text: string;
  displayText: string;
  value: { action: string };
}

/** A hero card (the feedback buttons), one kind of activity attachment. */
export interface CardAttachment {
  contentType: string;
  content: { text?: string; buttons?: MessageBackAction[] };
}

export interface Entity {
  type: string;
  mentioned?: ChannelAccount;
  text?: string;
  [k: string]: unknown;
}

/** A file on an activity: a URL the client fetches (ours on the way out, the channel's on the way in). */
export interface AttachmentJson {
  contentType: string;
  contentUrl?: string;
  name?: string;
  content?: unknown;
  thumbnailUrl?: string;
}

export interface ActivityJson {
  type: string;
  id?: string;
  timestamp?: string;
  channelId?: string;
  serviceUrl?: string;
  from?: ChannelAccount;
  recipient?: ChannelAccount;
  conversation?: { id: string; conversationType?: string; tenantId?: string; isGroup?: boolean; name?: string };
  replyToId?: string;
  text?: string;
  textFormat?: 'plain' | 'markdown' | 'xml';
  locale?: string;
  inputHint?: 'acceptingInput' | 'expectingInput' | 'ignoringInput';
  value?: unknown;
  name?: string;
  entities?: Entity[];
  suggestedActions?: { to?: string[]; actions: CardAction[] };
  membersAdded?: ChannelAccount[];
  channelData?: Record<string, unknown>;
  attachments?: AttachmentJson[];
}

/** Where suggested actions are shown and how many: Teams shows at most 3, and only in personal (1:1) chats. */
export interface ButtonPolicy {
  /** Most buttons shown as suggested actions (0: none, list the options in the text instead). */
  maxActions: number;
}

const LOCALES: Record<Lang, string> = { fr: 'fr-FR', ro: 'ro-RO', en: 'en-US' };
const OPTIONS_INTRO: Record<Lang, string> = {
  fr: 'Vous pouvez répondre :',
  ro: 'Puteți răspunde:',
  en: 'You can reply:',
};

/** The button policy for a conversation on a channel: Teams channels and group chats show no suggested actions. */
export function buttonPolicy(channelId: string | undefined, conversationType?: string): ButtonPolicy {
  if (channelId === 'msteams') return { maxActions: conversationType && conversationType !== 'personal' ? 0 : 3 };
  return { maxActions: 10 };
}

/**
 * The text a customer typed, without the @mention of the bot that Teams puts in channel and group messages
 * ("<at>SAV Bot</at> où est mon colis ?" -> "où est mon colis ?").
 */
export function customerText(a: Pick<ActivityJson, 'text' | 'entities' | 'recipient'>): string {
  let text = a.text ?? '';
  for (const e of a.entities ?? []) {
    if (e.type !== 'mention' || !e.mentioned) continue;
    if (a.recipient && e.mentioned.id !== a.recipient.id) continue; // keep mentions of other people
    if (e.text) text = text.split(e.text).join(' ');
  }
  // Teams may leave a mention tag that its entity did not describe exactly.
  if (a.recipient?.name) text = text.split(`<at>${a.recipient.name}</at>`).join(' ');
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * What a message activity asks of the engine: text typed, or a button value (messageBack / Action.Submit with a
 * string value). imBack clicks arrive as text: the engine recognises the label of a button it just offered.
 */
export function incomingOf(a: ActivityJson): { text: string } | { action: string; text?: string } | undefined {
  if (typeof a.value === 'string' && a.value.trim() && !a.text?.trim()) return { action: a.value.trim() };
  const v = a.value as { action?: unknown } | undefined;
  if (v && typeof v === 'object' && typeof v.action === 'string' && v.action.trim()) {
    // A messageBack's text (the label, e.g. 👍) is what the transcript shows for the click.
    const label = customerText(a).slice(0, 200);
    return { action: v.action.trim(), ...(label ? { text: label } : {}) };
  }
  const text = customerText(a);
  return text ? { text } : undefined;
}

/** Buttons as imBack actions whose value is the label (what the customer sees sent), plus a text fallback. */
function withButtons(
  text: string,
  suggestions: Suggestion[] | undefined,
  lang: Lang,
  policy: ButtonPolicy,
): Pick<ActivityJson, 'text' | 'suggestedActions'> {
  if (!suggestions?.length) return { text };
  const shown = suggestions.slice(0, policy.maxActions);
  // Options that cannot all be buttons are listed in the text: typing a label works like clicking it.
  const listed =
    shown.length < suggestions.length
      ? `\n\n${OPTIONS_INTRO[lang]}\n${suggestions.map((s) => `• ${s.label}`).join('\n')}`
      : '';
  return {
    text: text + listed,
    ...(shown.length
      ? {
          suggestedActions: {
            actions: shown.map((s) => ({ type: 'imBack' as const, title: s.label, value: s.label })),
          },
        }
      : {}),
  };
}

const HELPFUL: Record<Lang, string> = {
  fr: 'Cette réponse vous a-t-elle aidé ?',
  ro: 'V-a fost util acest răspuns?',
  en: 'Was this helpful?',
};

/**
 * "Was this helpful? 👍 👎" under an answer (Reply.feedback), as a hero card: Teams shows card buttons in every kind
 * of chat (suggested actions only in personal ones) and Web Chat renders it too. messageBack sends the vote as the
 * value `feedback:<up|down>:<entry>`, whatever the label.
 */
function feedbackCard(entryId: string | undefined, lang: Lang): Pick<ActivityJson, 'attachments'> {
  if (!entryId) return {};
  const button = (vote: 'up' | 'down'): MessageBackAction => {
    const icon = vote === 'up' ? '👍' : '👎';
    return {
      type: 'messageBack',
      title: icon,
      text: icon,
      displayText: icon,
      value: { action: feedbackAction(vote, entryId) },
    };
  };
  const content = { text: HELPFUL[lang], buttons: [button('up'), button('down')] };
  return { attachments: [{ contentType: 'application/vnd.microsoft.card.hero', content }] };
}

/** One engine reply as a message activity (plain text: answers are never interpreted as markup). */
export function replyActivity(reply: Reply, policy: ButtonPolicy): ActivityJson {
  return {
    type: 'message',
    textFormat: 'plain',
    locale: LOCALES[reply.lang],
    ...withButtons(reply.text, reply.suggestions, reply.lang, policy),
    ...(reply.feedback ? feedbackCard(reply.source.id, reply.lang) : {}),
    inputHint: reply.suggestions?.length ? 'expectingInput' : 'acceptingInput',
  };
}

/**
 * A stored message as an activity: agents' messages (sent proactively, or replayed by Direct Line) carry the
 * agent's name; the bot's carry their buttons.
 */
export function recordActivity(m: MessageRecord, conversationLang: Lang, policy: ButtonPolicy): ActivityJson {
  const lang = m.lang ?? conversationLang;
  return {
    type: 'message',
    id: String(m.id),
    timestamp: m.at,
    textFormat: 'plain',
    locale: LOCALES[lang],
    ...withButtons(m.text, m.from === 'customer' ? undefined : m.suggestions, lang, policy),
    ...(m.feedback && m.from === 'bot' ? feedbackCard(m.source?.id, lang) : {}),
    ...(m.from === 'agent' ? { channelData: { agent: { name: m.source?.id ?? '' } } } : {}),
  };
}
