import Ajv from 'ajv';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kbFileSchema, kbJsonSchema } from '../../src/knowledge/schema';

const ROOT = join(__dirname, '..', '..');
const published = JSON.parse(readFileSync(join(ROOT, 'schema', 'knowledge-base.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(published);

const agree = (doc: unknown) => {
  const byAjv = validate(doc) as boolean;
  const byZod = kbFileSchema.safeParse(doc).success;
  if (byAjv !== byZod) throw new Error(`JSON Schema says ${byAjv}, runtime says ${byZod} for ${JSON.stringify(doc)}`);
  return byZod;
};

describe('published JSON Schema', () => {
  it('is up to date with the runtime schema (run `npm run schema` after changing it)', () => {
    expect(published).toEqual(JSON.parse(JSON.stringify(kbJsonSchema())));
  });

  it('accepts every sample knowledge-base file, like the runtime validation', () => {
    const dir = join(ROOT, 'knowledge-base');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')))
      expect(agree(parse(readFileSync(join(dir, f), 'utf8')))).toBe(true);
  });

  it('rejects the same broken documents as the runtime validation', () => {
    const good = { id: 'a-b', questions: { fr: ['q'] }, answer: { fr: 'r' } };
    const broken: unknown[] = [
      { entries: [{ ...good, id: 'A B' }] },
      { entries: [{ ...good, id: 'a--b' }] },
      { entries: [{ ...good, questions: { fr: ['  '] } }] },
      { entries: [{ ...good, questions: { de: ['q'] } }] },
      { entries: [{ ...good, answer: { fr: '' } }] },
      { entries: [{ ...good, kind: 'chitchat' }] },
      { entries: [{ ...good, followUps: ['Not An Id'] }] },
      { entries: [{ ...good, colour: 'blue' }] },
      { entries: [{ id: 'x', answer: { fr: 'r' } }] },
      { entries: 'none' },
      { topic: 'Topic With Spaces' },
      { synonyms: { de: { a: 'b' } } },
      { synonyms: { fr: { colis: 3 } } },
      { unknown: true },
      [],
    ];
    for (const doc of broken) expect(agree(doc)).toBe(false);
  });

  it('agrees with the runtime validation on generated documents', () => {
    const text = fc.oneof(fc.constantFrom('', ' ', 'ok', 'Où est mon colis ?'), fc.string({ maxLength: 6 }));
    const id = fc.oneof(
      fc.constantFrom('a', 'warranty-claim', 'a-', '-a', 'A', 'a b', 'a1-b2'),
      fc.string({ maxLength: 5 }),
    );
    const perLang = <T>(v: fc.Arbitrary<T>) => fc.record({ fr: v, ro: v, en: v, de: v }, { requiredKeys: [] });
    const entry = fc.record(
      {
        id,
        kind: fc.constantFrom('faq', 'smalltalk', 'handoff', 'other'),
        title: perLang(text),
        questions: perLang(fc.array(text, { maxLength: 3 })),
        answer: perLang(text),
        tags: fc.array(text, { maxLength: 2 }),
        followUps: fc.array(id, { maxLength: 2 }),
        dialog: id,
        extra: fc.boolean(),
      },
      { requiredKeys: ['id', 'questions', 'answer'] },
    );
    const doc = fc.record(
      {
        topic: id,
        entries: fc.array(entry, { maxLength: 2 }),
        synonyms: perLang(
          fc.dictionary(fc.constantFrom('colis', 'frigo'), fc.oneof(text, fc.array(text, { maxLength: 2 }))),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(doc, (d) => void agree(d)),
      { numRuns: 3000 },
    );
  });
});
