import type { Lang } from '../domain/types';

/** What the customer is told about email (offer, consent notice, confirmations), per language. */
export interface EmailMessages {
  /** Nobody online: agents are away (`closed`) or none has joined yet. */
  offer: (closed: boolean) => string;
  continueButton: string;
  waitButton: string;
  /** The one-line consent notice with the question: giving the address is the consent. */
  askAddress: (purpose: 'replies' | 'transcript') => string;
  confirmReplies: (address: string) => string;
  confirmTranscript: (address: string) => string;
  invalid: string;
  keepWaiting: string;
  /** Transcripts already mailed as often as allowed in this conversation. */
  tooMany: string;
}

export const EMAIL_MESSAGES: Record<Lang, EmailMessages> = {
  fr: {
    offer: (closed) =>
      `${closed ? 'Aucun conseiller n’est disponible pour le moment.' : 'Aucun conseiller ne s’est encore libéré.'} Voulez-vous continuer par e-mail ? Vous recevrez ses réponses dans votre boîte.`,
    continueButton: 'Continuer par e-mail',
    waitButton: 'Continuer à attendre',
    askAddress: (p) =>
      `Écrivez votre adresse e-mail. En la donnant, vous acceptez que nous vous y envoyions ${p === 'replies' ? 'les réponses du conseiller' : 'cette conversation'} ; elle ne sert à rien d’autre.`,
    confirmReplies: (a) =>
      `Merci : les réponses du conseiller vous seront envoyées à ${a} si vous n’êtes pas sur cette page. Votre demande reste dans la file d’attente.`,
    confirmTranscript: (a) => `C’est fait : la conversation part à l’adresse ${a}.`,
    invalid: 'Cette adresse ne semble pas valide. Écrivez-la de nouveau, par exemple marie@exemple.fr.',
    keepWaiting: 'Très bien, vous restez dans la file d’attente ; un conseiller vous répondra ici.',
    tooMany: 'La conversation vous a déjà été envoyée plusieurs fois : je ne peux plus l’envoyer.',
  },
  ro: {
    offer: (closed) =>
      `${closed ? 'Niciun operator nu este disponibil acum.' : 'Niciun operator nu s-a eliberat încă.'} Doriți să continuăm pe e-mail? Veți primi răspunsurile lui în căsuța dumneavoastră.`,
    continueButton: 'Continuă pe e-mail',
    waitButton: 'Aștept în continuare',
    askAddress: (p) =>
      `Scrieți adresa de e-mail. Dând-o, sunteți de acord să vă trimitem acolo ${p === 'replies' ? 'răspunsurile operatorului' : 'această conversație'}; nu este folosită pentru altceva.`,
    confirmReplies: (a) =>
      `Mulțumim: răspunsurile operatorului vă vor fi trimise la ${a} dacă nu sunteți pe această pagină. Cererea rămâne la rând.`,
    confirmTranscript: (a) => `Gata: conversația pleacă la adresa ${a}.`,
    invalid: 'Adresa nu pare validă. Scrieți-o din nou, de exemplu maria@exemplu.ro.',
    keepWaiting: 'Bine, rămâneți la rând; un operator vă va răspunde aici.',
    tooMany: 'Conversația v-a fost deja trimisă de mai multe ori: nu o mai pot trimite.',
  },
  en: {
    offer: (closed) =>
      `${closed ? 'No advisor is available right now.' : 'No advisor is free yet.'} Would you like to continue by email? You will get their replies in your inbox.`,
    continueButton: 'Continue by email',
    waitButton: 'Keep waiting',
    askAddress: (p) =>
      `Type your email address. By giving it you agree that we send ${p === 'replies' ? 'the advisor’s replies' : 'this conversation'} there; it is used for nothing else.`,
    confirmReplies: (a) =>
      `Thank you: the advisor’s replies will be sent to ${a} when you are not on this page. Your request stays in the queue.`,
    confirmTranscript: (a) => `Done: the conversation is on its way to ${a}.`,
    invalid: 'This address does not look valid. Please type it again, like mary@example.com.',
    keepWaiting: 'Very well, you stay in the queue; an advisor will answer here.',
    tooMany: 'The conversation was already sent to you several times: I cannot send it again.',
  },
};
