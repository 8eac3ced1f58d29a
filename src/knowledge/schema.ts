import { z } from 'zod';

/** Stable ids: lowercase words joined by single hyphens ("warranty-claim"). */
export const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const id = z.string().regex(ID_PATTERN, {
  message: 'expected an id of lowercase letters, digits and single hyphens, like "warranty-claim"',
});
const text = z.string().regex(/\S/, { message: 'expected non-empty text' });

const perLangText = z.object({ fr: text.optional(), ro: text.optional(), en: text.optional() }).strict();
const perLangQuestions = z
  .object({ fr: z.array(text).optional(), ro: z.array(text).optional(), en: z.array(text).optional() })
  .strict();

export const entrySchema = z
  .object({
    id: id.describe('Stable entry id, unique across all knowledge-base files'),
    kind: z
      .enum(['faq', 'smalltalk', 'handoff', 'outofscope'])
      .optional()
      .describe(
        'faq (default), smalltalk, handoff (asks for a person), or outofscope (examples of what the bot must not answer)',
      ),
    title: perLangText.optional().describe('Short label per language, used on buttons'),
    questions: perLangQuestions.describe('Sample questions per language'),
    answer: perLangText.optional().describe('Short plain answer per language that has questions (none for outofscope)'),
    tags: z.array(text).optional(),
    products: z.array(text).optional(),
    followUps: z.array(id).optional().describe('Ids of entries suggested after this answer'),
    dialog: id.optional().describe('Id of the dialog this entry starts'),
    handoff: z.boolean().optional().describe('After the answer, hand the conversation to a person (e.g. complaints)'),
  })
  .strict();

const synonymTable = z.record(text, z.union([text, z.array(text)]));

export const kbFileSchema = z
  .object({
    topic: id.optional().describe('Topic id; defaults to the file name'),
    title: perLangText.optional().describe('Topic label per language'),
    entries: z.array(entrySchema).optional(),
    synonyms: z
      .object({ fr: synonymTable.optional(), ro: synonymTable.optional(), en: synonymTable.optional() })
      .strict()
      .optional()
      .describe('Per language: KB word -> customer words (or one word) that mean the same'),
  })
  .strict();

export type KbFile = z.infer<typeof kbFileSchema>;
export type KbFileEntry = z.infer<typeof entrySchema>;

/** JSON Schema for editors' YAML tooling (yaml-language-server), generated from the runtime schema. */
export function kbJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(kbFileSchema, { target: 'draft-7' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://maisonvolta.example/schema/knowledge-base.schema.json',
    title: 'Knowledge-base file',
  };
}
