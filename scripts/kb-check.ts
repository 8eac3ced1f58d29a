/**
 * npm run kb:check [-- --kb <dir>] [-- --dialogs <dir>] — validate the knowledge base and the dialogs
 * (file:line:column messages), then check that every sample question resolves to its own entry and list
 * near-duplicates between entries. Exit 1 on errors or confusions.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ContentError, formatIssue } from '../src/domain/errors';
import { loadDialogs } from '../src/dialogs/loader';
import { contentVersion } from '../src/editor/content';
import { loadKnowledgeBase } from '../src/knowledge/loader';
import { selfTest } from '../src/knowledge/selfTest';
import { Matcher } from '../src/matching/matcher';
import { Analyzer } from '../src/nlp/analyzer';

function main(): number {
  const { values } = parseArgs({
    options: { kb: { type: 'string', default: 'knowledge-base' }, dialogs: { type: 'string', default: 'dialogs' } },
  });
  const dir = resolve(values.kb!);
  let loaded;
  try {
    loaded = loadKnowledgeBase(dir, { minQuestions: 5 });
  } catch (e) {
    if (!(e instanceof ContentError)) throw e;
    for (const i of e.issues) console.error(`error: ${formatIssue(i)}`);
    console.error(`\n${e.issues.length} error(s): the bot will not start with this knowledge base.`);
    return 1;
  }
  const { kb, warnings } = loaded;
  for (const w of warnings) console.warn(`warning: ${formatIssue(w)}`);
  let dialogCount = 0;
  let version = kb.version;
  try {
    const set = loadDialogs(resolve(values.dialogs!), kb);
    dialogCount = set.dialogs.size;
    version = contentVersion(kb.version, set.version); // the id the running bot shows for these files
  } catch (e) {
    if (!(e instanceof ContentError)) throw e;
    for (const i of e.issues) console.error(`error: ${formatIssue(i)}`);
    console.error(`\n${e.issues.length} error(s) in the dialogs: the bot will not start with them.`);
    return 1;
  }
  const analyzer = new Analyzer(kb.synonyms);
  const matcher = new Matcher(kb, analyzer);
  const { confusions, duplicates } = selfTest(kb, matcher, analyzer);
  for (const c of confusions)
    console.error(
      `error: ${c.file}:${c.line}: ${c.entry} [${c.lang}] sample question "${c.question}" resolves to ${c.resolvedTo ?? 'nothing'} (confidence ${c.confidence.toFixed(2)})`,
    );
  for (const d of duplicates)
    console.warn(
      `warning: near-duplicate [${d.lang}] ${d.a.entry}: "${d.a.question}" ~ ${d.b.entry}: "${d.b.question}" (${Math.round(d.overlap * 100)} % same words)`,
    );
  const questions = kb.entries.reduce(
    (n, e) => n + Object.values(e.questions).reduce((m, q) => m + (q?.length ?? 0), 0),
    0,
  );
  console.log(
    `${kb.entries.length} entries, ${questions} sample questions, ${kb.topics.length} topics, ${dialogCount} dialogs, version ${version}: ` +
      `${confusions.length} confusion(s), ${duplicates.length} near-duplicate(s), ${warnings.length} warning(s).`,
  );
  return confusions.length ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`kb:check: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
