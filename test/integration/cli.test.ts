/**
 * The real commands, spawned as a user would run them (`npx tsx <script>` from the project folder):
 * kb:check, the server's refusal to start on bad content or config, eval with peers, and the terminal chat.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const TIMEOUT = 60_000;

/** The parent's environment without CI markers or any of the product's own settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const product = new Set([
    'PORT',
    'HOST',
    'NODE_ENV',
    'LOG_LEVEL',
    'KB_DIR',
    'DIALOGS_DIR',
    'DEFAULT_LANG',
    'MAX_BODY_BYTES',
  ]);
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (
      k === 'CI' ||
      k.startsWith('CI_') ||
      k.startsWith('GITHUB_') ||
      k.startsWith('JEST_') ||
      k.startsWith('MATCH_') ||
      product.has(k)
    )
      continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

function run(
  script: string,
  args: string[] = [],
  opts: { env?: Record<string, string>; input?: string } = {},
): SpawnSyncReturns<string> {
  const r = spawnSync('npx', ['tsx', script, ...args], {
    cwd: ROOT,
    env: cleanEnv(opts.env),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: TIMEOUT - 5_000,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw r.error;
  // A null status means the process was killed (timeout): make that visible in the failure.
  if (r.status === null)
    throw new Error(
      `${script} ${args.join(' ')} did not exit (signal ${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
  return r;
}

const tmpDirs: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** A knowledge base with three problems in three files. */
function brokenKb(): { dir: string; a: string; b: string; c: string } {
  const dir = tempDir('savbot-broken-kb-');
  writeFileSync(
    join(dir, 'a.yaml'),
    [
      'topic: alpha',
      'entries:',
      '  - id: shared-id',
      '    questions:',
      '      en: [where is my parcel]',
      '    answer:',
      '      en: It is on its way.',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'b.yaml'),
    [
      'topic: beta',
      'entries:',
      '  - id: shared-id', // line 3: duplicate of a.yaml's id
      '    questions:',
      '      en: [how do I return an item]',
      '    answer:',
      '      en: Use the returns form.',
      '  - id: other-entry',
      '    questions:',
      '      en: [what does the warranty cover]',
      '    answer:',
      '      en: Two years, parts and labour.',
      '    followUps: [no-such-entry]', // line 13: unknown id
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'c.yaml'),
    ['topic: gamma', 'entries:', '  - id: broken', '    questions: [unclosed', ''].join('\n'),
  );
  // Messages name files relative to the working directory of the command (ROOT).
  const rel = (f: string) => relative(ROOT, join(dir, f));
  return { dir, a: rel('a.yaml'), b: rel('b.yaml'), c: rel('c.yaml') };
}

describe('kb:check', () => {
  test(
    'the sample knowledge base passes with a summary line',
    () => {
      const r = run('scripts/kb-check.ts');
      expect(r.stderr).not.toMatch(/^error:/m);
      expect(r.status).toBe(0);
      const summary = r.stdout.split('\n').find((l) => /\bentries\b/.test(l));
      expect(summary).toBeDefined();
      expect(summary).toMatch(
        /^\d+ entries, \d+ sample questions, \d+ topics, 5 dialogs, version [0-9a-f]{12}: 0 confusion\(s\)/,
      );
      expect(Number(/^(\d+) entries/.exec(summary!)![1])).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  test(
    'a broken knowledge base fails with file:line:column: key-path messages',
    () => {
      const kb = brokenKb();
      const r = run('scripts/kb-check.ts', ['--kb', kb.dir]);
      expect(r.status).toBe(1);
      const err = r.stderr;
      // Duplicate id across files: located at the second definition, pointing back at the first.
      expect(err).toContain(`error: ${kb.b}:3:9: entries[0].id: duplicate id "shared-id" (first defined at ${kb.a}:3)`);
      // Unknown follow-up: located at the list item.
      expect(err).toContain(`error: ${kb.b}:13:17: entries[1].followUps[0]: unknown follow-up id "no-such-entry"`);
      // YAML syntax error in the third file: the unclosed flow sequence is found at the end of the file (line 5,
      // column 1), where the yaml library locates it.
      expect(err).toContain(
        `error: ${kb.c}:5:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      );
      expect(err).toMatch(/3 error\(s\): the bot will not start with this knowledge base\./);
      // Every error line has the file:line:col: shape.
      const lines = err.split('\n').filter((l) => l.startsWith('error: '));
      expect(lines).toHaveLength(3);
      for (const l of lines) expect(l).toMatch(/^error: .+\.yaml:\d+:\d+: /);
      // No summary line: validation stopped before the self-test.
      expect(r.stdout).not.toMatch(/\bentries\b/);
    },
    TIMEOUT,
  );
});

describe('server start-up (src/index.ts)', () => {
  test(
    'refuses to start on a broken knowledge base, naming file and line',
    () => {
      const kb = brokenKb();
      const r = run('src/index.ts', [], {
        env: { KB_DIR: kb.dir, DATA_DIR: kb.dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('The content has errors; not starting.');
      expect(r.stderr).toContain(`${kb.b}:3:9: entries[0].id: duplicate id "shared-id"`);
      expect(r.stderr).toContain(`${kb.b}:13:17: entries[1].followUps[0]: unknown follow-up id "no-such-entry"`);
      expect(r.stderr).toContain(`${kb.c}:5:1: YAML syntax: Flow sequence in block collection`);
      expect(r.stdout).not.toMatch(/bot ready/);
    },
    TIMEOUT,
  );

  test(
    'refuses to start on an invalid PORT, naming it',
    () => {
      const r = run('src/index.ts', [], { env: { PORT: 'abc', HOST: '127.0.0.1', LOG_LEVEL: 'silent' } });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/invalid configuration/);
      expect(r.stderr).toMatch(/PORT: PORT="abc" must be a number between 0 and 65535/);
      expect(r.stdout).not.toMatch(/bot ready/);
    },
    TIMEOUT,
  );
});

describe('eval', () => {
  const intents = [
    {
      intent: 'track_order',
      questions: [
        'where is my order',
        'track my package',
        'when will my order arrive',
        'my parcel has not arrived yet',
        'order status please',
        'has my order shipped',
      ],
    },
    {
      intent: 'reset_password',
      questions: [
        'I forgot my password',
        'how do I reset my password',
        'cannot log in to my account',
        'change my password',
        'password reset link not working',
        'locked out of my account',
      ],
    },
    {
      intent: 'opening_hours',
      questions: [
        'what are your opening hours',
        'when is the store open',
        'are you open on sunday',
        'what time do you close',
        'opening times of the shop',
        'is the shop open today',
      ],
    },
  ];
  const dev = [
    { text: 'where is my parcel', expected: 'track_order' },
    { text: 'I need to reset my password', expected: 'reset_password' },
    { text: 'what time do you open', expected: 'opening_hours' },
    { text: 'has my package been shipped', expected: 'track_order' },
    { text: 'what is the capital of peru', expected: null },
    { text: 'tell me a joke about penguins', expected: null },
  ];

  function dataset(): string {
    const dir = tempDir('savbot-eval-');
    writeFileSync(join(dir, 'kb.json'), JSON.stringify(intents, null, 2));
    writeFileSync(join(dir, 'dev.jsonl'), dev.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return dir;
  }

  test(
    '--json --peers prints one JSON row per system: sav-bot, minisearch-defaults, nlp.js',
    () => {
      const dir = dataset();
      const r = run('scripts/eval.ts', [dir, '--json', '--peers']);
      expect(r.status).toBe(0);
      const lines = r.stdout.split('\n').filter((l) => l.trim());
      const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows.map((x) => x.system)).toEqual(['sav-bot', 'minisearch-defaults', 'nlp.js']);
      for (const row of rows) {
        expect(row.split).toBe('dev'); // no test.jsonl: the dev split is scored
        expect(row.n).toBe(dev.length);
        for (const k of ['inScopeAccuracy', 'oosRecall'] as const) {
          expect(typeof row[k]).toBe('number');
          expect(row[k] as number).toBeGreaterThanOrEqual(0);
          expect(row[k] as number).toBeLessThanOrEqual(1);
        }
        for (const k of ['msPerQueryP50', 'msPerQueryP99', 'buildMs'] as const) {
          expect(typeof row[k]).toBe('number');
          expect(Number.isFinite(row[k])).toBe(true);
          expect(row[k] as number).toBeGreaterThanOrEqual(0);
        }
        expect(row.msPerQueryP99 as number).toBeGreaterThanOrEqual(row.msPerQueryP50 as number);
      }
      // Only our system has a tuned threshold; its language is recognised as English.
      expect(typeof rows[0]!.threshold).toBe('number');
      expect(rows[0]!.languageAccuracy).toBe(1);
      expect(rows[1]!.threshold).toBeNull();
      expect(rows[2]!.threshold).toBeNull();
      // Progress goes to stderr, never mixed into the JSON lines.
      expect(r.stderr).toMatch(/3 intents, 18 questions, 6 dev rows, language en/);
    },
    TIMEOUT,
  );

  test(
    'without a dataset folder: exit 2 with a usage message',
    () => {
      const r = run('scripts/eval.ts');
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/usage: npm run eval -- <dataset-dir>/);
      expect(r.stdout).toBe('');
    },
    TIMEOUT,
  );

  test(
    'with --split foo: exit 2 naming the option',
    () => {
      const r = run('scripts/eval.ts', [dataset(), '--split', 'foo']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--split must be test or dev, not "foo"/);
      expect(r.stdout).toBe('');
    },
    TIMEOUT,
  );
});

describe('chat', () => {
  test(
    'answers a greeting, explains it with /why, and quits cleanly',
    () => {
      const r = run('scripts/chat.ts', [], { input: 'bonjour\n/why\n/quit\n' });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Knowledge base [0-9a-f]{12}: \d+ entries\./m);
      // The reply's source line: [smalltalk greeting 0.98, fr]
      expect(r.stdout).toMatch(/\[smalltalk greeting \d\.\d\d, fr\]/);
      // /why lists the candidates, the greeting first.
      expect(r.stdout).toMatch(/^language fr, confidence \d\.\d{3}, similarity \d\.\d{3}$/m);
      const candidates = r.stdout.split('\n').filter((l) => /^ {2}\S+\s+\d\.\d{3}$/.test(l));
      expect(candidates.length).toBeGreaterThan(0);
      expect(candidates[0]!.trim().split(/\s+/)[0]).toBe('greeting');
      expect(r.stderr).not.toMatch(/error/i);
    },
    TIMEOUT,
  );
});
