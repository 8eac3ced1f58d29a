import { basename } from 'node:path';
import type { KbEntry } from '../domain/types';

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
