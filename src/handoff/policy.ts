import type { Lang } from '../domain/types';
import { fold } from '../nlp/normalize';
import { NATURAL_STEMMERS, type Stemmer } from '../nlp/stem';
import type { HandoffReason, QueueName } from '../domain/handoff';
import type { OpeningHours } from '../domain/hours';

interface Sentiment {
  getSentiment(words: string[]): number;
}
// natural's sentiment analyzer, required directly (its index prints banners); no Romanian vocabulary exists.
/* eslint-disable @typescript-eslint/no-require-imports */
const SentimentAnalyzer = require('natural/lib/natural/sentiment/SentimentAnalyzer') as new (
  lang: string,
  stemmer: Stemmer,
  vocabulary: string,
) => Sentiment;
/* eslint-enable @typescript-eslint/no-require-imports */

// Words that mean an angry or distressed customer whatever the sentence (folded).
const ANGRY_WORDS: Record<Lang, string[]> = {
  fr: [
    'inadmissible',
    'scandaleux',
    'scandale',
    'honteux',
    'honte',
    'arnaque',
    'escroc',
    'escroquerie',
    'inacceptable',
    'ras le bol',
    'marre',
    'degoute',
    'furieux',
    'nul a chier',
    'foutage de gueule',
    'bot inutile',
    'robot inutile',
    'avocat',
    'plainte penale',
    'lamentable',
  ],
  ro: [
    'scandalos',
    'inadmisibil',
    'inacceptabil',
    'bataie de joc',
    'rusine',
    'rusinos',
    'teapa',
    'escroci',
    'hoti',
    'sunt furios',
    'm am saturat',
    'jalnic',
    'penibil',
    'bot inutil',
    'robot inutil',
    'avocat',
    'protectia consumatorului',
    'nesimtire',
    'revoltator',
    'dezastru',
  ],
  en: [
    'unacceptable',
    'outrageous',
    'disgrace',
    'disgusting',
    'scam',
    'rip off',
    'ripoff',
    'useless bot',
    'stupid bot',
    'useless',
    'ridiculous',
    'furious',
    'fed up',
    'sick of',
    'worst',
    'pathetic',
    'lawyer',
    'sue you',
    'shameful',
    'appalling',
  ],
};

// After-sales problems are described with negative words ("damaged", "cassé") by perfectly calm customers:
// these do not count towards anger.
const PROBLEM_WORDS = new Set(
  `damaged damage broken broke defective faulty problem problems issue issues late delayed missing lost wrong crack cracked dent dented scratched
leak leaking stopped fail failed failure error bad noise noisy dead cold hot
casse cassee abime abimee endommage endommagee panne defectueux defectueuse probleme retard perdu perdue manquant raye rayee fuite erreur
bruit froid chaud mauvais mauvaise`.split(/\s+/),
);

/**
 * Angry or distressed customers get a person: word lists (fr/ro/en) plus natural's sentiment (fr/en) over the
 * words that are not just the description of a product problem.
 */
export class AngerDetector {
  private readonly en = new SentimentAnalyzer('English', NATURAL_STEMMERS.en, 'afinn');
  private readonly fr = new SentimentAnalyzer('French', NATURAL_STEMMERS.fr, 'pattern');

  constructor(private readonly threshold = -0.6) {}

  isAngry(text: string, lang: Lang): boolean {
    const f = ` ${fold(text)} `;
    if (ANGRY_WORDS[lang].some((w) => f.includes(` ${w} `))) return true;
    const words = text
      .toLowerCase()
      .split(/[^\p{L}']+/u)
      .filter((w) => w && !PROBLEM_WORDS.has(fold(w)));
    if (words.length < 4 || lang === 'ro') return false;
    const analyzer = lang === 'en' ? this.en : this.fr;
    try {
      return analyzer.getSentiment(words) <= this.threshold;
    } catch {
      return false;
    }
  }
}

/** The team a topic or a dialog goes to. */
export function queueFor(topicOrDialog: string | undefined): QueueName {
  const t = topicOrDialog ?? '';
  if (/warranty/.test(t)) return 'warranty';
  if (/return|refund|exchange/.test(t)) return 'returns';
  if (/deliver|order|tracking/.test(t)) return 'delivery';
  if (/repair|spare|maintenance/.test(t)) return 'repair';
  if (/billing|invoice|payment/.test(t)) return 'billing';
  return 'general';
}

export const DEFAULT_HOURS: OpeningHours = {
  timeZone: 'Europe/Paris',
  days: [1, 2, 3, 4, 5, 6],
  open: '09:00',
  close: '19:00',
};

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function localParts(d: Date, timeZone: string): { day: number; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '0';
  return { day: WEEKDAY[get('weekday')] ?? 1, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Per-queue opening hours, time-zone aware. */
export class BusinessHours {
  constructor(private readonly hours: Partial<Record<QueueName | 'default', OpeningHours>> = {}) {}

  private of(queue: QueueName): OpeningHours {
    return this.hours[queue] ?? this.hours.default ?? DEFAULT_HOURS;
  }

  isOpen(queue: QueueName, now: Date): boolean {
    const h = this.of(queue);
    const { day, minutes } = localParts(now, h.timeZone);
    return h.days.includes(day) && minutes >= toMinutes(h.open) && minutes < toMinutes(h.close);
  }

  /** The next time the queue opens (searching minute by quarter hour over the next 8 days). */
  nextOpening(queue: QueueName, now: Date): Date | undefined {
    const step = 15 * 60_000;
    const start = Math.ceil(now.getTime() / step) * step;
    for (let t = start; t < now.getTime() + 8 * 86_400_000; t += step)
      if (this.isOpen(queue, new Date(t))) return new Date(t);
    return undefined;
  }

  timeZone(queue: QueueName): string {
    return this.of(queue).timeZone;
  }
}

/** Which triggers hand a conversation to a person (all by default; HANDOFF_TRIGGERS narrows them). */
export type TriggerSet = ReadonlySet<HandoffReason>;
