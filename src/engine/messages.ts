import type { Lang } from '../domain/types';

/** The bot's own sentences (not knowledge-base content), per language. */
export interface BotMessages {
  empty: string;
  tooLong: string;
  fallback: string;
  clarify: string;
  noneOfThese: string;
  talkToPerson: string;
  topicIntro: (topic: string) => string;
  unknownAction: string;
  /** After a 👍 on an answer. */
  feedbackThanks: string;
  /** After a 👎 on an answer. */
  feedbackSorry: string;
  /** "annuler" typed while a "did you mean" is offered. */
  dismissed: string;
}

export const MESSAGES: Record<Lang, BotMessages> = {
  fr: {
    empty: 'Je n’ai pas reçu de texte. Posez-moi votre question, par exemple « où en est ma réparation ? ».',
    tooLong: 'Votre message est très long : j’ai lu le début. Si je me trompe, reformulez en une ou deux phrases.',
    fallback:
      'Je ne suis pas sûr d’avoir compris. Pouvez-vous reformuler en quelques mots ? Vous pouvez aussi choisir un sujet ci-dessous ou parler à un conseiller.',
    clarify: 'Voulez-vous dire :',
    noneOfThese: 'Aucun des deux',
    talkToPerson: 'Parler à un conseiller',
    topicIntro: (t) => `Voici ce que je peux vous dire sur « ${t} » :`,
    unknownAction: 'Ce bouton n’est plus valable. Posez-moi votre question directement.',
    feedbackThanks: 'Merci pour votre retour !',
    feedbackSorry:
      'Désolé que cette réponse ne vous ait pas aidé. Reformulez votre question en quelques mots, ou parlez à un conseiller.',
    dismissed: 'D’accord, laissons cela. Posez-moi votre question autrement, ou choisissez un sujet :',
  },
  ro: {
    empty: 'Nu am primit niciun text. Scrieți-mi întrebarea, de exemplu „unde este reparația mea?”.',
    tooLong: 'Mesajul este foarte lung: am citit începutul. Dacă am greșit, reformulați în una-două propoziții.',
    fallback:
      'Nu sunt sigur că am înțeles. Puteți reformula în câteva cuvinte? Puteți alege și un subiect de mai jos sau vorbi cu un operator.',
    clarify: 'Vă referiți la:',
    noneOfThese: 'Niciuna',
    talkToPerson: 'Vorbiți cu un operator',
    topicIntro: (t) => `Iată ce vă pot spune despre „${t}”:`,
    unknownAction: 'Acest buton nu mai este valabil. Scrieți-mi direct întrebarea.',
    feedbackThanks: 'Mulțumim pentru părere!',
    feedbackSorry:
      'Ne pare rău că răspunsul nu v-a ajutat. Reformulați întrebarea în câteva cuvinte sau vorbiți cu un operator.',
    dismissed: 'Bine, lăsăm asta. Scrieți-mi întrebarea altfel sau alegeți un subiect:',
  },
  en: {
    empty: 'I did not get any text. Ask me your question, for example "where is my repair?".',
    tooLong:
      'Your message is very long: I read the beginning. If I got it wrong, please rephrase in a sentence or two.',
    fallback:
      'I am not sure I understood. Could you rephrase in a few words? You can also pick a topic below or talk to a person.',
    clarify: 'Did you mean:',
    noneOfThese: 'Neither',
    talkToPerson: 'Talk to a person',
    topicIntro: (t) => `Here is what I can tell you about "${t}":`,
    unknownAction: 'That button is no longer valid. Please type your question.',
    feedbackThanks: 'Thank you for your feedback!',
    feedbackSorry: 'Sorry this answer did not help. Please rephrase your question in a few words, or talk to a person.',
    dismissed: 'All right, let us leave that. Ask me your question another way, or pick a topic:',
  },
};
