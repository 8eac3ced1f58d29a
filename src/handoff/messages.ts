import type { Lang } from '../domain/types';

const minutes = (ms: number) => Math.max(1, Math.round(ms / 60_000));
/** Romanian ordinals: "primul" for the first, "al 2-lea", "al 3-lea"... after. */
export const ordinalRo = (p: number) => (p === 1 ? 'primul' : `al ${p}-lea`);

/** What the customer is told about the handoff, per language. */
export const HANDOFF_MESSAGES: Record<
  Lang,
  {
    /** The place in the queue, and the wait when the data supports an estimate (undefined: none is given). */
    queued: (position: number, waitMs: number | undefined) => string;
    closedNow: (when: string) => string;
    angry: string;
    misunderstood: string;
    joined: (name: string) => string;
    /** The short acknowledgement of a message written while waiting (`when`: agents back, when closed). */
    forwarded: (when?: string) => string;
    cancelled: string;
    completed: string;
    cancelButton: string;
  }
> = {
  fr: {
    queued: (p, w) =>
      `Vous êtes n° ${p} dans la file d’attente. ${w === undefined ? 'Un conseiller vous répondra dès que possible.' : `Attente estimée : environ ${minutes(w)} min.`} Vous pouvez écrire votre message en attendant ; écrivez « annuler » pour renoncer.`,
    closedNow: (when) =>
      `Nos conseillers sont absents pour le moment ; ils reviennent ${when}. Laissez votre message et vos coordonnées (e-mail ou téléphone) : ils vous répondront dès leur retour.`,
    angry: 'Je suis désolé pour cette situation. Je vous passe tout de suite un conseiller.',
    misunderstood: 'Je n’arrive pas à vous aider moi-même : je vous passe un conseiller.',
    joined: (n) => `${n} a rejoint la conversation.`,
    forwarded: (when) =>
      when
        ? `Message transmis ; un conseiller vous répondra ici ${when}.`
        : 'Message transmis ; un conseiller vous répondra ici.',
    cancelled: 'Demande de conseiller annulée. Je suis de nouveau à votre disposition.',
    completed: 'Le conseiller a terminé. Je suis de nouveau là si vous avez une autre question.',
    cancelButton: 'Annuler la demande',
  },
  ro: {
    queued: (p, w) =>
      `Sunteți ${ordinalRo(p)} la rând. ${w === undefined ? 'Un operator vă va răspunde cât mai curând posibil.' : `Timp estimat de așteptare: aproximativ ${minutes(w)} min.`} Puteți scrie mesajul între timp; scrieți „anulează” pentru a renunța.`,
    closedNow: (when) =>
      `Operatorii noștri nu sunt disponibili acum; revin ${when}. Lăsați mesajul și datele de contact (e-mail sau telefon): vă vor răspunde imediat ce revin.`,
    angry: 'Îmi pare rău pentru această situație. Vă transfer imediat la un operator.',
    misunderstood: 'Nu reușesc să vă ajut eu: vă transfer la un operator.',
    joined: (n) => `${n} s-a alăturat conversației.`,
    forwarded: (when) =>
      when
        ? `Mesaj transmis; un operator vă va răspunde aici ${when}.`
        : 'Mesaj transmis; un operator vă va răspunde aici.',
    cancelled: 'Cererea de operator a fost anulată. Sunt din nou la dispoziția dumneavoastră.',
    completed: 'Operatorul a încheiat. Sunt din nou aici dacă aveți altă întrebare.',
    cancelButton: 'Anulează cererea',
  },
  en: {
    queued: (p, w) =>
      `You are number ${p} in the queue. ${w === undefined ? 'A person will answer as soon as possible.' : `Estimated wait: about ${minutes(w)} min.`} You can type your message meanwhile; type "cancel" to give up.`,
    closedNow: (when) =>
      `Our advisors are away right now; they are back ${when}. Leave your message and your contact details (email or phone): they will answer as soon as they are back.`,
    angry: 'I am sorry about this. I am passing you to an advisor right away.',
    misunderstood: 'I cannot help you myself: I am passing you to an advisor.',
    joined: (n) => `${n} joined the conversation.`,
    forwarded: (when) =>
      when ? `Message passed on; a person will answer here ${when}.` : 'Message passed on; a person will answer here.',
    cancelled: 'Request for an advisor cancelled. I am here again if you need me.',
    completed: 'The advisor has finished. I am here again if you have another question.',
    cancelButton: 'Cancel the request',
  },
};

/** "on Monday at 09:00" in the customer's language and the queue's time zone. */
export function formatOpening(d: Date, lang: Lang, timeZone: string): string {
  const locale = lang === 'en' ? 'en-GB' : lang === 'ro' ? 'ro-RO' : 'fr-FR';
  const day = new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone }).format(d);
  const time = new Intl.DateTimeFormat(locale, {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(d);
  return lang === 'en' ? `on ${day} at ${time}` : lang === 'ro' ? `${day} la ${time}` : `${day} à ${time}`;
}
