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
    notFoundAgain: string;
    csatQuestion: string;
    csatThanks: string;
    yes: string;
    no: string;
    skip: string;
    talkToPerson: string;
  }
> = {
  fr: {
    cancelled: 'D’accord, j’arrête là. Puis-je vous aider pour autre chose ?',
    resume: 'Pour reprendre :',
    switchQuestion: (t) => `Voulez-vous abandonner votre demande en cours (« ${t} ») ?`,
    tooManyAttempts: 'Je n’arrive pas à lire cette information. Je vous propose de parler à un conseiller.',
    lookupFailed: 'Désolé, notre système de suivi ne répond pas pour le moment. Un conseiller peut vérifier pour vous.',
    notFoundAgain:
      'Je ne trouve toujours rien à ce numéro. Plutôt que de vous le redemander, je vous propose un conseiller : il pourra le retrouver avec vous.',
    csatQuestion: 'Votre avis compte : de 1 (pas du tout) à 5 (tout à fait), cette réponse vous a-t-elle aidé ?',
    csatThanks: 'Merci pour votre note !',
    yes: 'Oui',
    no: 'Non',
    skip: 'Passer',
    talkToPerson: 'Parler à un conseiller',
  },
  ro: {
    cancelled: 'Bine, mă opresc aici. Vă mai pot ajuta cu altceva?',
    resume: 'Să reluăm:',
    switchQuestion: (t) => `Renunțați la solicitarea în curs („${t}”)?`,
    tooManyAttempts: 'Nu reușesc să citesc această informație. Vă propun să vorbiți cu un operator.',
    lookupFailed:
      'Ne pare rău, sistemul nostru de urmărire nu răspunde momentan. Un operator poate verifica pentru dumneavoastră.',
    notFoundAgain:
      'Tot nu găsesc nimic cu acest număr. În loc să vi-l cer din nou, vă propun un operator: îl poate căuta împreună cu dumneavoastră.',
    csatQuestion: 'Părerea dumneavoastră contează: de la 1 (deloc) la 5 (pe deplin), v-a ajutat acest răspuns?',
    csatThanks: 'Mulțumim pentru notă!',
    yes: 'Da',
    no: 'Nu',
    skip: 'Sari peste',
    talkToPerson: 'Vorbiți cu un operator',
  },
  en: {
    cancelled: 'All right, I have stopped. Can I help with anything else?',
    resume: 'To pick up where we were:',
    switchQuestion: (t) => `Do you want to drop your current request ("${t}")?`,
    tooManyAttempts: 'I cannot read that information. Let me offer you a person to talk to.',
    lookupFailed: 'Sorry, our tracking system is not answering right now. A person can check for you.',
    notFoundAgain:
      'I still find nothing with that number. Rather than ask you again, let me offer you a person: they can look it up with you.',
    csatQuestion: 'Your opinion matters: from 1 (not at all) to 5 (completely), did this help you?',
    csatThanks: 'Thank you for your rating!',
    yes: 'Yes',
    no: 'No',
    skip: 'Skip',
    talkToPerson: 'Talk to a person',
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
