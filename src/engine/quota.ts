import type { ConversationState } from '../domain/conversation';
import type { IncomingMessage, Lang, Reply } from '../domain/types';
import type { EngineCore } from './core';
import { MESSAGES } from './messages';

/** The conversation's length limit, in the customer's language: start again, or a person takes over. */
const QUOTA: Record<Lang, (max: number) => string> = {
  fr: (max) =>
    `Cette conversation a atteint sa longueur maximale (${max} messages). Commencez une nouvelle conversation, ou demandez à parler à un conseiller.`,
  ro: (max) =>
    `Această conversație a atins lungimea maximă (${max} de mesaje). Începeți o conversație nouă sau cereți să vorbiți cu un operator.`,
  en: (max) =>
    `This conversation has reached its maximum length (${max} messages). Please start a new conversation, or ask to talk to a person.`,
};

/** What ends a message cut at MAX_MESSAGE_CHARS, in the transcript: the reader sees that more was written. */
export const CUT_MARKER = ' […]';

/**
 * A message longer than MAX_MESSAGE_CHARS is stored cut, with CUT_MARKER, the same on every channel (Teams cannot
 * show a refusal); the customer is told, as for any long message, that the bot read the beginning.
 */
export function clip(core: EngineCore, text: string): string {
  const max = core.options.maxMessageChars;
  return text.length > max ? text.slice(0, max) + CUT_MARKER : text;
}

/**
 * Past MAX_MESSAGES_PER_CONVERSATION stored messages, the customer's message is not stored: the bot says so and
 * offers a person (asking for one still goes through). `count` is the stored messages, read with the conversation. The notice is stored once, when the quota is reached (so
 * that streams show it); later ones are only answered. Undefined while the conversation is under its quota.
 */
export async function overQuota(
  core: EngineCore,
  state: ConversationState,
  msg: IncomingMessage,
  count: number,
): Promise<Reply[] | undefined> {
  const max = core.options.maxMessagesPerConversation;
  if (msg.action === 'handoff' && !state.handoff) return undefined;
  if (count < max) return undefined;
  const lang = state.lang ?? core.options.defaultLang;
  const reply: Reply = {
    text: QUOTA[lang](max),
    source: { kind: 'fallback' },
    lang,
    ...(state.handoff ? {} : { suggestions: [{ label: MESSAGES[lang].talkToPerson, value: 'handoff' }] }),
  };
  if (count === max) {
    const saved = await core.store.append(state.id, [
      {
        at: core.now().toISOString(),
        from: 'bot',
        text: reply.text,
        source: reply.source,
        ...(reply.suggestions ? { suggestions: reply.suggestions } : {}),
      },
    ]);
    core.events.emit('message', state.id, saved, 'turn');
  }
  return [reply];
}
