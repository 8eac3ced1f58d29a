/**
 * "Safe on the open internet", errors part, on a real loopback server: malformed client input is a 4xx JSON logged
 * without a stack; YAML alias bombs are file:line errors at start, on live reload and in kb:check; /ready tells a
 * database that cannot be written; security headers on every page; CSV export/import safety; token lifetimes;
 * the webhook-id cap of agent events.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { buildCore } from '../../src/app';
import { createDirectLine } from '../../src/channels/directline/channel';
import { DirectLineTokens } from '../../src/channels/directline/tokens';
import { StreamLimits } from '../../src/channels/streams';
import { createWidgetChannel } from '../../src/channels/widget/channel';
import { parseCsv } from '../../src/editor/importExport';
import { createHttpApp } from '../../src/server/http';
import { MemoryConversationStore } from '../../src/storage/memory';
import { startApp, type StartedApp } from '../support/app';
import { ROOT, testConfig } from '../support/config';
import { listenOnLoopback } from '../support/processes';

const TIMEOUT = 60_000;
const ADMIN = 'admin-token-0123456789abcdef';

/** A pino logger whose lines are kept, parsed. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n'))
        if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

/** An object holding arrays nested `n` deep (about 2 bytes a level: well under MAX_BODY_BYTES). */
const deepJson = (n: number) => `{"a":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;

/** A temporary copy of the shipped content folders. */
function contentCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-errors-'));
  const kb = join(dir, 'knowledge-base');
  const dialogs = join(dir, 'dialogs');
  cpSync(join(ROOT, 'knowledge-base'), kb, { recursive: true });
  cpSync(join(ROOT, 'dialogs'), dialogs, { recursive: true });
  return { dir, kb, dialogs, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Nine times nine times... aliases: a few hundred bytes expanding to millions of nodes. */
const ALIAS_BOMB = [
  'topic: bomb',
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'entries: []',
  '',
].join('\n');

function run(script: string, args: string[], env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^(PORT|HOST|NODE_ENV|LOG_LEVEL|KB_DIR|DIALOGS_DIR|SQLITE_FILE|DATABASE_URL)$/.test(k))
      clean[k] = v;
  return spawnSync('npx', ['tsx', script, ...args], {
    cwd: ROOT,
    env: { ...clean, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: TIMEOUT,
  });
}

/** The live streams' limits as the app's defaults (STREAMS_PER_CONVERSATION=3, STREAMS_PER_IP=20). */
const streamSettings = () => ({
  limits: new StreamLimits({ perConversation: 3, perIp: 20 }),
  pageSize: 100,
  stallMs: 30_000,
});

describe('malformed client input: 4xx JSON, logged at info without a stack', () => {
  let s: StartedApp;
  const { log, lines } = capturedLog();
  beforeAll(async () => {
    s = await startApp({ ADMIN_TOKENS: `root:admin:${ADMIN}` }, { log });
  });
  afterAll(() => s.close());

  /** The response is a 4xx JSON error with `code`, and the log line for it is info level, without a stack. */
  async function refused(res: Response, status: number, code: string) {
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const line = lines.find((l) => (l as { code?: string }).code === code);
    expect(line).toMatchObject({ level: 30, status, code });
    expect(JSON.stringify(line)).not.toMatch(/stack|"err"/);
    return body;
  }

  test('a malformed %-escape in the path: 400 INVALID_URL', async () => {
    const body = await refused(await fetch(`${s.base}/api/conversations/%FF/messages`), 400, 'INVALID_URL');
    expect(body.error.message).toContain('%FF');
  });

  test('a body that is not gzip sent with Content-Encoding: gzip: 400 INVALID_CONTENT_ENCODING', async () => {
    const res = await fetch(`${s.base}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: '{"lang":"fr"}',
    });
    await refused(res, 400, 'INVALID_CONTENT_ENCODING');
    // A real gzip body is still read.
    const ok = await fetch(`${s.base}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync('{"lang":"fr"}'),
    });
    expect(ok.status).toBe(201);
  });

  test('an unknown Content-Encoding: 415', async () => {
    const res = await fetch(`${s.base}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'x-zip' },
      body: '{}',
    });
    await refused(res, 415, 'UNSUPPORTED_CONTENT_ENCODING');
  });

  test('3,000-deep JSON: 400 JSON_TOO_DEEP on every JSON endpoint (admin API, widget, Direct Line, Bot Framework, agents)', async () => {
    const body = deepJson(3000);
    const json = { 'content-type': 'application/json' };
    const admin = await fetch(`${s.base}/api/admin/entries`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${ADMIN}` },
      body,
    });
    expect((await refused(admin, 400, 'JSON_TOO_DEEP')).error.message).toBe(
      'request body is nested deeper than 64 levels',
    );
    for (const path of ['/api/conversations', '/v3/directline/conversations', '/api/messages']) {
      const res = await fetch(`${s.base}${path}`, { method: 'POST', headers: json, body });
      expect([path, res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([
        path,
        400,
        'JSON_TOO_DEEP',
      ]);
    }
    const id = 'msg_deep';
    const at = new Date();
    const agent = await fetch(`${s.base}/api/agent/events`, {
      method: 'POST',
      headers: {
        ...json,
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(s.config.handoff.agentSecret).sign(id, at, body),
      },
      body,
    });
    expect(agent.status).toBe(400);
    expect(((await agent.json()) as { error: { code: string } }).error.code).toBe('JSON_TOO_DEEP');
    // 64 levels is still fine for the parser (the schema then names what is wrong).
    const ok = await fetch(`${s.base}/api/conversations`, { method: 'POST', headers: json, body: deepJson(63) });
    expect(((await ok.json()) as { error: { code: string } }).error.code).toBe('INVALID_BODY');
  });

  test('brackets inside JSON strings do not count as nesting', async () => {
    const res = await fetch(`${s.base}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lang: 'fr', x: '['.repeat(500) + '\\"{'.repeat(100) }),
    });
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_BODY');
  });

  test('huge JSON: 413 BODY_TOO_LARGE; invalid JSON: 400 INVALID_JSON; unknown fields: 400 INVALID_BODY', async () => {
    const post = (body: string) =>
      fetch(`${s.base}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await refused(await post(JSON.stringify({ lang: 'x'.repeat(100_000) })), 413, 'BODY_TOO_LARGE');
    await refused(await post('{"lang":'), 400, 'INVALID_JSON');
    const unknown = await refused(await post('{"lang":"fr","admin":true}'), 400, 'INVALID_BODY');
    expect(unknown.error.message).toContain('admin');
  });

  test('nothing a client sent was logged at error level', () => {
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});

describe('YAML alias bombs and oversized documents: file:line, never a crash', () => {
  test(
    'npm start refuses to start with file:line and no stack',
    () => {
      const c = contentCopy();
      try {
        writeFileSync(join(c.kb, 'bomb.yaml'), ALIAS_BOMB);
        const r = run('src/index.ts', [], { KB_DIR: c.kb, DIALOGS_DIR: c.dialogs, PORT: '0', HOST: '127.0.0.1' });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain('The content has errors; not starting.');
        expect(r.stderr).toMatch(/bomb\.yaml:3:\d+: YAML aliases: Excessive alias count/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      } finally {
        c.remove();
      }
    },
    TIMEOUT,
  );

  test(
    'kb:check exits 1 naming file and line, for an alias bomb, a too deep and an oversized file',
    () => {
      const c = contentCopy();
      try {
        writeFileSync(join(c.kb, 'bomb.yaml'), ALIAS_BOMB);
        writeFileSync(join(c.kb, 'deep.yaml'), `topic: deep\nx: ${'['.repeat(40)}${']'.repeat(40)}\nentries: []\n`);
        writeFileSync(join(c.kb, 'huge.yaml'), `topic: huge\n# ${'x'.repeat(1_100_000)}\nentries: []\n`);
        const r = run('scripts/kb-check.ts', ['--kb', c.kb, '--dialogs', c.dialogs]);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/bomb\.yaml:3:\d+: YAML aliases: Excessive alias count/);
        expect(r.stderr).toMatch(/deep\.yaml:2:\d+: nested more than 32 levels deep/);
        expect(r.stderr).toMatch(/huge\.yaml:1:1: file is \d+ bytes, more than the 1048576 allowed/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      } finally {
        c.remove();
      }
    },
    TIMEOUT,
  );

  test('live reload: the refusal is in GET /api/admin/status lastError, logged once, and the bot keeps serving', async () => {
    const c = contentCopy();
    const { log, lines } = capturedLog();
    const s = await startApp({ KB_DIR: c.kb, DIALOGS_DIR: c.dialogs, ADMIN_TOKENS: `root:admin:${ADMIN}` }, { log });
    try {
      const before = s.app.engine.kbVersion;
      writeFileSync(join(c.kb, 'bomb.yaml'), ALIAS_BOMB);
      await s.app.editor.checkDisk();
      await s.app.editor.checkDisk();
      await s.app.editor.checkDisk();
      const res = await fetch(`${s.base}/api/admin/status`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const status = (await res.json()) as {
        version: string;
        lastError: { issues: { file: string; line: number; message: string }[] };
      };
      expect(status.version).toBe(before);
      expect(status.lastError.issues).toEqual([
        expect.objectContaining({ line: 3, message: expect.stringMatching(/^YAML aliases: Excessive alias count/) }),
      ]);
      expect(status.lastError.issues[0]!.file).toMatch(/bomb\.yaml$/);
      expect(lines.filter((l) => String(l.msg).startsWith('knowledge base change refused'))).toHaveLength(1);
      expect(lines.filter((l) => String(l.msg).includes('knowledge base check failed'))).toEqual([]);
      rmSync(join(c.kb, 'bomb.yaml'));
      await s.app.editor.checkDisk();
      expect(s.app.editor.status().lastError).toBeNull();
    } finally {
      await s.close();
      c.remove();
    }
  });
});

describe('/health (liveness) and /ready (readiness)', () => {
  test('ready with a writable database; 503 naming the reason when it is read-only or closed, /health still ok', async () => {
    const s = await startApp();
    try {
      const ready = await fetch(`${s.base}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        checks: { database: { ok: true }, content: { ok: true } },
      });
      // The app's own SQLite connection made read-only: every write fails as on a read-only file.
      const db = (s.app.store as unknown as { ctx: { db: Kysely<unknown> } }).ctx.db;
      await sql`PRAGMA query_only = ON`.execute(db);
      const ro = await fetch(`${s.base}/ready`);
      expect(ro.status).toBe(503);
      const body = (await ro.json()) as { status: string; reasons: string[] };
      expect(body.status).toBe('unavailable');
      expect(body.reasons).toEqual([expect.stringMatching(/^database not writable: .*readonly database/)]);
      const health = await fetch(`${s.base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', kbVersion: s.app.engine.kbVersion });
      await sql`PRAGMA query_only = OFF`.execute(db);
      expect((await fetch(`${s.base}/ready`)).status).toBe(200);
      await s.app.store.close();
      const closed = await fetch(`${s.base}/ready`);
      expect(closed.status).toBe(503);
      expect(((await closed.json()) as { reasons: string[] }).reasons[0]).toMatch(/^database not writable: /);
    } finally {
      await s.close().catch(() => {});
    }
  });

  test('503 when more handoff events than READY_MAX_OUTBOX wait for delivery (no webhook receiver)', async () => {
    const s = await startApp({ READY_MAX_OUTBOX: '1' });
    try {
      for (let i = 0; i < 2; i++) {
        const conv = (await (
          await fetch(`${s.base}/api/conversations`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"lang":"fr"}',
          })
        ).json()) as { conversationId: string; token: string };
        await fetch(`${s.base}/api/conversations/${conv.conversationId}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
          body: JSON.stringify({ text: 'je veux parler à un conseiller' }),
        });
      }
      expect(await s.app.store.pendingCount()).toBeGreaterThan(1);
      const res = await fetch(`${s.base}/ready`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { reasons: string[]; checks: { database: { ok: boolean } } };
      expect(body.checks.database.ok).toBe(true);
      expect(body.reasons).toEqual([
        expect.stringMatching(/handoff events wait for delivery \(more than READY_MAX_OUTBOX=1\)/),
      ]);
    } finally {
      await s.close();
    }
  });
});

describe('security headers', () => {
  let s: StartedApp;
  beforeAll(async () => {
    s = await startApp();
  });
  afterAll(() => s.close());

  const csp = (res: Response) =>
    Object.fromEntries(
      (res.headers.get('content-security-policy') ?? '')
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    ) as Record<string, string[]>;

  test('every page and API response: nosniff, no framing, no Referer, COOP; no HSTS over plain HTTP', async () => {
    for (const path of ['/', '/webchat.html', '/admin', '/health', '/api/conversations/x/messages', '/nope']) {
      const res = await fetch(`${s.base}${path}`);
      const h = res.headers;
      expect([path, h.get('x-content-type-options'), h.get('x-frame-options'), h.get('referrer-policy')]).toEqual([
        path,
        'nosniff',
        'DENY',
        'no-referrer',
      ]);
      expect(csp(res)['frame-ancestors']).toEqual(["'none'"]);
      expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(h.get('strict-transport-security')).toBeNull();
    }
  });

  test('the demo page and Web Chat page have a CSP allowing only their own scripts, styles and API', async () => {
    const home = await fetch(`${s.base}/`);
    const c = csp(home);
    expect(c['script-src']).toEqual(["'self'"]);
    expect(c['style-src']![0]).toBe("'self'");
    expect(c['style-src']!.slice(1).every((x) => /^'sha256-[A-Za-z0-9+/=]+'$/.test(x))).toBe(true);
    expect(c['connect-src']).toEqual(["'self'"]);
    expect(c['object-src']).toEqual(["'none'"]);
    const webchat = await fetch(`${s.base}/webchat.html`);
    const w = csp(webchat);
    const nonce = /^'nonce-([A-Za-z0-9+/=]+)'$/.exec(w['script-src']![1]!)![1]!;
    const html = await webchat.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    // A new nonce per response.
    expect(csp(await fetch(`${s.base}/webchat.html`))['script-src']![1]).not.toBe(w['script-src']![1]);
    // The admin page keeps its own, stricter policy.
    expect(csp(await fetch(`${s.base}/admin`))['style-src']).toEqual(["'self'"]);
  });

  test('the scripts other sites load are allowed cross-origin; the API keeps same-origin CORP', async () => {
    expect((await fetch(`${s.base}/widget.js`)).headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect((await fetch(`${s.base}/health`)).headers.get('cross-origin-resource-policy')).toBe('same-origin');
  });

  test('HSTS behind a TLS proxy (req.secure with trust proxy)', async () => {
    s.app.http.set('trust proxy', 'loopback');
    try {
      const res = await fetch(`${s.base}/health`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(res.headers.get('strict-transport-security')).toBe('max-age=15552000; includeSubDomains');
      const plain = await fetch(`${s.base}/health`, { headers: { 'x-forwarded-proto': 'http' } });
      expect(plain.headers.get('strict-transport-security')).toBeNull();
    } finally {
      s.app.http.set('trust proxy', false);
    }
  });
});

describe('CSV export and import', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'savbot-csv-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test(
    'npm run export prefixes cells that would be formulas with a single quote; import reads them back as written',
    () => {
      const c = contentCopy();
      try {
        writeFileSync(
          join(c.kb, 'formulas.yaml'),
          [
            'topic: formulas',
            'entries:',
            '  - id: formula-entry',
            '    kind: faq',
            '    title: { fr: "Formule" }',
            '    questions:',
            '      fr: ["=HYPERLINK(\\"http://evil\\",\\"x\\")", "+33 1 23 45 67 89", "-5 % de remise ?", "@SUM(A1)"]',
            '    answer: { fr: "=1+1 est une formule" }',
            '',
          ].join('\n'),
        );
        const out = join(dir, 'kb.csv');
        const r = run('scripts/export.ts', ['--out', out, '--kb', c.kb]);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        const csv = readFileSync(out, 'utf8');
        const rows = csv.split('\r\n').filter((l) => l.includes('formula-entry'));
        expect(rows).toEqual([
          `"'=HYPERLINK(""http://evil"",""x"")",'=1+1 est une formule,fr,formulas,formula-entry`,
          `'+33 1 23 45 67 89,'=1+1 est une formule,fr,formulas,formula-entry`,
          `'-5 % de remise ?,'=1+1 est une formule,fr,formulas,formula-entry`,
          `'@SUM(A1),'=1+1 est une formule,fr,formulas,formula-entry`,
        ]);
        // No cell of the file starts with a formula character any more.
        expect(
          parseCsv(csv)
            .flat()
            .filter((cell) => /^[=+\-@\t\r]/.test(cell)),
        ).toEqual([]);
      } finally {
        c.remove();
      }
    },
    TIMEOUT,
  );

  test(
    'npm run import never writes outside the knowledge-base folder, whatever the topics of the CSV say',
    () => {
      const work = join(dir, 'import');
      const kb = join(work, 'kb');
      mkdirSync(kb, { recursive: true });
      const csv = join(work, 'evil.csv');
      writeFileSync(
        csv,
        [
          'question,answer,language,topic',
          'Où est mon colis ?,Suivez-le dans Mes commandes.,fr,delivery',
          'Où est ma facture ?,Dans Mes commandes.,fr,../../../escaped',
          '',
        ].join('\r\n'),
      );
      const r = run('scripts/import.ts', [csv, '--out', join(kb, 'imported.yaml')]);
      // The topic is refused by the knowledge-base schema; the file name would have been a slug anyway.
      expect(r.status).toBe(1);
      expect(readdirSync(work).sort()).toEqual(['evil.csv', 'kb']);
      expect(readdirSync(kb)).toEqual([]);
      expect(existsSync(join(dir, 'escaped.yaml'))).toBe(false);
      // An --out outside the given knowledge-base folder is refused.
      const outside = run('scripts/import.ts', [csv, '--out', join(work, 'elsewhere.yaml'), '--kb', kb]);
      expect(outside.status).toBe(1);
      expect(outside.stderr).toContain(`is outside the knowledge-base folder ${kb}`);
      expect(existsSync(join(work, 'elsewhere.yaml'))).toBe(false);
    },
    TIMEOUT,
  );
});

describe('token lifetimes', () => {
  const DAY = 86_400_000;

  test('a widget token of a conversation idle longer than WIDGET_TOKEN_IDLE_DAYS: 401 TOKEN_EXPIRED', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const config = testConfig({ WIDGET_TOKEN_IDLE_DAYS: '30' });
    const core = buildCore(config, new MemoryConversationStore(), undefined, undefined, () => new Date(now));
    const widget = createWidgetChannel({ engine: core.engine, allowedOrigins: [], streams: streamSettings() });
    const http = createHttpApp({
      log: pino({ level: 'silent' }),
      maxBodyBytes: 16384,
      publicDir: join(ROOT, 'public'),
      health: () => ({}),
      channels: [widget],
    });
    const l = await listenOnLoopback(http);
    try {
      const conv = (await (
        await fetch(`${l.base}/api/conversations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"lang":"fr"}',
        })
      ).json()) as { conversationId: string; token: string };
      const auth = { authorization: `Bearer ${conv.token}`, 'content-type': 'application/json' };
      const say = () =>
        fetch(`${l.base}/api/conversations/${conv.conversationId}/messages`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ text: 'Quelle est la durée de la garantie ?' }),
        });
      const read = () => fetch(`${l.base}/api/conversations/${conv.conversationId}/messages`, { headers: auth });
      expect((await say()).status).toBe(200);
      now += 29 * DAY; // activity within the limit keeps the token alive
      expect((await say()).status).toBe(200);
      now += 29 * DAY;
      expect((await read()).status).toBe(200);
      now += 2 * DAY; // 31 days since the last message
      for (const res of [await read(), await say()]) {
        expect(res.status).toBe(401);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('TOKEN_EXPIRED');
        expect(body.error.message).toContain('start a new conversation');
      }
      const stream = await fetch(
        `${l.base}/api/conversations/${conv.conversationId}/events?token=${encodeURIComponent(conv.token)}`,
      );
      expect(stream.status).toBe(401);
    } finally {
      await l.close();
    }
  });

  test('Direct Line: refreshes carry the first issue time; past DIRECTLINE_TOKEN_MAX_HOURS no refresh', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const config = testConfig();
    const core = buildCore(config, new MemoryConversationStore(), undefined, undefined, () => new Date(now));
    const tokens = new DirectLineTokens('k'.repeat(40), { now: () => now, maxLifetimeSeconds: 24 * 3600 });
    const dl = createDirectLine({
      engine: core.engine,
      tokens,
      defaultLang: 'fr',
      streams: streamSettings(),
      demoPage: join(ROOT, 'public', 'webchat.html'),
      webchatBundle: join(ROOT, 'node_modules', 'botframework-webchat', 'dist', 'webchat.js'),
    });
    const http = createHttpApp({
      log: pino({ level: 'silent' }),
      maxBodyBytes: 16384,
      publicDir: join(ROOT, 'public'),
      health: () => ({}),
      channels: [dl],
    });
    const l = await listenOnLoopback(http);
    try {
      const start = (await (
        await fetch(`${l.base}/v3/directline/conversations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).json()) as { token: string };
      let token = start.token;
      const refresh = () =>
        fetch(`${l.base}/v3/directline/tokens/refresh`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        });
      // Refreshed every 50 minutes, as Web Chat does: 28 refreshes reach 23 h 20 min.
      for (let i = 0; i < 28; i++) {
        now += 50 * 60_000;
        const res = await refresh();
        expect(res.status).toBe(200);
        const body = (await res.json()) as { token: string; expires_in: number };
        token = body.token;
        if (i === 27) expect(body.expires_in).toBe(40 * 60); // capped at 24 h after the first token
      }
      now += 40 * 60_000; // exactly 24 h
      const res = await refresh();
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('TOKEN_LIFETIME_EXCEEDED');
    } finally {
      await l.close();
    }
  });
});

describe('agent events: webhook-id cap', () => {
  let s: StartedApp;
  beforeAll(async () => {
    s = await startApp();
  });
  afterAll(() => s.close());

  const send = (id: string, body: string) => {
    const at = new Date();
    return fetch(`${s.base}/api/agent/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(s.config.handoff.agentSecret).sign(id, at, body),
      },
      body,
    });
  };

  test('a signed event with a webhook-id over 256 characters: 400 INVALID_WEBHOOK_ID, nothing stored', async () => {
    const body = JSON.stringify({ type: 'agent.typing', conversationId: 'c1', agent: { name: 'Ana' } });
    const long = await send(`msg_${'x'.repeat(10_000)}`, body);
    expect(long.status).toBe(400);
    const err = (await long.json()) as { error: { code: string; message: string } };
    expect(err.error).toEqual({
      code: 'INVALID_WEBHOOK_ID',
      message: 'webhook-id is 10004 characters long (at most 256)',
    });
    expect(await s.app.store.rememberInbound(`msg_${'x'.repeat(10_000)}`, new Date())).toBe(true);
    // 256 characters passes the cap (and reaches the engine: this conversation does not exist).
    expect((await send(`msg_${'y'.repeat(252)}`, body)).status).toBe(404);
  });
});
