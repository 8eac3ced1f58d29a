import { z } from 'zod';
import { ID_PATTERN } from '../knowledge/schema';

const id = z.string().regex(ID_PATTERN, {
  message: 'expected an id of lowercase letters, digits and single hyphens, like "repair-status"',
});
const slotName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, { message: 'expected a slot name of letters and digits, like "orderNumber"' });
const text = z.string().regex(/\S/, { message: 'expected non-empty text' });
/** A message in every language: dialogs speak to every customer. */
export const message = z.object({ fr: text, ro: text, en: text }).strict();
const words = z
  .object({ fr: z.array(text).optional(), ro: z.array(text).optional(), en: z.array(text).optional() })
  .strict();

const dateRef = z.string().regex(/^(today|[+-]\d+[dmy]|\d{4}-\d{2}-\d{2})$/, {
  message: 'expected a date: YYYY-MM-DD, today, or relative like -2y, -30d, +1d',
});
const expected = z.union([
  z.string(),
  z.array(z.string()).min(1),
  z.object({ before: dateRef }).strict(),
  z.object({ after: dateRef }).strict(),
  z.object({ empty: z.boolean() }).strict(),
]);
/** All conditions must hold. Keys: a slot ("reason") or a record field ("order.status"). */
export const condition = z.record(
  z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)?$/, { message: 'expected a slot or record.field name' }),
  expected,
);

export const SLOT_TYPES = [
  'text',
  'number',
  'date',
  'choice',
  'yesno',
  'email',
  'phone',
  'orderNumber',
  'fileNumber',
  'pattern',
  'attachment',
] as const;

/** A content type (`application/pdf`) or a family (`image/*`) an attachment slot accepts. */
const contentType = z.string().regex(/^[a-z]+\/(\*|[a-z0-9][a-z0-9.+-]*)$/, {
  message: 'expected a content type like application/pdf, or a family like image/*',
});

const askStep = z
  .object({
    ask: slotName,
    type: z.enum(SLOT_TYPES),
    prompt: message,
    retry: message,
    help: message,
    maxAttempts: z.number().int().min(1).max(10).optional(),
    optional: z.boolean().optional(),
    when: condition.optional(),
    pattern: z.string().optional(),
    past: z.boolean().optional(),
    accept: z.array(contentType).min(1).optional(),
    max: z.number().int().min(1).max(10).optional(),
    required: z.boolean().optional(),
    choices: z
      .array(
        z
          .object({
            value: z
              .string()
              .regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, { message: 'expected a value of letters, digits, - and _' }),
            label: message,
            says: words.optional(),
          })
          .strict(),
      )
      .min(2)
      .optional(),
  })
  .strict();

const lookupStep = z
  .object({
    lookup: z.enum(['repair', 'order', 'purchase']),
    key: slotName,
    as: slotName,
    notFound: message,
    when: condition.optional(),
  })
  .strict();

const outcome = {
  end: message.optional(),
  handoff: message.optional(),
  say: message.optional(),
  followUps: z.array(id).optional(),
};
const branchCase = z.object({ when: condition.optional(), ...outcome }).strict();

const branchStep = z.object({ branch: z.array(branchCase).min(1) }).strict();
const sayStep = z.object({ say: message, when: condition.optional() }).strict();
const endStep = z.object({ end: message, followUps: z.array(id).optional(), when: condition.optional() }).strict();
const handoffStep = z.object({ handoff: message, when: condition.optional() }).strict();

export const stepSchema = z.union([askStep, lookupStep, branchStep, sayStep, endStep, handoffStep]);

export const dialogFileSchema = z
  .object({
    id: id.describe('Dialog id; the knowledge-base entry with `dialog: <id>` starts it'),
    title: message.describe('Name of the request, used when asking whether to drop it'),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

export type DialogFile = z.infer<typeof dialogFileSchema>;
export type Step = z.infer<typeof stepSchema>;
export type AskStep = z.infer<typeof askStep>;
export type LookupStep = z.infer<typeof lookupStep>;
export type BranchCase = z.infer<typeof branchCase>;
export type Condition = z.infer<typeof condition>;
export type Message = z.infer<typeof message>;

export function dialogJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(dialogFileSchema, { target: 'draft-7' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://maisonvolta.example/schema/dialog.schema.json', title: 'Dialog file' };
}
