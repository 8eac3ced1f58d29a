/**
 * npm run import -- <file.tsv|file.csv> [--out knowledge-base/imported.yaml] [--kb <folder>] [--topic imported] [--lang fr]
 * Converts a Microsoft QnA Maker / Custom Question Answering TSV export, or a plain CSV (question, answer,
 * language, topic), into knowledge-base YAML, validated as the bot would load it. Exit 1 on errors.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError, formatIssue } from '../src/domain/errors';
import { isLang } from '../src/domain/types';
import { entriesToYaml, importCsv, importQnaTsv, importTargets, type ImportedEntry } from '../src/editor/importExport';
import { loadKnowledgeBaseFiles } from '../src/knowledge/loader';

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string', default: 'knowledge-base/imported.yaml' },
      topic: { type: 'string', default: 'imported' },
      lang: { type: 'string', default: 'fr' },
      force: { type: 'boolean', default: false },
      kb: { type: 'string' },
    },
  });
  const input = positionals[0];
  if (!input) {
    console.error(
      'usage: npm run import -- <file.tsv|file.csv> [--out knowledge-base/imported.yaml] [--kb <folder>] [--topic imported] [--lang fr] [--force]',
    );
    return 2;
  }
  if (!isLang(values.lang))
    throw new AppError('INVALID_ARGS', `--lang must be fr, ro or en, not "${values.lang}"`, 400);
  const text = readFileSync(resolve(input), 'utf8');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const tsv = extname(input).toLowerCase() === '.tsv' || firstLine.includes('\t');
  const entries = tsv
    ? importQnaTsv(text, { topic: values.topic!, lang: values.lang })
    : importCsv(text, { topic: values.topic!, lang: values.lang });
  // One file per topic: --out for the first (or only) topic, <out>-<topic slug>.yaml for the others; never a path
  // taken from the file's content, and never outside the knowledge-base folder (--kb).
  const topics = [...new Set(entries.map((e) => e.topic))];
  const out = resolve(values.out!);
  const targets = importTargets(out, topics, values.kb ?? dirname(out));
  const files = topics.map((t, i) => {
    const file = targets[i]!;
    const own: ImportedEntry[] = entries.filter((e) => e.topic === t);
    return {
      file,
      source: entriesToYaml(t, own, `Imported from ${basename(input)} by npm run import (${own.length} entries).`),
    };
  });
  const { errors, warnings } = loadKnowledgeBaseFiles(files);
  for (const w of warnings) console.warn(`warning: ${formatIssue(w)}`);
  if (errors.length) {
    for (const e of errors) console.error(`error: ${formatIssue(e)}`);
    console.error(`\n${errors.length} error(s): nothing written.`);
    return 1;
  }
  for (const f of files) {
    if (existsSync(f.file) && !values.force) {
      console.error(`${f.file} exists: choose another --out or add --force`);
      return 1;
    }
  }
  mkdirSync(dirname(out), { recursive: true });
  for (const f of files) writeFileSync(f.file, f.source);
  const questions = entries.reduce(
    (n, e) => n + Object.values(e.questions).reduce((m, q) => m + (q?.length ?? 0), 0),
    0,
  );
  console.log(
    `${entries.length} entries, ${questions} sample questions written to ${files.map((f) => f.file).join(', ')}. Check them with npm run kb:check.`,
  );
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`import: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
