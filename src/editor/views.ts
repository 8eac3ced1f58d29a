import { basename } from 'node:path';
import type { KbEntry, Lang } from '../domain/types';
import { fold } from '../nlp/normalize';

/** An entry as the admin API shows it. */
export interface EntryView {
  id: string;
  topic: string;
  file: string;
  kind: KbEntry['kind'];
  title: KbEntry['title'];
  questions: KbEntry['questions'];
  answer: KbEntry['answer'];
  tags?: string[];
  products?: string[];
  followUps?: string[];
  dialog?: string;
  handoff?: boolean;
}

export function viewOf(e: KbEntry): EntryView {
  return {
    id: e.id,
    topic: e.topic,
    file: basename(e.source.file),
    kind: e.kind,
    title: e.title,
    questions: e.questions,
    answer: e.answer,
    ...(e.tags.length ? { tags: e.tags } : {}),
    ...(e.products.length ? { products: e.products } : {}),
    ...(e.followUps.length ? { followUps: e.followUps } : {}),
    ...(e.dialog ? { dialog: e.dialog } : {}),
    ...(e.handoff ? { handoff: true } : {}),
  };
}

/** The entries matching the admin list's filters: topic, a language they have questions in, words (accents ignored). */
export function listEntries(entries: KbEntry[], filter: { q?: string; topic?: string; lang?: string }): EntryView[] {
  const q = filter.q ? fold(filter.q) : '';
  return entries
    .filter((e) => !filter.topic || e.topic === filter.topic)
    .filter((e) => !filter.lang || (e.questions[filter.lang as Lang]?.length ?? 0) > 0)
    .filter((e) => {
      if (!q) return true;
      const texts = [e.id, ...Object.values(e.title), ...Object.values(e.questions).flat(), ...Object.values(e.answer)];
      return texts.some((t) => typeof t === 'string' && fold(t).includes(q));
    })
    .map(viewOf);
}
