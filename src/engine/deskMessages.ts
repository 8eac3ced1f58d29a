import type { QueueName } from '../domain/handoff';
import type { Lang } from '../domain/types';

/** The teams as the customer reads their names. */
const QUEUE_NAMES: Record<Lang, Record<QueueName, string>> = {
  fr: {
    warranty: 'garantie',
    returns: 'retours',
    delivery: 'livraison',
    repair: 'réparation',
    billing: 'facturation',
    general: 'service client',
  },
  ro: {
    warranty: 'garanție',
    returns: 'retururi',
    delivery: 'livrare',
    repair: 'reparații',
    billing: 'facturare',
    general: 'relații cu clienții',
  },
  en: {
    warranty: 'warranty',
    returns: 'returns',
    delivery: 'delivery',
    repair: 'repair',
    billing: 'billing',
    general: 'customer service',
  },
};

/** What the customer is told when an agent passes the conversation to another team (then the queue status). */
export function transferredText(lang: Lang, queue: QueueName): string {
  const q = QUEUE_NAMES[lang][queue];
  switch (lang) {
    case 'fr':
      return `Votre conversation est transférée à l’équipe ${q}.`;
    case 'ro':
      return `Conversația dumneavoastră a fost transferată echipei ${q}.`;
    default:
      return `Your conversation has been passed to the ${q} team.`;
  }
}
