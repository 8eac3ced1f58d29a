/**
 * npm run eval:heldout [-- [file] | --file file] [--json] [--lang-hint]
 * e.g. npx tsx scripts/eval-heldout.ts test/heldout/after-sales-2.yaml (default: test/heldout/after-sales.yaml).
 * The held-out customer messages (issue 15) through the real engine: each message is the first of a fresh
 * conversation (memory store, the published content built as the app builds it), and the first reply is
 * classified (src/eval/heldout.ts). Prints per language n, accuracy and confident wrong answers, per kind, and the
 * failures. Without --lang-hint the conversation has no language, as a customer typing in the widget: the bot
 * detects it; with it, the conversation starts in the message's language.
 * Exit 0 always (a measurement), except for a malformed set (1, with the item at fault).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCore, type Core } from '../src/app';
import { loadConfig } from '../src/config';
import { AppError } from '../src/domain/errors';
import { LANGS } from '../src/domain/types';
import {
  classify,
  kbIndexOf,
  loadHeldout,
  summarize,
  unknownExpectations,
  type HeldoutItem,
  type HeldoutResult,
  type HeldoutSummary,
  type Tally,
} from '../src/eval/heldout';

const ROOT = join(__dirname, '..');

async function runOne(core: Core, item: HeldoutItem, langHint: boolean): Promise<HeldoutResult> {
  const conv = await core.engine.createConversation({ channel: 'eval', ...(langHint ? { lang: item.lang } : {}) });
  const [first] = await core.engine.handle({ conversationId: conv.id, channel: 'eval', text: item.text });
  if (!first) throw new AppError('NO_REPLY', `no reply to item ${item.index} ("${item.text.slice(0, 60)}")`);
  return { item, source: first.source, lang: first.lang, outcome: classify(item, first.source, kbOf(core)) };
}

const kbCache = new WeakMap<Core, ReturnType<typeof kbIndexOf>>();
function kbOf(core: Core): ReturnType<typeof kbIndexOf> {
  let kb = kbCache.get(core);
  if (!kb) kbCache.set(core, (kb = kbIndexOf(core.kb.entries)));
  return kb;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const line = (label: string, t: Tally) =>
  `${label.padEnd(10)} n=${String(t.n).padStart(3)}  accuracy ${pct(t.accuracy).padStart(7)}  right ${t.right}` +
  `  clarify ${t.clarify}  miss ${t.miss}  confident-wrong ${t.wrong} (off-topic answered ${t.offtopicAnswered})` +
  (t.langMismatch ? `  other-language replies ${t.langMismatch}` : '');

function got(r: HeldoutResult): string {
  const s = r.source;
  const conf = s.confidence !== undefined ? ` ${s.confidence.toFixed(2)}` : '';
  return `${s.kind}${s.id ? ':' + s.id : ''}${conf}${r.lang !== r.item.lang ? ` [replied in ${r.lang}]` : ''}`;
}

function print(summary: HeldoutSummary, results: HeldoutResult[], file: string): void {
  console.log(`Held-out set ${file}: ${results.length} messages, first reply of a fresh conversation each.\n`);
  for (const l of LANGS) {
    const t = summary.byLang[l];
    if (t) console.log(line(l, t));
  }
  console.log(line('all', summary.overall));
  console.log('\nBy kind (all languages; per language in --json):');
  for (const [k, t] of Object.entries(summary.byKind)) console.log('  ' + line(k, t));
  const failures = results.filter((r) => r.outcome !== 'right');
  console.log(`\nFailures (${failures.length}):`);
  for (const r of failures)
    console.log(
      `  [${r.item.lang}] ${r.outcome.padEnd(7)} line ${r.item.line}: "${r.item.text}"\n` +
        `      expected ${r.item.expect.join(' | ')}, got ${got(r)}`,
    );
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      file: { type: 'string' },
      json: { type: 'boolean', default: false },
      'lang-hint': { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 1 || (positionals.length && values.file)) {
    console.error(
      `eval:heldout: one held-out file at most, got ${[values.file, ...positionals].filter(Boolean).join(', ')}`,
    );
    return 1;
  }
  const file = resolve(values.file ?? positionals[0] ?? join(ROOT, 'test', 'heldout', 'after-sales.yaml'));
  let items: HeldoutItem[];
  try {
    items = loadHeldout(file);
  } catch (e) {
    console.error(`eval:heldout: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  const core = buildCore(loadConfig({ LOG_LEVEL: 'silent', KB_DIR: join(ROOT, 'knowledge-base') }));
  const unknown = unknownExpectations(items, kbOf(core), file);
  if (unknown.length) {
    console.error(`eval:heldout: ${unknown.length} expectation(s) name nothing in the knowledge base:`);
    for (const u of unknown) console.error(`  ${u}`);
    return 1;
  }
  const results: HeldoutResult[] = [];
  // One at a time: the engine serializes per conversation anyway, and the order keeps the output stable.
  for (const item of items) results.push(await runOne(core, item, values['lang-hint']!));
  const summary = summarize(results);
  if (values.json) {
    const failures = results
      .filter((r) => r.outcome !== 'right')
      .map((r) => ({
        line: r.item.line,
        lang: r.item.lang,
        text: r.item.text,
        expected: r.item.expect,
        outcome: r.outcome,
        got: r.source,
        repliedIn: r.lang,
      }));
    console.log(JSON.stringify({ file, langHint: values['lang-hint'], ...summary, failures }));
  } else print(summary, results, file);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`eval:heldout: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
