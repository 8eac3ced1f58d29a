import type { Lang } from '../domain/types';

/** The dialog engine's own sentences (dialog content comes from dialogs/*.yaml). */
export const DIALOG_MESSAGES: Record<
  Lang,
  {
    cancelled: string;
    resume: string;
    switchQuestion: (current: string) => string;
    tooManyAttempts: string;
    lookupFailed: string;
    csatQuestion: string;
    csatThanks: string;
    yes: string;
    no: string;
    skip: string;
    talkToPerson: string;
    /** Attachment steps: the file(s) taken, by name. */
    received: (names: string[], images: boolean) => string;
    linkReceived: string;
    /** Files of a type the step does not take, by name (the step's retry follows, naming the accepted types). */
    refused: (names: string[]) => string;
    /** Room for more files at the step. */
    more: (left: number) => string;
    done: string;
    /** Files sent with no dialog waiting for them: what the bot can do with them. */
    fileNoRequest: string;
  }
> = {
  fr: {
    cancelled: 'D’accord, j’arrête là. Puis-je vous aider pour autre chose ?',
    resume: 'Pour reprendre :',
    switchQuestion: (t) => `Voulez-vous abandonner votre demande en cours (« ${t} ») ?`,
    tooManyAttempts: 'Je n’arrive pas à lire cette information. Je vous propose de parler à un conseiller.',
    lookupFailed: 'Désolé, notre système de suivi ne répond pas pour le moment. Un conseiller peut vérifier pour vous.',
    csatQuestion: 'Votre avis compte : de 1 (pas du tout) à 5 (tout à fait), cette réponse vous a-t-elle aidé ?',
    csatThanks: 'Merci pour votre note !',
    yes: 'Oui',
    no: 'Non',
    skip: 'Passer',
    talkToPerson: 'Parler à un conseiller',
    received: (n, img) =>
      n.length === 1
        ? `${img ? 'Photo' : 'Fichier'} « ${n[0]} » ${img ? 'reçue' : 'reçu'}.`
        : `${img ? 'Photos' : 'Fichiers'} ${n.map((x) => `« ${x} »`).join(', ')} ${img ? 'reçues' : 'reçus'}.`,
    linkReceived: 'Lien reçu.',
    refused: (n) =>
      `Je ne peux pas prendre ${n.map((x) => `« ${x} »`).join(', ')} : ce type de fichier n’est pas accepté ici.`,
    more: (left) =>
      `Vous pouvez en envoyer ${left === 1 ? 'encore une' : `jusqu’à ${left} de plus`}, ou cliquer sur « Continuer ».`,
    done: 'Continuer',
    fileNoRequest:
      'Je peux le joindre à l’une des demandes ci-dessous, ou vous passer un conseiller. Que souhaitez-vous faire ?',
  },
  ro: {
    cancelled: 'Bine, mă opresc aici. Vă mai pot ajuta cu altceva?',
    resume: 'Să reluăm:',
    switchQuestion: (t) => `Renunțați la solicitarea în curs („${t}”)?`,
    tooManyAttempts: 'Nu reușesc să citesc această informație. Vă propun să vorbiți cu un operator.',
    lookupFailed:
      'Ne pare rău, sistemul nostru de urmărire nu răspunde momentan. Un operator poate verifica pentru dumneavoastră.',
    csatQuestion: 'Părerea dumneavoastră contează: de la 1 (deloc) la 5 (pe deplin), v-a ajutat acest răspuns?',
    csatThanks: 'Mulțumim pentru notă!',
    yes: 'Da',
    no: 'Nu',
    skip: 'Sari peste',
    talkToPerson: 'Vorbiți cu un operator',
    received: (n, img) =>
      n.length === 1
        ? `${img ? 'Fotografia' : 'Fișierul'} „${n[0]}” ${img ? 'a fost primită' : 'a fost primit'}.`
        : `${img ? 'Fotografiile' : 'Fișierele'} ${n.map((x) => `„${x}”`).join(', ')} au fost primite.`,
    linkReceived: 'Link primit.',
    refused: (n) => `Nu pot prelua ${n.map((x) => `„${x}”`).join(', ')}: acest tip de fișier nu este acceptat aici.`,
    more: (left) => `Mai puteți trimite ${left === 1 ? 'încă una' : `până la ${left}`} sau apăsați „Continuă”.`,
    done: 'Continuă',
    fileNoRequest:
      'Îl pot atașa la una dintre solicitările de mai jos sau vă pot pune în legătură cu un operator. Ce doriți să faceți?',
  },
  en: {
    cancelled: 'All right, I have stopped. Can I help with anything else?',
    resume: 'To pick up where we were:',
    switchQuestion: (t) => `Do you want to drop your current request ("${t}")?`,
    tooManyAttempts: 'I cannot read that information. Let me offer you a person to talk to.',
    lookupFailed: 'Sorry, our tracking system is not answering right now. A person can check for you.',
    csatQuestion: 'Your opinion matters: from 1 (not at all) to 5 (completely), did this help you?',
    csatThanks: 'Thank you for your rating!',
    yes: 'Yes',
    no: 'No',
    skip: 'Skip',
    talkToPerson: 'Talk to a person',
    received: (n, img) =>
      n.length === 1
        ? `${img ? 'Photo' : 'File'} "${n[0]}" received.`
        : `${img ? 'Photos' : 'Files'} ${n.map((x) => `"${x}"`).join(', ')} received.`,
    linkReceived: 'Link received.',
    refused: (n) => `I can't take ${n.map((x) => `"${x}"`).join(', ')}: that type of file is not accepted here.`,
    more: (left) => `You can send ${left === 1 ? 'one more' : `up to ${left} more`}, or click "Continue".`,
    done: 'Continue',
    fileNoRequest: 'I can attach it to one of the requests below, or pass you to a person. What would you like to do?',
  },
};

const words = (s: string) => s.split('|');
/** Words that stop or explain the current step, in any of the three languages (folded). */
export const CANCEL_WORDS = new Set(
  words('annuler|annule|laisse tomber|stop|arrete|anuleaza|anulez|renunt|cancel|never mind|forget it|quit'),
);
export const HELP_WORDS = new Set(
  words('aide|aidez moi|je ne comprends pas|help|ajutor|nu inteleg|what do you mean|comment faire'),
);
/** Words that close an attachment step once a file was received ("that's all"), in any language (folded). */
export const DONE_WORDS = new Set(
  words(
    "continuer|continue|c'est tout|c est tout|termine|fini|suivant|done|that's all|thats all|next|finished|continua|gata|asta e tot|urmatorul",
  ),
);
