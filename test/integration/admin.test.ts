/**
 * The editors' admin API over real HTTP on loopback: the app built by buildApp on temporary copies of
 * knowledge-base/ and dialogs/, a real SQLite file, the global fetch.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument, isSeq, isMap } from 'yaml';
import { startApp, type App, type StartedApp } from '../support/app';

const ROOT = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'savbot-admin-'));
const kbDir = join(dir, 'knowledge-base');
const dialogsDir = join(dir, 'dialogs');
cpSync(join(ROOT, 'knowledge-base'), kbDir, { recursive: true });
cpSync(join(ROOT, 'dialogs'), dialogsDir, { recursive: true });
const original = readFileSync(join(kbDir, 'warranty.yaml'), 'utf8');

const EDITOR = 'editor-token-0123456789';
const ADMIN = 'admin-token-0123456789ab';

let app: App;
let base: string;
let running: StartedApp | undefined;

beforeAll(async () => {
  running = await startApp({
    KB_DIR: kbDir,
    DIALOGS_DIR: dialogsDir,
    SQLITE_FILE: join(dir, 'bot.db'),
    ADMIN_TOKENS: `alice:editor:${EDITOR},root:admin:${ADMIN}`,
  });
  ({ app, base } = running);
});

afterAll(async () => {
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Err {
  error: { code: string; message: string; details?: unknown };
}

async function call<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = EDITOR,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as T };
}

/** The text of entry `id` in a YAML source, and what comes before and after it. */
function split(source: string, id: string): { before: string; entry: string; after: string } {
  const seq = parseDocument(source).get('entries', true);
  if (!isSeq(seq)) throw new Error('no entries');
  const item = seq.items.find((i) => isMap(i) && i.get('id') === id) as { range: [number, number, number] } | undefined;
  if (!item) throw new Error(`no entry ${id}`);
  return {
    before: source.slice(0, item.range[0]),
    entry: source.slice(item.range[0], item.range[2]),
    after: source.slice(item.range[2]),
  };
}

async function ask(text: string, lang = 'en') {
  const r = await call<{ decision: string; match: { id: string } | null; version: string }>('POST', '/api/admin/try', {
    text,
    lang,
  });
  expect(r.status).toBe(200);
  return r.json;
}

/** The bot's first reply to `text` in a new English conversation (the widget API). */
async function botSays(text: string): Promise<string> {
  const conv = (await (
    await fetch(`${base}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"lang":"en"}',
    })
  ).json()) as { conversationId: string; token: string };
  const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
    body: JSON.stringify({ text }),
  });
  return ((await res.json()) as { replies: { text: string }[] }).replies[0]!.text;
}

async function health(): Promise<string> {
  return ((await (await fetch(`${base}/health`)).json()) as { kbVersion: string }).kbVersion;
}

describe('auth and roles', () => {
  test('no token or an unknown token: 401; an editor may not roll back: 403', async () => {
    expect((await call<Err>('GET', '/api/admin/status', undefined, null)).status).toBe(401);
    const bad = await call<Err>('GET', '/api/admin/entries', undefined, 'not-a-known-token-at-all');
    expect(bad.status).toBe(401);
    expect(bad.json.error.code).toBe('UNAUTHORIZED');
    const versions = await call<{ versions: { version: string }[] }>('GET', '/api/admin/versions');
    expect(versions.status).toBe(200);
    const forbidden = await call<Err>('POST', `/api/admin/versions/${versions.json.versions[0]!.version}/rollback`, {});
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.error.code).toBe('FORBIDDEN');
    expect((await call('GET', '/api/admin/status', undefined, ADMIN)).status).toBe(200);
    // Who the token belongs to (the admin page offers rollback to the admin role only).
    expect((await call('GET', '/api/admin/me')).json).toEqual({ name: 'alice', role: 'editor' });
    expect((await call('GET', '/api/admin/me', undefined, ADMIN)).json).toEqual({ name: 'root', role: 'admin' });
    expect((await call('GET', '/api/admin/me', undefined, null)).status).toBe(401);
  });
});

describe('reading', () => {
  test('status names the published version, which /health shows too', async () => {
    const s = await call<{ version: string; publishedAt: string; lastError: unknown }>('GET', '/api/admin/status');
    expect(s.json.version).toMatch(/^[0-9a-f]{12}$/);
    expect(s.json.version).toBe(await health());
    expect(s.json.lastError).toBeNull();
    expect(Number.isNaN(Date.parse(s.json.publishedAt))).toBe(false);
  });

  test('search is case- and accent-insensitive, filters by topic and language; one entry by id; 404 for an unknown id', async () => {
    const r = await call<{
      entries: { id: string; topic: string; file: string; questions: Record<string, string[]> }[];
    }>('GET', `/api/admin/entries?q=${encodeURIComponent('GARANTÍE LÉGALE')}`);
    expect(r.status).toBe(200);
    expect(r.json.entries.map((e) => e.id)).toContain('warranty-coverage');
    const topic = await call<{ entries: { id: string; topic: string; file: string }[] }>(
      'GET',
      '/api/admin/entries?topic=warranty&lang=ro',
    );
    expect(topic.json.entries.map((e) => e.id).sort()).toEqual([
      'product-registration',
      'warranty-claim',
      'warranty-coverage',
      'warranty-extension',
    ]);
    expect(new Set(topic.json.entries.map((e) => e.file))).toEqual(new Set(['warranty.yaml']));
    const one = await call<{ entry: { id: string; questions: { en: string[] } } }>(
      'GET',
      '/api/admin/entries/warranty-coverage',
    );
    expect(one.json.entry.questions.en).toContain('How long is the warranty?');
    const missing = await call<Err>('GET', '/api/admin/entries/no-such-entry');
    expect(missing.status).toBe(404);
    expect((await call<Err>('GET', '/api/admin/entries?lang=de')).status).toBe(400);
  });

  test('try: the decision and the entry the bot would answer with', async () => {
    const t = await call<{
      lang: string;
      decision: string;
      match: { id: string; title: string; confidence: number };
      runnerUp: unknown;
    }>('POST', '/api/admin/try', { text: 'How long is the warranty?' });
    expect(t.json.lang).toBe('en');
    expect(t.json.decision).toBe('answer');
    expect(t.json.match).toMatchObject({ id: 'warranty-coverage', title: 'What the warranty covers' });
    expect(t.json.match.confidence).toBeGreaterThan(0);
  });
});

describe('editing', () => {
  let startVersion: string;
  beforeAll(async () => {
    startVersion = await health();
  });

  test('a per-language edit is written back keeping every byte outside the entry, published and audited', async () => {
    const answer =
      'Every product has a 2-year legal warranty, parts and labour included (edited through the admin API).';
    const r = await call<{
      entry: { answer: Record<string, string>; questions: Record<string, string[]> };
      version: string;
    }>('PUT', '/api/admin/entries/warranty-coverage', {
      lang: 'en',
      answer,
      questions: [
        'What does the warranty cover?',
        'How long is the warranty?',
        'does the warranty include parts and labour',
        'warranty length for fridges',
        'is my kettle under warranty',
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json.entry.answer.en).toBe(answer);
    // Other languages untouched.
    expect(r.json.entry.answer.fr).toMatch(/^Tous nos produits/);
    expect(r.json.entry.questions.fr).toHaveLength(10);
    expect(r.json.version).not.toBe(startVersion);
    expect(await health()).toBe(r.json.version);

    const written = readFileSync(join(kbDir, 'warranty.yaml'), 'utf8');
    const was = split(original, 'warranty-coverage');
    const now = split(written, 'warranty-coverage');
    expect(now.before).toBe(was.before); // header comments included
    expect(now.after).toBe(was.after);
    expect(now.entry).toContain(`en: "${answer}"`);
    expect(now.entry).toContain('- "is my kettle under warranty"');
    expect(now.entry).not.toContain('Is there a 2 year guarantee on everything?');
    // Unchanged lines of the entry keep their style too.
    expect(now.entry).toContain('    tags: [warranty, coverage]');

    // The bot answers with the new text.
    expect(await botSays('How long is the warranty?')).toBe(answer);

    const audit = await call<{
      entries: {
        user: string;
        action: string;
        entryId: string;
        before: { answer: Record<string, string> };
        after: { answer: Record<string, string> };
        version: string;
      }[];
    }>('GET', '/api/admin/audit?limit=5');
    expect(audit.json.entries[0]).toMatchObject({
      user: 'alice',
      action: 'update',
      entryId: 'warranty-coverage',
      version: r.json.version,
    });
    expect(audit.json.entries[0]!.before.answer.en).toMatch(/^All our products/);
    expect(audit.json.entries[0]!.after.answer.en).toBe(answer);
  });

  test('adding one sample question (the inbox "add to entry")', async () => {
    const r = await call<{ entry: { questions: { ro: string[] } } }>(
      'POST',
      '/api/admin/entries/warranty-claim/questions',
      { lang: 'ro', question: 'aspiratorul meu nu mai merge, e în garanție' },
    );
    expect(r.status).toBe(200);
    expect(r.json.entry.questions.ro.at(-1)).toBe('aspiratorul meu nu mai merge, e în garanție');
    expect(readFileSync(join(kbDir, 'warranty.yaml'), 'utf8')).toContain(
      '        - "aspiratorul meu nu mai merge, e în garanție"\n      en:',
    );
  });

  test('invalid content is refused with 422 and located issues; nothing is written or published', async () => {
    const before = readFileSync(join(kbDir, 'warranty.yaml'), 'utf8');
    const version = await health();
    const r = await call<Err>('PUT', '/api/admin/entries/warranty-claim', { lang: 'en', questions: ['?!'] });
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('INVALID_CONTENT');
    const details = r.json.error.details as {
      file: string;
      line: number;
      column: number;
      path: string;
      message: string;
    }[];
    expect(details[0]).toMatchObject({ path: 'entries[2].questions.en[0]', message: 'question has no words' });
    expect(details[0]!.file).toMatch(/warranty\.yaml$/);
    expect(details[0]!.line).toBeGreaterThan(100);
    const unknown = await call<Err>('POST', '/api/admin/entries', {
      topic: 'warranty',
      entry: {
        id: 'bad-follow-up',
        questions: { en: ['a question about kettles'] },
        answer: { en: 'An answer.' },
        followUps: ['no-such-entry'],
      },
    });
    expect(unknown.status).toBe(422);
    expect((unknown.json.error.details as { message: string }[])[0]!.message).toBe(
      'unknown follow-up id "no-such-entry"',
    );
    expect(readFileSync(join(kbDir, 'warranty.yaml'), 'utf8')).toBe(before);
    expect(await health()).toBe(version);
  });

  test("an edit that makes other entries' questions resolve elsewhere is refused (409) unless forced", async () => {
    const claim = await call<{ entry: { questions: { en: string[] } } }>('GET', '/api/admin/entries/warranty-claim');
    const coverage = await call<{ entry: { questions: { en: string[] } } }>(
      'GET',
      '/api/admin/entries/warranty-coverage',
    );
    const stolen = [...coverage.json.entry.questions.en, ...claim.json.entry.questions.en];
    const before = readFileSync(join(kbDir, 'warranty.yaml'), 'utf8');
    const version = await health();
    const refused = await call<Err>('PUT', '/api/admin/entries/warranty-coverage', { lang: 'en', questions: stolen });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('REGRESSION');
    const details = refused.json.error.details as { question: string; lang: string; expected: string; got: string }[];
    expect(details.length).toBeGreaterThan(0);
    for (const d of details) {
      expect(d.lang).toBe('en');
      expect(d.expected).not.toBe('warranty-coverage');
      expect(claim.json.entry.questions.en).toContain(d.question);
    }
    expect(readFileSync(join(kbDir, 'warranty.yaml'), 'utf8')).toBe(before);
    expect(await health()).toBe(version);

    const forced = await call<{ version: string }>('PUT', '/api/admin/entries/warranty-coverage', {
      lang: 'en',
      questions: stolen,
      force: true,
    });
    expect(forced.status).toBe(200);
    expect(forced.json.version).not.toBe(version);
    expect(readFileSync(join(kbDir, 'warranty.yaml'), 'utf8')).not.toBe(before);
  });

  // After the forced edit above, some questions fail already: they do not block the next edits.
  test('create a new entry (201) then delete it; both audited', async () => {
    const entry = {
      id: 'kettle-descaling',
      kind: 'faq',
      title: { en: 'Descaling a kettle' },
      questions: { en: ['how do I descale my kettle', 'kettle full of limescale', 'remove limescale from a kettle'] },
      answer: { en: 'Boil half water, half white vinegar, leave one hour, rinse twice.' },
    };
    const created = await call<{ entry: { id: string; file: string; topic: string }; version: string }>(
      'POST',
      '/api/admin/entries',
      { topic: 'products', entry },
    );
    expect(created.status).toBe(201);
    expect(created.json.entry).toMatchObject({ id: 'kettle-descaling', file: 'products.yaml', topic: 'products' });
    expect((await ask('how can I descale my kettle?')).match?.id).toBe('kettle-descaling');
    expect(readFileSync(join(kbDir, 'products.yaml'), 'utf8')).toMatch(/\n\n {2}- id: kettle-descaling\n/);
    const dup = await call<Err>('POST', '/api/admin/entries', { topic: 'products', entry });
    expect(dup.status).toBe(409);

    const deleted = await call<{ version: string }>('DELETE', '/api/admin/entries/kettle-descaling');
    expect(deleted.status).toBe(200);
    expect(readFileSync(join(kbDir, 'products.yaml'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'knowledge-base', 'products.yaml'), 'utf8'),
    );
    expect((await call('GET', '/api/admin/entries/kettle-descaling')).status).toBe(404);
    const audit = await call<{ entries: { action: string; entryId: string; user: string }[] }>(
      'GET',
      '/api/admin/audit?limit=2',
    );
    expect(audit.json.entries.map((e) => [e.action, e.entryId, e.user])).toEqual([
      ['delete', 'kettle-descaling', 'alice'],
      ['create', 'kettle-descaling', 'alice'],
    ]);
    // A new topic: a new file.
    const topic = await call<{ entry: { file: string; topic: string } }>('POST', '/api/admin/entries', {
      topic: 'kettles',
      entry: { ...entry, id: 'kettle-limescale' },
    });
    expect(topic.status).toBe(201);
    expect(topic.json.entry).toMatchObject({ file: 'kettles.yaml', topic: 'kettles' });
    expect(readFileSync(join(kbDir, 'kettles.yaml'), 'utf8')).toMatch(
      /^# Topic kettles: created through the admin API\.\ntopic: kettles\nentries:\n {2}- id: kettle-limescale\n/,
    );
  });

  test('rollback (admin) restores the files and the answers of a stored version', async () => {
    const versions = await call<{ versions: { version: string; action: string; user: string }[] }>(
      'GET',
      '/api/admin/versions',
    );
    expect(versions.json.versions.at(-1)).toMatchObject({ version: startVersion, action: 'start', user: 'system' });
    expect(versions.json.versions[0]!.action).toBe('create');
    const r = await call<{ version: string }>('POST', `/api/admin/versions/${startVersion}/rollback`, {}, ADMIN);
    expect(r.status).toBe(200);
    expect(r.json.version).toBe(startVersion);
    expect(await health()).toBe(startVersion);
    expect(readFileSync(join(kbDir, 'warranty.yaml'), 'utf8')).toBe(original);
    const one = await call<{ entry: { answer: { en: string } } }>('GET', '/api/admin/entries/warranty-coverage');
    expect(one.json.entry.answer.en).toMatch(/^All our products/);
    expect(await botSays('How long is the warranty?')).toBe(one.json.entry.answer.en);
    expect(existsSync(join(kbDir, 'kettles.yaml'))).toBe(false); // added after that version: removed
    const audit = await call<{ entries: { action: string; user: string; after: { version: string } }[] }>(
      'GET',
      '/api/admin/audit?limit=1',
    );
    expect(audit.json.entries[0]).toMatchObject({ action: 'rollback', user: 'root', after: { version: startVersion } });
    expect((await call('POST', '/api/admin/versions/000000000000/rollback', {}, ADMIN)).status).toBe(404);
  });
});

describe('changes on disk', () => {
  test('an invalid file is refused (status names file:line), the last good version keeps serving; a fix is published', async () => {
    const version = await health();
    const file = join(kbDir, 'contact.yaml');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('  - id: ', '  - id: BROKEN ID\n    nonsense: [\n  - id: '));
    await app.editor.checkDisk();
    const s = await call<{
      version: string;
      lastError: { at: string; issues: { file: string; line: number; message: string }[] };
    }>('GET', '/api/admin/status');
    expect(s.json.version).toBe(version);
    expect(s.json.lastError.issues[0]!.file).toMatch(/contact\.yaml$/);
    expect(s.json.lastError.issues[0]!.line).toBeGreaterThan(1);
    expect(await health()).toBe(version);

    writeFileSync(
      file,
      good.replace(
        /(\n {4}questions:\n {6}fr:\n)/,
        '$1        - "à quelle heure ouvre le service client le dimanche"\n',
      ),
    );
    await app.editor.checkDisk();
    const fixed = await call<{ version: string; lastError: unknown }>('GET', '/api/admin/status');
    expect(fixed.json.lastError).toBeNull();
    expect(fixed.json.version).not.toBe(version);
    expect(await health()).toBe(fixed.json.version);
  });

  test('dialogs are part of the version: a dialog edit is published, a dialog naming an unknown slot is refused', async () => {
    const version = await health();
    const file = join(dialogsDir, 'repair-status.yaml');
    const good = readFileSync(file, 'utf8');
    const prompt = 'What is your repair file number (e.g. R-204518)?';
    expect(good).toContain(prompt);
    writeFileSync(file, good.replace(prompt, 'Your repair number for {fileNumbr}?'));
    await app.editor.checkDisk();
    const refused = await call<{ lastError: { issues: { file: string; message: string }[] } | null }>(
      'GET',
      '/api/admin/status',
    );
    expect(refused.json.lastError?.issues.map((i) => i.message)).toContain('"fileNumbr" is not a slot of this dialog');
    expect(refused.json.lastError?.issues[0]!.file).toMatch(/repair-status\.yaml$/);
    expect(await health()).toBe(version);

    writeFileSync(file, good.replace(prompt, 'Which repair file number do you have (e.g. R-204518)?'));
    await app.editor.checkDisk();
    const published = await health();
    expect(published).not.toBe(version);
    expect((await call<{ lastError: unknown }>('GET', '/api/admin/status')).json.lastError).toBeNull();
    const conv = (await (
      await fetch(`${base}/api/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"lang":"en"}',
      })
    ).json()) as { conversationId: string; token: string };
    const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
      body: JSON.stringify({ action: 'dialog:repair-status' }),
    });
    const { replies } = (await res.json()) as { replies: { text: string }[] };
    expect(replies.map((r) => r.text)).toContain('Which repair file number do you have (e.g. R-204518)?');
  });
});
