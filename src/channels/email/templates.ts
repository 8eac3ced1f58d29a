import type { MessageRecord } from '../../domain/conversation';
import type { Lang } from '../../domain/types';

/** A mail's words: subject, plain text and HTML (every value escaped), in the conversation's language. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

interface Words {
  subject: string;
  hello: string;
  replied: (agent: string) => string;
  files: (n: number) => string;
  transcriptIntro: string;
  you: string;
  bot: string;
  link: string;
  why: string;
  locale: string;
}

const WORDS: Record<Lang, Words> = {
  fr: {
    subject: 'Votre conversation avec notre service client',
    hello: 'Bonjour,',
    replied: (a) => `${a} vous a répondu :`,
    files: (n) => `(${n} fichier${n > 1 ? 's' : ''} joint${n > 1 ? 's' : ''} : à voir dans la conversation)`,
    transcriptIntro: 'Voici votre conversation, comme vous l’avez demandé :',
    you: 'Vous',
    bot: 'Assistant',
    link: 'Pour continuer la conversation :',
    why: 'Vous recevez ce message parce que vous avez donné cette adresse dans notre chat.',
    locale: 'fr-FR',
  },
  ro: {
    subject: 'Conversația dumneavoastră cu serviciul clienți',
    hello: 'Bună ziua,',
    replied: (a) => `${a} v-a răspuns:`,
    files: (n) => `(${n} ${n > 1 ? 'fișiere atașate' : 'fișier atașat'}: de văzut în conversație)`,
    transcriptIntro: 'Iată conversația dumneavoastră, așa cum ați cerut:',
    you: 'Dumneavoastră',
    bot: 'Asistent',
    link: 'Pentru a continua conversația:',
    why: 'Primiți acest mesaj pentru că ați dat această adresă în chatul nostru.',
    locale: 'ro-RO',
  },
  en: {
    subject: 'Your conversation with our customer service',
    hello: 'Hello,',
    replied: (a) => `${a} replied:`,
    files: (n) => `(${n} attached file${n > 1 ? 's' : ''}: see the conversation)`,
    transcriptIntro: 'Here is your conversation, as you asked:',
    you: 'You',
    bot: 'Assistant',
    link: 'To continue the conversation:',
    why: 'You get this message because you gave this address in our chat.',
    locale: 'en-GB',
  },
};

/** Text as HTML: the five characters that could start markup or end an attribute. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const paragraphs = (lines: string[]) =>
  lines.map((l) => `<p style="white-space:pre-wrap;margin:0 0 1em">${escapeHtml(l)}</p>`).join('\n');

function page(w: Words, body: string[], link: string, lang: Lang): { text: string; html: string } {
  const text = [w.hello, '', ...body.flatMap((b) => [b, '']), `${w.link} ${link}`, '', `-- `, w.why, ''].join('\n');
  const html = [
    `<!doctype html><html lang="${lang}"><body style="font-family:sans-serif">`,
    paragraphs([w.hello, ...body]),
    `<p>${escapeHtml(w.link)} <a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
    `<p style="color:#666;font-size:90%">${escapeHtml(w.why)}</p>`,
    '</body></html>',
  ].join('\n');
  return { text, html };
}

/** A subject the mail readers thread on: "Re: " from the second mail of a conversation. */
const subjectOf = (w: Words, inThread: boolean) => (inThread ? `Re: ${w.subject}` : w.subject);

/** An agent's reply. */
export function replyMail(
  lang: Lang,
  r: { agent: string; text: string; files?: number },
  link: string,
  inThread: boolean,
): MailContent {
  const w = WORDS[lang];
  const body = [w.replied(r.agent), r.text, ...(r.files ? [w.files(r.files)] : [])];
  return { subject: subjectOf(w, inThread), ...page(w, body, link, lang) };
}

/** The transcript: one line per message, "[date time] who: text". */
export function transcriptMail(
  lang: Lang,
  messages: MessageRecord[],
  link: string,
  inThread: boolean,
  timeZone = 'Europe/Paris',
): MailContent {
  const w = WORDS[lang];
  const when = new Intl.DateTimeFormat(w.locale, { dateStyle: 'short', timeStyle: 'short', timeZone });
  const who = (m: MessageRecord) => (m.from === 'customer' ? w.you : m.from === 'agent' ? (m.source?.id ?? '') : w.bot);
  const lines = messages
    .filter((m) => m.text.trim() !== '')
    .map((m) => `[${when.format(new Date(m.at))}] ${who(m)}: ${m.text}`);
  return { subject: subjectOf(w, inThread), ...page(w, [w.transcriptIntro, lines.join('\n')], link, lang) };
}
