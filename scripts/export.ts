/**
 * npm run export -- --out kb.csv [--kb knowledge-base]
 * Writes the knowledge base as CSV (question, answer, language, topic, id: one row per sample question), the
 * format `npm run import` reads back.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ContentError, formatIssue } from '../src/domain/errors';
import { entriesToCsvRows, toCsv } from '../src/editor/importExport';
import { loadKnowledgeBase } from '../src/knowledge/loader';

function main(): number {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: 'kb.csv' }, kb: { type: 'string', default: 'knowledge-base' } },
  });
  let kb;
  try {
    kb = loadKnowledgeBase(resolve(values.kb!)).kb;
  } catch (e) {
    if (!(e instanceof ContentError)) throw e;
    for (const i of e.issues) console.error(`error: ${formatIssue(i)}`);
    return 1;
  }
  const rows = entriesToCsvRows(kb.entries);
  writeFileSync(resolve(values.out!), toCsv(rows));
  console.log(`${kb.entries.length} entries, ${rows.length - 1} rows written to ${values.out}.`);
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`export: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
