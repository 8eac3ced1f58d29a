/**
 * `npm run import` / `npm run export`, spawned as a user runs them, and the CSV reader on its own. The imported
 * QnA Maker sample must be a knowledge base that `npm run kb:check` accepts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { importCsv, parseCsv, toCsv } from '../../src/editor/importExport';
import { loadKnowledgeBase } from '../../src/knowledge/loader';

const ROOT = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'savbot-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string, args: string[]) {
  const r = spawnSync('npx', ['tsx', script, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (r.error) throw r.error;
  return r;
}

interface YamlEntry {
  id: string;
  title: Record<string, string>;
  questions: Record<string, string[]>;
  answer: Record<string, string>;
  tags?: string[];
  followUps?: string[];
}

test('the QnA Maker TSV sample becomes YAML entries that kb:check accepts', () => {
  const kb = join(dir, 'qna', 'knowledge-base');
  const out = join(kb, 'coffee.yaml');
  const r = run('scripts/import.ts', ['test/fixtures/qnamaker-export.tsv', '--out', out, '--topic', 'coffee']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('8 entries, 32 sample questions');

  const data = parse(readFileSync(out, 'utf8')) as { topic: string; entries: YamlEntry[] };
  expect(data.topic).toBe('coffee');
  expect(data.entries).toHaveLength(8);
  const byId = new Map(data.entries.map((e) => [e.id, e]));
  const descale = byId.get('comment-detartrer-ma-machine-a-cafe')!;
  // Rows with the same QnaId: one entry with all their questions, in the file's order.
  expect(descale.questions.fr).toEqual([
    'Comment détartrer ma machine à café ?',
    'ma cafetière est pleine de calcaire',
    'détartrage de la machine expresso',
    'à quelle fréquence faut-il détartrer ?',
    'quel produit utiliser pour enlever le calcaire',
  ]);
  // \n in the export is a line break in the answer.
  expect(descale.answer.fr).toBe(
    "Détartrez votre machine toutes les 4 à 6 semaines avec le détartrant Volta (pas de vinaigre).\nLancez le programme « Détartrage » et suivez l'écran.",
  );
  // Metadata become tags (the language key sets the language); multi-turn prompts become follow-ups, their text the target's title.
  expect(descale.tags).toEqual(['product:expresso', 'category:entretien']);
  expect(descale.followUps).toEqual(['le-voyant-detartrage-reste-allume-apres', 'ou-acheter-du-detartrant-pour-ma']);
  expect(byId.get('le-voyant-detartrage-reste-allume-apres')!.title).toEqual({
    fr: 'Le voyant détartrage reste allumé',
  });
  expect(byId.get('le-voyant-detartrage-reste-allume-apres')!.tags).toContain('context-only');
  const en = byId.get('how-do-i-descale-my-coffee')!;
  expect(Object.keys(en.questions)).toEqual(['en']);
  expect(en.followUps).toEqual(['the-descale-light-stays-on-after', 'where-can-i-buy-descaler-for']);

  mkdirSync(join(dir, 'qna', 'dialogs'));
  const check = run('scripts/kb-check.ts', ['--kb', kb, '--dialogs', join(dir, 'qna', 'dialogs')]);
  expect(check.stderr).not.toMatch(/error:/);
  expect(check.status).toBe(0);
  expect(check.stdout).toMatch(
    /8 entries, 32 sample questions, 1 topics, 0 dialogs, version [0-9a-f]{12}: 0 confusion\(s\)/,
  );
});

test('export then import gives back the same entries (CSV round trip of the shipped knowledge base)', () => {
  const csv = join(dir, 'kb.csv');
  const r = run('scripts/export.ts', ['--out', csv]);
  expect(r.status).toBe(0);
  const original = loadKnowledgeBase(join(ROOT, 'knowledge-base')).kb;
  const imported = importCsv(readFileSync(csv, 'utf8'), { topic: 'x', lang: 'fr' });
  expect(imported.map((e) => e.id)).toEqual(
    original.entries.filter((e) => Object.values(e.questions).some((q) => q?.length)).map((e) => e.id),
  );
  for (const e of imported) {
    const o = original.entries.find((x) => x.id === e.id)!;
    expect(e.topic).toBe(o.topic);
    expect(e.questions).toEqual(Object.fromEntries(Object.entries(o.questions).filter(([, q]) => q?.length)));
    for (const [l, a] of Object.entries(e.answer)) expect(a).toBe(o.answer[l as 'fr']);
  }
});

test('plain CSV: quoted fields with commas, quotes and line breaks; rows with the same answer are one entry', () => {
  const text = [
    'question,answer,language,topic',
    'Où est mon colis ?,"Suivez-le dans « Mes commandes », rubrique ""Livraison"".\nSinon, écrivez-nous.",fr,delivery',
    '"colis pas reçu, que faire","Suivez-le dans « Mes commandes », rubrique ""Livraison"".\nSinon, écrivez-nous.",fr,delivery',
    'Where is my parcel?,Track it in My orders.,en,delivery',
    '',
  ].join('\r\n');
  const rows = parseCsv(text);
  expect(rows).toHaveLength(4);
  expect(rows[1]![1]).toBe('Suivez-le dans « Mes commandes », rubrique "Livraison".\nSinon, écrivez-nous.');
  expect(parseCsv(toCsv(rows))).toEqual(rows);
  const entries = importCsv(text, { topic: 'misc', lang: 'fr' });
  expect(entries.map((e) => [e.id, e.topic, e.questions])).toEqual([
    ['ou-est-mon-colis', 'delivery', { fr: ['Où est mon colis ?', 'colis pas reçu, que faire'] }],
    ['where-is-my-parcel', 'delivery', { en: ['Where is my parcel?'] }],
  ]);
  expect(() => parseCsv('question,answer\n"never closed,x\n')).toThrow('CSV: a quoted field is not closed');
  writeFileSync(join(dir, 'bad.csv'), 'question,answer,language\nbonjour,salut,de\n');
  const bad = run('scripts/import.ts', [join(dir, 'bad.csv'), '--out', join(dir, 'bad', 'x.yaml')]);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain('CSV row 2: language "de" (expected fr, ro, en)');
});
