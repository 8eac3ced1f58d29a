import { fold } from './normalize';

/**
 * Email in customers' words: a request for the conversation by email ("envoyez-moi la conversation par e-mail",
 * "send me the chat by email", "trimiteți-mi conversația pe e-mail") and a typed address. Plain word checks on
 * folded text (no regular expression runs on what the customer typed here).
 */

const MAX_CHARS = 300;

/** "email", "e-mail", "mail", "courriel", "mél" (folded), alone or with a French or Romanian article. */
const MAIL_WORDS = new Set(['email', 'e-mail', 'mail', 'courriel', 'mel', 'emailul', 'e-mailul', 'mailul', 'emails']);
/** What is sent: the conversation, the chat, its transcript or history (fr, en, ro; folded). */
const CONVERSATION_WORDS = new Set([
  'conversation',
  'conversations',
  'discussion',
  'echange',
  'echanges',
  'historique',
  'transcription',
  'transcript',
  'chat',
  'conversatia',
  'conversatie',
  'conversatiei',
  'discutia',
  'discutie',
  'discutiei',
  'istoricul',
  'transcrierea',
]);

/** True for a request to get this conversation by email, in French, English or Romanian. */
export function asksTranscriptByEmail(text: string): boolean {
  if (text.includes('@')) return false;
  const words = fold(text.slice(0, MAX_CHARS))
    .split(' ')
    .map((w) => w.replace(/^(?:l|d)'/, ''));
  return words.some((w) => MAIL_WORDS.has(w)) && words.some((w) => CONVERSATION_WORDS.has(w));
}

const LOCAL_CHARS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$/;
const LABEL_CHARS = /^[A-Za-z0-9-]{1,63}$/;
const label = (l: string) => LABEL_CHARS.test(l) && !l.startsWith('-') && !l.endsWith('-');
const TLD = /^[A-Za-z]{2,63}$/;

/**
 * A deliverable-looking address ("name@shop.example"), or undefined: one @, a local part of usual characters without
 * dots at its ends or doubled, a domain of at least two labels ending with letters; no spaces or line breaks (the
 * address goes in a mail header). The domain is lower-cased.
 */
export function validEmail(raw: string): string | undefined {
  const s = raw.trim();
  if (s.length > 254) return undefined;
  const at = s.indexOf('@');
  if (at < 1 || at !== s.lastIndexOf('@')) return undefined;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1).toLowerCase();
  if (local.length > 64 || !LOCAL_CHARS.test(local)) return undefined;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return undefined;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every(label) || !TLD.test(labels[labels.length - 1]!)) return undefined;
  return `${local}@${domain}`;
}

/** Punctuation around an address in a sentence ("<a@b.fr>", "a@b.fr.", "(a@b.fr),"). */
const EDGES = '<>()[]"\'.,;:!?«»';

/** The first valid address in a message, if any ("c'est marie@exemple.fr merci" -> "marie@exemple.fr"). */
export function emailIn(text: string): string | undefined {
  if (!text.includes('@')) return undefined;
  for (const token of text.slice(0, 1000).split(/[\s,;]+/)) {
    if (!token.includes('@')) continue;
    let start = 0;
    let end = token.length;
    while (start < end && EDGES.includes(token[start]!)) start++;
    while (end > start && EDGES.includes(token[end - 1]!)) end--;
    const found = validEmail(token.slice(start, end));
    if (found) return found;
  }
  return undefined;
}

/** Whether a message holds something meant as an address (an @ between two non-spaces), valid or not. */
export function looksLikeEmail(text: string): boolean {
  const at = text.indexOf('@');
  return at > 0 && at < text.length - 1 && text[at - 1] !== ' ' && text[at + 1] !== ' ';
}
