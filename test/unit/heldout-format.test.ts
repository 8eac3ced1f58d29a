/**
 * The held-out sets' shape (issue 15, "Must show"): enough messages per language, the required shares of long,
 * off-topic and person messages, expectations naming real entries, no sample question copied, and the second set
 * independent of the first (no message shared, exactly or nearly). Fast: no engine run
 * (`npm run eval:heldout [-- file]` measures the bot on them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LANGS } from '../../src/domain/types';
import {
  classify,
  kbIndexOf,
  loadHeldout,
  MIN_PER_LANG,
  REQUIRED_SHARES,
  summarize,
  unknownExpectations,
  type HeldoutItem,
} from '../../src/eval/heldout';
import { loadKnowledgeBase } from '../../src/knowledge/loader';

const ROOT = join(__dirname, '..', '..');
const FILE = join(ROOT, 'test', 'heldout', 'after-sales.yaml');
/** The second set, written later by someone who had not read the first: fresh for a set that has been looked at. */
const FILE_2 = join(ROOT, 'test', 'heldout', 'after-sales-2.yaml');
const items = loadHeldout(FILE);
const items2 = loadHeldout(FILE_2);
const { kb } = loadKnowledgeBase(join(ROOT, 'knowledge-base'));
const index = kbIndexOf(kb.entries);
/** Word-set overlap with a sample question (or a message of the other set) from which a message counts as copied. */
const NEAR_COPY = 0.7;

/** Case, accents, punctuation and spacing folded: a copied sample question is found whatever its spelling. */
const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

const words = (s: string) => new Set(fold(s).split(' '));
/** Word-set overlap (Jaccard): the share of the two messages' distinct words they have in common. */
const overlap = (a: Set<string>, b: Set<string>) => {
  const both = [...a].filter((w) => b.has(w)).length;
  return both / (a.size + b.size - both);
};

describe.each([
  ['test/heldout/after-sales.yaml', FILE, items],
  ['test/heldout/after-sales-2.yaml', FILE_2, items2],
] as const)('held-out set %s', (_name, FILE, items) => {
  it(`has at least 150 messages, ${MIN_PER_LANG} per language`, () => {
    expect(items.length).toBeGreaterThanOrEqual(150);
    for (const l of LANGS) expect([l, items.filter((i) => i.lang === l).length >= MIN_PER_LANG]).toEqual([l, true]);
  });

  it.each(LANGS)('has the required shares of long, off-topic and person messages in %s', (lang) => {
    const of = items.filter((i) => i.lang === lang);
    for (const [kind, share] of Object.entries(REQUIRED_SHARES)) {
      const n = of.filter((i) => i.kind.includes(kind)).length;
      expect({ kind, enough: n >= Math.ceil(share * of.length) }).toEqual({ kind, enough: true });
    }
  });

  it('names only entries the knowledge base has', () => {
    expect(unknownExpectations(items, index, FILE)).toEqual([]);
    // Every answering entry is expected somewhere: the set covers the shop, not a few easy entries.
    const expected = new Set(items.flatMap((i) => i.expect));
    const uncovered = kb.entries.filter((e) => e.kind === 'faq' && !expected.has(e.id)).map((e) => e.id);
    expect(uncovered).toEqual([]);
  });

  it('tags off-topic and person messages consistently with what they expect', () => {
    const bad = (i: HeldoutItem) =>
      (i.kind.includes('offtopic') !== i.expect.includes('fallback') ||
        (i.kind.includes('offtopic') && i.expect.length !== 1) ||
        (i.kind.includes('person') && !i.expect.includes('handoff'))) &&
      `${i.line}: ${i.text}`;
    expect(items.map(bad).filter(Boolean)).toEqual([]);
  });

  it('copies no sample question of the knowledge base and repeats no message', () => {
    const samples = new Set(kb.entries.flatMap((e) => Object.values(e.questions).flat().map(fold)));
    expect(items.filter((i) => samples.has(fold(i.text))).map((i) => i.text)).toEqual([]);
    // Nor a near copy: most of its words those of one sample question (word-set overlap, Jaccard).
    const sampleWords = kb.entries.flatMap((e) => Object.values(e.questions).flat().map(words));
    const near = items.filter((i) => sampleWords.some((q) => overlap(words(i.text), q) >= NEAR_COPY));
    expect(near.map((i) => i.text)).toEqual([]);
    const texts = items.map((i) => fold(i.text));
    expect(texts.filter((t, n) => texts.indexOf(t) !== n)).toEqual([]);
  });
});

/** The messages of `texts` that are one of `refs` once folded, or share most of their words with one of them. */
const nearCopies = (texts: string[], refs: string[]) => {
  const folded = new Set(refs.map(fold));
  const refWords = refs.map(words);
  return texts.filter((t) => folded.has(fold(t)) || refWords.some((r) => overlap(words(t), r) >= NEAR_COPY));
};

describe('the second held-out set is independent of the first', () => {
  it('shares no message with it, exactly or nearly', () => {
    expect(
      nearCopies(
        items2.map((i) => i.text),
        items.map((i) => i.text),
      ),
    ).toEqual([]);
  });

  it('counts a respelled or slightly reworded message as a copy, a different one not', () => {
    const refs = ['Mon colis est arrivé tout abîmé hier soir, que faire ?'];
    expect(
      nearCopies(
        [
          'mon colis est arrive tout abime hier soir que faire',
          'mon colis est arrivé tout abîmé hier soir, je fais quoi ?',
          'mon colis est arrivé en retard',
        ],
        refs,
      ),
    ).toEqual(['mon colis est arrive tout abime hier soir que faire']);
    expect(nearCopies(['Mon colis est arrivé tout abîmé hier soir, que faire ? merci'], refs)).toHaveLength(1);
  });
});

describe('held-out loader and classification', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heldout-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('refuses a malformed item, naming its line, position and text', () => {
    const file = write(
      'bad.yaml',
      '- text: "ok"\n  lang: fr\n  expect: fallback\n  kind: offtopic\n- text: "où est mon colis"\n  lang: de\n  expect: order-tracking\n  kind: [plain]\n',
    );
    expect(() => loadHeldout(file)).toThrow(/bad\.yaml:5: item 2 \("où est mon colis"\): \[lang\]/);
    const unknownKey = write('extra.yaml', '- text: "x"\n  lang: en\n  expect: fallback\n  kind: short\n  note: y\n');
    expect(() => loadHeldout(unknownKey)).toThrow(/item 1 \("x"\)/);
  });

  it('reads single values as lists and reports expectations that name nothing', () => {
    const file = write(
      'ok.yaml',
      '- text: "hello"\n  lang: en\n  expect: smalltalk:greeting\n  kind: short\n- text: "foo"\n  lang: en\n  expect: [no-such-entry, thanks]\n  kind: [plain]\n',
    );
    const read = loadHeldout(file);
    expect(read.map((i) => [i.expect, i.kind, i.line])).toEqual([
      [['smalltalk:greeting'], ['short'], 1],
      [['no-such-entry', 'thanks'], ['plain'], 5],
    ]);
    const problems = unknownExpectations(read, index, 'ok.yaml');
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/ok\.yaml:5: item 2 \("foo"\): no knowledge-base entry "no-such-entry"/);
    expect(problems[1]).toMatch(/write smalltalk:thanks/);
  });

  it('counts a started dialog as its entry, a "did you mean" as not right, any answer to off-topic as wrong', () => {
    const returns = kb.entries.find((e) => e.id === 'return-policy')!;
    expect(returns.dialog).toBeDefined();
    const dialog = { kind: 'dialog', id: returns.dialog } as const;
    expect(classify({ expect: ['return-policy'] }, dialog, index)).toBe('right');
    expect(classify({ expect: ['return-policy'] }, { kind: 'faq', id: 'return-policy' }, index)).toBe('right');
    expect(classify({ expect: ['refund-status'] }, dialog, index)).toBe('wrong');
    expect(classify({ expect: ['refund-status'] }, { kind: 'clarify', id: 'refund-status' }, index)).toBe('clarify');
    expect(classify({ expect: ['refund-status'] }, { kind: 'fallback' }, index)).toBe('miss');
    expect(classify({ expect: ['fallback'] }, { kind: 'fallback', id: 'out-of-scope' }, index)).toBe('right');
    expect(classify({ expect: ['fallback'] }, { kind: 'faq', id: 'spare-parts' }, index)).toBe('wrong');
    expect(classify({ expect: ['handoff'] }, { kind: 'handoff' }, index)).toBe('right');
    expect(classify({ expect: ['handoff'] }, { kind: 'smalltalk', id: 'greeting' }, index)).toBe('wrong');
    expect(
      classify({ expect: ['smalltalk:thanks', 'smalltalk:goodbye'] }, { kind: 'smalltalk', id: 'goodbye' }, index),
    ).toBe('right');
  });

  it('sums accuracy and confident wrong answers per language and kind', () => {
    const [a, b] = items.filter((i) => i.lang === 'ro' && i.kind.includes('offtopic'));
    const s = summarize([
      { item: a!, source: { kind: 'fallback' }, lang: 'ro', outcome: 'right' },
      { item: b!, source: { kind: 'faq', id: 'spare-parts' }, lang: 'en', outcome: 'wrong' },
    ]);
    expect(s.byLang.ro).toMatchObject({
      n: 2,
      right: 1,
      wrong: 1,
      offtopicAnswered: 1,
      langMismatch: 1,
      accuracy: 0.5,
    });
    expect(s.byLang.fr).toBeUndefined();
    expect(s.byKind.offtopic).toMatchObject({ n: 2, right: 1 });
  });
});
