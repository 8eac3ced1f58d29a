import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { LANGS, type Lang } from '../domain/types';

/** A conversation test written as data: the customer says this, the bot must answer with that entry (or kind). */
export interface ConversationCase {
  lang: Lang;
  says: string;
  expect: string;
  /** How the bot resolves it: `exact` (the default: the answer itself, the dialog started, the fallback) or
   * `clarify` (a "did you mean" offering the expected entry; for `fallback`, a "did you mean" instead). */
  result?: 'exact' | 'clarify';
  /** Said first, in the same conversation (its reply is not checked): "annuler" after a "did you mean". */
  after?: string;
  /** Button values the reply must offer ("topic:warranty", "handoff")... */
  offers?: string[];
  /** ...and must not ("faq:greeting"). */
  never?: string[];
  file: string;
}

const caseSchema = z.array(
  z
    .object({
      lang: z.enum(LANGS),
      says: z.string(),
      expect: z.string().min(1),
      result: z.enum(['exact', 'clarify']).optional(),
      after: z.string().optional(),
      offers: z.array(z.string()).optional(),
      never: z.array(z.string()).optional(),
    })
    .strict(),
);

/** Read every .yaml file directly in `dir` (not sub-folders). */
export function loadConversationCases(dir: string): ConversationCase[] {
  const out: ConversationCase[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name);
    if (!/\.ya?ml$/.test(name) || !statSync(file).isFile()) continue;
    const r = caseSchema.safeParse(parse(readFileSync(file, 'utf8')));
    if (!r.success)
      throw new AppError(
        'BAD_CASES',
        `${file}: ${r.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`,
      );
    for (const c of r.data) out.push({ ...c, file });
  }
  return out;
}

/** What the bot did with a message, in the vocabulary of `expect`: an entry id, or "fallback"/"clarify:<id>". */
export function outcome(source: { kind: string; id?: string }): string {
  if (source.kind === 'fallback') return 'fallback';
  // Leaving a "did you mean" ("annuler") is its own outcome.
  if (source.kind === 'clarify' && source.id === 'dismissed') return 'dismissed';
  if (source.kind === 'clarify') return `clarify:${source.id ?? ''}`;
  return source.id ?? source.kind;
}
