/**
 * npm run kb:check [-- --kb <dir>] [-- --dialogs <dir>] — validate the knowledge base and the dialogs
 * (file:line:column messages), then check that every sample question resolves to its own entry and list
 * near-duplicates between entries. Exit 1 on errors or confusions.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildContent, type BuildResult } from '../src/content/build';
import { readContentFiles } from '../src/content/files';
import { selfTest } from '../src/content/selfTest';
import { ContentError, formatIssue, type SourceIssue } from '../src/domain/errors';

/** Read and build the content as the bot does (warning about thin entries too); print the issues. */
function build(kbDir: string, dialogsDir: string): BuildResult | undefined {
  const dirs = { kbDir, dialogsDir };
  let built: BuildResult;
  try {
    built = buildContent(readContentFiles(dirs), dirs, { minQuestions: 5 });
  } catch (e) {
    if (!(e instanceof ContentError)) throw e;
    built = { errors: e.issues, warnings: [], failedAt: 'knowledge-base', dialogCount: 0 };
  }
  const errors = (issues: SourceIssue[]) => {
    for (const i of issues) console.error(`error: ${formatIssue(i)}`);
  };
  if (built.failedAt === 'knowledge-base') {
    errors(built.errors);
    console.error(`\n${built.errors.length} error(s): the bot will not start with this knowledge base.`);
    return undefined;
  }
  for (const w of built.warnings) console.warn(`warning: ${formatIssue(w)}`);
  if (!built.content) {
    errors(built.errors);
    console.error(`\n${built.errors.length} error(s) in the dialogs: the bot will not start with them.`);
    return undefined;
  }
  return built;
}

function main(): number {
  const { values } = parseArgs({
    options: { kb: { type: 'string', default: 'knowledge-base' }, dialogs: { type: 'string', default: 'dialogs' } },
  });
  const built = build(resolve(values.kb!), resolve(values.dialogs!));
  if (!built?.content) return 1;
  const { warnings, dialogCount, content } = built;
  const { kb } = content; // kb.version is the id the running bot shows for these files
  const { confusions, duplicates } = selfTest(content);
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
    `${kb.entries.length} entries, ${questions} sample questions, ${kb.topics.length} topics, ${dialogCount} dialogs, version ${kb.version}: ` +
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
