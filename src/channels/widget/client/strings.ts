/** The widget's own words (messages come from the bot in the conversation's language). */
export type UiLang = 'fr' | 'ro' | 'en';

export interface UiStrings {
  open: string;
  close: string;
  title: string;
  intro: string;
  inputLabel: string;
  placeholder: string;
  send: string;
  you: string;
  assistant: string;
  agent: string;
  /** `minutes` undefined: the server gives no estimate (not enough data), someone answers as soon as possible. */
  queued: (position: number, minutes?: number) => string;
  /** Outside opening hours: no wait estimate, someone answers when the service opens. */
  queuedClosed: (position: number) => string;
  withAgent: (name: string) => string;
  typing: (name: string) => string;
  reconnecting: string;
  sendFailed: string;
  /** The server refused for a while (429): shown in the conversation. */
  slowDown: string;
  /** A mail's link that no longer works (expired, altered): shown in the conversation, which starts afresh. */
  linkFailed: string;
  unread: (n: number) => string;
  suggestions: string;
  /** "Was this helpful?" under an answer, and its two buttons' accessible names. */
  helpful: string;
  helpfulYes: string;
  helpfulNo: string;
}

const minutes = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
/** Romanian puts "de" between a number ending in 20-99 (or 00) and its noun: "3 minute", "25 de minute". */
const minuteRo = (n: number) =>
  n === 1 ? '1 minut' : n % 100 >= 20 || (n >= 100 && n % 100 === 0) ? `${n} de minute` : `${n} minute`;

export const STRINGS: Record<UiLang, UiStrings> = {
  fr: {
    open: 'Ouvrir le chat du service après-vente',
    close: 'Fermer le chat',
    title: 'Service après-vente',
    intro: 'Bonjour ! Posez votre question : garantie, réparation, livraison, retour…',
    inputLabel: 'Votre message',
    placeholder: 'Écrivez votre question…',
    send: 'Envoyer',
    you: 'Vous',
    assistant: 'Assistant',
    agent: 'Conseiller',
    queued: (p, m) =>
      `Vous êtes n° ${p} dans la file d'attente · ${m === undefined ? 'un conseiller vous répondra dès que possible' : `attente estimée : ${minutes(m, 'minute', 'minutes')}`}`,
    queuedClosed: (p) => `Vous êtes n° ${p} dans la file d'attente · un conseiller vous répondra dès l'ouverture`,
    withAgent: (n) => `Vous discutez avec ${n}`,
    typing: (n) => `${n} écrit…`,
    reconnecting: 'Connexion perdue, reconnexion…',
    sendFailed: "Le message n'a pas pu être envoyé. Réessayez.",
    slowDown: 'Vous écrivez très vite : patientez un instant, puis renvoyez votre message.',
    linkFailed: "Ce lien vers votre conversation n'est plus valable. Vous pouvez poser votre question ici.",
    unread: (n) => `${n} nouveau(x) message(s)`,
    suggestions: 'Suggestions',
    helpful: 'Cette réponse vous a-t-elle aidé ?',
    helpfulYes: 'Oui, cette réponse m’a aidé',
    helpfulNo: 'Non, cette réponse ne m’a pas aidé',
  },
  ro: {
    open: 'Deschide chatul de service după vânzare',
    close: 'Închide chatul',
    title: 'Service după vânzare',
    intro: 'Bună ziua! Puneți întrebarea: garanție, reparație, livrare, retur…',
    inputLabel: 'Mesajul dumneavoastră',
    placeholder: 'Scrieți întrebarea…',
    send: 'Trimite',
    you: 'Dumneavoastră',
    assistant: 'Asistent',
    agent: 'Consilier',
    queued: (p, m) =>
      `Poziția dumneavoastră în coadă: ${p} · ${m === undefined ? 'un consilier vă răspunde cât mai curând' : `timp de așteptare estimat: ${minuteRo(m)}`}`,
    queuedClosed: (p) => `Poziția dumneavoastră în coadă: ${p} · un consilier vă răspunde când începe programul`,
    withAgent: (n) => `Vorbiți cu ${n}`,
    typing: (n) => `${n} scrie…`,
    reconnecting: 'Conexiune pierdută, reconectare…',
    sendFailed: 'Mesajul nu a putut fi trimis. Încercați din nou.',
    slowDown: 'Scrieți foarte repede: așteptați puțin, apoi trimiteți din nou mesajul.',
    linkFailed: 'Acest link către conversația dumneavoastră nu mai este valabil. Puteți pune întrebarea aici.',
    unread: (n) => `${n} mesaj(e) nou(i)`,
    suggestions: 'Sugestii',
    helpful: 'V-a fost util acest răspuns?',
    helpfulYes: 'Da, răspunsul m-a ajutat',
    helpfulNo: 'Nu, răspunsul nu m-a ajutat',
  },
  en: {
    open: 'Open the after-sales chat',
    close: 'Close the chat',
    title: 'After-sales service',
    intro: 'Hello! Ask your question: warranty, repair, delivery, returns…',
    inputLabel: 'Your message',
    placeholder: 'Type your question…',
    send: 'Send',
    you: 'You',
    assistant: 'Assistant',
    agent: 'Agent',
    queued: (p, m) =>
      `You are number ${p} in the queue · ${m === undefined ? 'a person will answer as soon as possible' : `estimated wait: ${minutes(m, 'minute', 'minutes')}`}`,
    queuedClosed: (p) => `You are number ${p} in the queue · an agent will answer when we open`,
    withAgent: (n) => `You are chatting with ${n}`,
    typing: (n) => `${n} is typing…`,
    reconnecting: 'Connection lost, reconnecting…',
    sendFailed: 'The message could not be sent. Please try again.',
    slowDown: 'You are writing very fast: please wait a moment, then send your message again.',
    linkFailed: 'This link to your conversation no longer works. You can ask your question here.',
    unread: (n) => `${n} new message(s)`,
    suggestions: 'Suggestions',
    helpful: 'Was this helpful?',
    helpfulYes: 'Yes, this answer helped',
    helpfulNo: 'No, this answer did not help',
  },
};

/** data-lang, else the page's <html lang>, else English; only the languages the product speaks. */
export function pickLang(dataLang: string | undefined, htmlLang: string | undefined): UiLang {
  for (const l of [dataLang, htmlLang]) {
    const short = (l ?? '').trim().slice(0, 2).toLowerCase();
    if (short === 'fr' || short === 'ro' || short === 'en') return short;
  }
  return 'en';
}
