/**
 * npm run privacy -- <command> [options] — a customer's data (GDPR articles 15, 17 and 5(1)(e)) from the command
 * line, on the database the configuration names (SQLITE_FILE or DATABASE_URL). See USAGE.
 */
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv } from '../src/config';
import { AppError } from '../src/domain/errors';
import { Privacy, type PrivacyQuery } from '../src/privacy/service';
import { createStore } from '../src/storage/sql/store';

const USAGE = `usage: npm run privacy -- <command> [options]

commands:
  search     list the conversation ids of a customer
  export     print (or --out <file>) everything stored about a customer, as JSON
  erase      erase a customer's conversations everywhere (messages, dialog answers, webhook outbox and dead
             letters, channel references), queue a conversation.erased webhook, and report the counts
  retention  run the retention job now: erase conversations idle for RETENTION_DAYS, strip delivered webhook
             bodies older than OUTBOX_TRANSCRIPT_DAYS
  audit      print the privacy audit (exports, erasures, reveals), newest first

a customer (search, export, erase; at least one, a conversation matching any of them is taken):
  --conversation <id>   a conversation id
  --email <address>     found in messages, dialog answers and handoff contact details
  --phone <number>      the same, numbers compared on their last 9 digits (+33 6 12 34 56 78 = 06.12.34.56.78)
  --order <number>      an order number (MV-1234567), separators ignored

options:
  --by <name>     who does it, for the audit (default cli:<user>)
  --out <file>    export: write the JSON to this file instead of stdout
  --dry-run       erase: list what would be erased, change nothing
  --limit <n>     audit: how many lines (default 50)
  -h, --help      this text

exit status: 0 done, 1 nothing found or failed, 2 bad arguments`;

const OPTIONS = {
  conversation: { type: 'string' },
  email: { type: 'string' },
  phone: { type: 'string' },
  order: { type: 'string' },
  by: { type: 'string' },
  out: { type: 'string' },
  'dry-run': { type: 'boolean' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
const COMMANDS = ['search', 'export', 'erase', 'retention', 'audit'] as const;
type Command = (typeof COMMANDS)[number];
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class UsageError extends Error {}

function parse(argv: string[]): { command: Command; values: Values } | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, ...extra] = positionals;
  if (!command) throw new UsageError('no command given');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command "${command}"`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  return { command: command as Command, values };
}

function customer(v: Values): PrivacyQuery {
  return {
    ...(v.conversation !== undefined ? { conversationId: v.conversation } : {}),
    ...(v.email !== undefined ? { email: v.email } : {}),
    ...(v.phone !== undefined ? { phone: v.phone } : {}),
    ...(v.order !== undefined ? { order: v.order } : {}),
  };
}

/** Progress on stderr every 50 conversations and at the end (stdout stays the result); total 0 = not known. */
const progress = (verb: string) => (done: number, total: number) => {
  if (done % 50 === 0 || (total > 1 && done === total))
    process.stderr.write(`${verb} ${done}${total ? `/${total}` : ''}\n`);
};

async function run(privacy: Privacy, command: Command, v: Values, by: string): Promise<number> {
  if (command === 'audit') {
    const limit = v.limit === undefined ? 50 : Number(v.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError(`--limit takes a whole number from 1 to 10000, not "${v.limit}"`);
    for (const a of await privacy.auditLog(limit))
      console.log(`${a.at}\t${a.by}\t${a.action}\t${a.conversationIds.join(',')}\t${JSON.stringify(a.counts)}`);
    return 0;
  }
  if (command === 'retention') {
    const r = await privacy.retention(by, progress('erased'));
    console.log(`${r.erased.length} conversation(s) erased, ${r.strippedEvents} delivered webhook body(ies) stripped.`);
    console.log(JSON.stringify(r.counts));
    return 0;
  }
  const q = customer(v);
  if (command === 'search' || (command === 'erase' && v['dry-run'])) {
    const ids = await privacy.find(q);
    for (const id of ids) console.log(id);
    console.error(`${ids.length} conversation(s)${command === 'erase' ? ' would be erased (dry run)' : ''}.`);
    return ids.length ? 0 : 1;
  }
  if (command === 'export') {
    const out = await privacy.export(q, by);
    const json = `${JSON.stringify(out, null, 2)}\n`;
    if (v.out) writeFileSync(v.out, json, { mode: 0o600 });
    else process.stdout.write(json);
    console.error(`${out.conversations.length} conversation(s) exported${v.out ? ` to ${v.out}` : ''}.`);
    return out.conversations.length ? 0 : 1;
  }
  const r = await privacy.erase(q, by, progress('erased'));
  const c = r.counts;
  console.log(
    `${c.conversations} conversation(s) erased: ${c.messages} message(s), ${c.dialogStates} dialog state(s), ` +
      `${c.outboxEvents} outbox event(s), ${c.deadLetters} dead letter(s), ${c.channelRefs} channel reference(s).`,
  );
  for (const id of r.conversations) console.log(id);
  return r.conversations.length ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  const by = args.values.by?.trim() || `cli:${userInfo().username}`;
  loadDotEnv();
  const config = loadConfig();
  const store = await createStore(config.storage);
  try {
    return await run(new Privacy(store, config.privacy), args.command, args.values, by);
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    const bad = e instanceof UsageError || (e instanceof AppError && e.status === 400);
    console.error(`privacy: ${e instanceof Error ? e.message : String(e)}`);
    if (e instanceof UsageError) console.error(`\n${USAGE}`);
    process.exitCode = bad ? 2 : 1;
  },
);
