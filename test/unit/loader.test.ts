import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadDialogFiles } from '../../src/dialogs/loader';
import { formatIssue } from '../../src/domain/errors';
import { loadKnowledgeBase, loadKnowledgeBaseFiles } from '../../src/knowledge/loader';

const KB_DIR = join(__dirname, '..', '..', 'knowledge-base');

const entry = (id: string, extra = '') => `  - id: ${id}
    questions:
      fr:
        - question ${id} un
        - question ${id} deux
    answer:
      fr: Réponse ${id}.
${extra}`;

function load(files: Record<string, string>) {
  return loadKnowledgeBaseFiles(Object.entries(files).map(([file, source]) => ({ file, source })));
}

function messages(files: Record<string, string>): string[] {
  const r = load(files);
  expect(r.kb).toBeUndefined();
  return r.errors.map(formatIssue);
}

describe('knowledge-base validation', () => {
  it('loads the sample knowledge base without errors, with every required entry', () => {
    const { kb } = loadKnowledgeBase(KB_DIR);
    const ids = new Set(kb.entries.map((e) => e.id));
    for (const id of [
      'warranty-coverage',
      'warranty-extension',
      'warranty-claim',
      'return-policy',
      'refund-status',
      'repair-status',
      'repair-quote',
      'order-tracking',
      'damaged-delivery',
      'installation-help',
      'maintenance-contract',
      'defective-exchange',
      'contact-hours',
      'invoice-copy',
      'order-cancellation',
      'payment-methods',
      'spare-parts',
      'user-manual',
      'product-registration',
      'complaint',
    ]) {
      expect(ids).toContain(id);
      const e = kb.entries.find((x) => x.id === id)!;
      for (const lang of ['fr', 'ro', 'en'] as const) {
        expect(e.questions[lang]!.length).toBeGreaterThanOrEqual(5);
        expect(e.answer[lang]!.length).toBeGreaterThan(20);
      }
    }
    for (const id of ['greeting', 'thanks', 'goodbye', 'who-are-you', 'what-can-you-do'])
      expect(kb.entries.find((e) => e.id === id)?.kind).toBe('smalltalk');
    expect(kb.entries.find((e) => e.kind === 'handoff')).toBeDefined();
    expect(kb.version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('gives the same version for the same content and another for a change', () => {
    const a = load({ 'a.yaml': `entries:\n${entry('x')}` });
    const b = load({ 'a.yaml': `entries:\n${entry('x')}` });
    const c = load({ 'a.yaml': `entries:\n${entry('y')}` });
    expect(a.kb!.version).toBe(b.kb!.version);
    expect(a.kb!.version).not.toBe(c.kb!.version);
  });

  it('reports YAML syntax errors with file, line and column', () => {
    // An unclosed flow sequence is found where the file ends (line 4, column 1), as the yaml library locates it.
    expect(messages({ 'kb/bad.yaml': 'entries:\n  - id: a\n    questions: [unclosed\n' })).toEqual([
      'kb/bad.yaml:4:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    // An error in the middle of a file is reported there, not at its start or end.
    expect(messages({ 'kb/dup.yaml': 'entries:\n  - id: a\n    id: b\n    answer: { fr: x }\n' })).toEqual([
      'kb/dup.yaml:3:5: YAML syntax: Map keys must be unique',
    ]);
  });

  it('locates YAML syntax errors as the yaml library does, the same for knowledge-base and dialog files', () => {
    const sources = [
      'entries:\n  - id: a\n    questions: [unclosed\n',
      'entries:\n  - id: a\n    id: b\n',
      'topic: t\nentries:\n  - id: "a\n  - id: b\n',
      'id: demo\ntitle: x\ntitle: y\nsteps: []\n',
      'topic: t\nentries:\n  - id: a\n    questions:\n      fr: [x, y\n    answer: { fr: z }\n',
    ];
    for (const source of sources) {
      // The library's own report (prettyErrors: line and column counted from 1).
      const [e] = parseDocument(source, { prettyErrors: true, uniqueKeys: true }).errors;
      const at = `${e!.linePos![0].line}:${e!.linePos![0].col}`;
      const wanted = (file: string) => `${file}:${at}: YAML syntax: ${e!.message.split(' at line ')[0]}`;
      expect(messages({ 'kb/x.yaml': source })[0]).toBe(wanted('kb/x.yaml'));
      expect(loadDialogFiles([{ file: 'dialogs/x.yaml', source }]).errors.map(formatIssue)[0]).toBe(
        wanted('dialogs/x.yaml'),
      );
    }
  });

  it('reports duplicate ids across files, naming where the first one is', () => {
    const ms = messages({
      'a.yaml': `entries:\n${entry('same')}`,
      'b.yaml': `# comment\nentries:\n${entry('other')}${entry('same')}`,
    });
    expect(ms).toEqual([
      expect.stringMatching(/^b\.yaml:10:9: entries\[1\]\.id: duplicate id "same" \(first defined at a\.yaml:2\)$/),
    ]);
  });

  it('reports a missing answer for a language that has questions', () => {
    const ms = messages({
      'a.yaml': `entries:\n  - id: x\n    questions:\n      fr: [Bonjour ?]\n      en: [Hello?]\n    answer:\n      fr: Bonjour.\n`,
    });
    expect(ms).toEqual([
      'a.yaml:7:7: entries[0].answer: missing answer for language "en" (the entry has en questions)',
    ]);
  });

  it('reports unknown follow-up ids at the offending item', () => {
    const ms = messages({ 'a.yaml': `entries:\n${entry('x', '    followUps: [nope]\n')}` });
    expect(ms).toEqual(['a.yaml:9:17: entries[0].followUps[0]: unknown follow-up id "nope"']);
  });

  it('reports empty questions, unknown keys, bad ids and wrong types', () => {
    const ms = messages({
      'a.yaml': `entries:
  - id: Bad_Id
    questions:
      fr: ["  "]
    answer:
      fr: ok
    colour: blue
  - id: y
    questions: { de: [Hallo] }
    answer: { fr: ok }
  - id: z
    questions: { fr: "not a list" }
    answer: { fr: ok }
`,
    });
    expect(ms).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^a\.yaml:2:9: entries\[0\]\.id: expected an id of lowercase letters/),
        'a.yaml:4:12: entries[0].questions.fr[0]: expected non-empty text',
        'a.yaml:7:5: entries[0].colour: unknown key(s) "colour"',
        'a.yaml:9:18: entries[1].questions.de: unknown key(s) "de"',
        expect.stringMatching(/^a\.yaml:12:22: entries\[2\]\.questions\.fr: .*array/),
      ]),
    );
  });

  it('requires at least one question and at least one entry', () => {
    expect(messages({ 'a.yaml': 'entries:\n  - id: x\n    questions: {}\n    answer: {}\n' })).toEqual([
      'a.yaml:3:16: entries[0].questions: expected at least one sample question',
    ]);
    expect(messages({ 'a.yaml': 'synonyms:\n  fr:\n    colis: [paquet]\n' })).toEqual([
      'a.yaml:1:1: the knowledge base has no entries',
    ]);
  });

  it('warns (without failing) about repeated questions and answers in a language with no questions', () => {
    const r = load({
      'a.yaml': `entries:\n  - id: x\n    questions:\n      fr: [Où est mon colis ?, ou est mon colis]\n    answer:\n      fr: Ici.\n      ro: Aici.\n`,
    });
    expect(r.kb).toBeDefined();
    expect(r.warnings.map(formatIssue)).toEqual([
      'a.yaml:4:32: entries[0].questions.fr[1]: same question as [0]',
      'a.yaml:7:11: entries[0].answer.ro: answer in "ro" but no ro sample questions: it can never be matched in ro',
    ]);
  });

  it('folds synonyms and refuses a variant mapped to two different words', () => {
    const ok = load({
      'a.yaml': `entries:\n${entry('x')}synonyms:\n  fr:\n    Réfrigérateur: [Frigo, frigidaire]\n    colis: paquet\n`,
    });
    expect(ok.kb!.synonyms.fr).toEqual({ frigo: 'refrigerateur', frigidaire: 'refrigerateur', paquet: 'colis' });
    const ms = messages({
      'a.yaml': `entries:\n${entry('x')}synonyms:\n  fr:\n    colis: [paquet]\n    carton: [paquet]\n`,
    });
    expect(ms).toEqual([
      expect.stringMatching(/^a\.yaml:12:13: synonyms\.fr\.carton: "paquet" is already a synonym of "colis"/),
    ]);
  });

  it('every sample file carries the schema comment for editors', () => {
    for (const f of readdirSync(KB_DIR).filter((n) => n.endsWith('.yaml')))
      expect(readFileSync(join(KB_DIR, f), 'utf8').split('\n')[0]).toBe(
        '# yaml-language-server: $schema=../schema/knowledge-base.schema.json',
      );
  });
});
