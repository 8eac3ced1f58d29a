/**
 * Hardening, over real loopback servers: the back-office connector (no redirects, a size cap, invalid data is a
 * failed lookup) through real dialog turns over HTTP; a pathological message at handoff while /health answers;
 * development secrets random per installation; HOST's default; the Bot Framework serviceUrl allow list.
 */
import { spawn } from 'node:child_process';
import { createSign, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { MsalTokenProvider } from '@microsoft/agents-hosting';
import express from 'express';
import ts from 'typescript';
import { loadConfig } from '../../src/config';
import { DIALOG_MESSAGES } from '../../src/dialogs/messages';
import { loadDialogFiles } from '../../src/dialogs/loader';
import { DialogRunner } from '../../src/dialogs/runner';
import { formatIssue } from '../../src/domain/errors';
import { startApp, type StartedApp } from '../support/app';
import { ROOT, systemEnv } from '../support/config';
import { listenOnLoopback, startBotProcess, stopProcess } from '../support/processes';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

interface Turn {
  status: number;
  replies: { text: string; suggestions?: { value: string }[]; source: { kind: string; id?: string } }[];
}

/** A fresh widget conversation and its token. */
async function conversation(base: string): Promise<{ id: string; token: string }> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const body = (await res.json()) as { conversationId: string; token: string };
  return { id: body.conversationId, token: body.token };
}

async function say(base: string, c: { id: string; token: string }, text: string | { action: string }): Promise<Turn> {
  const res = await fetch(`${base}/api/conversations/${c.id}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
    body: JSON.stringify(typeof text === 'string' ? { text } : text),
  });
  return { status: res.status, replies: res.ok ? ((await res.json()) as Turn).replies : [] };
}

const apologyWithPerson = {
  text: DIALOG_MESSAGES.fr.lookupFailed,
  suggestions: [expect.objectContaining({ value: 'handoff' })],
};

describe('back office over HTTP: redirects, size cap, invalid data', () => {
  const BO_TOKEN = `bo-${randomBytes(12).toString('hex')}`;
  const seen: { path: string; authorization?: string }[] = [];
  const internalHits: { path: string; authorization?: string }[] = [];
  let internal: Awaited<ReturnType<typeof listenOnLoopback>>;
  let backoffice: Awaited<ReturnType<typeof listenOnLoopback>>;
  let app: StartedApp;
  const order = (n: string, extra: object = {}) => ({
    orderNumber: n,
    status: 'preparing',
    items: 'Lave-linge Volta WM-814',
    carrier: 'Volta Livraison',
    expectedDate: '2026-11-29',
    ...extra,
  });

  beforeAll(async () => {
    const inside = express();
    inside.use((req, res) => {
      internalHits.push({
        path: req.path,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      });
      res.json(order('MV-1000001', { items: 'INTERNAL SECRET ANSWER' }));
    });
    internal = await listenOnLoopback(inside);
    const bo = express();
    bo.use((req, _res, next) => {
      seen.push({ path: req.path, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      next();
    });
    bo.get('/orders/MV-1000001', (_req, res) => res.redirect(302, `${internal.base}/admin/orders`));
    // Over the 256 KB default, with a Content-Length, and streamed without one.
    bo.get('/orders/MV-1000002', (_req, res) => res.json(order('MV-1000002', { note: 'x'.repeat(400_000) })));
    bo.get('/orders/MV-1000003', (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.write(`{"orderNumber":"MV-1000003","status":"preparing","note":"`);
      for (let i = 0; i < 100; i++) res.write('y'.repeat(10_000));
      res.end('"}');
    });
    bo.get('/orders/MV-1000004', (_req, res) => res.json(order('MV-1000004', { expectedDate: '2026-13-45' })));
    bo.get('/orders/MV-1000005', (_req, res) => res.type('text/html').send('<html>maintenance</html>'));
    bo.get('/orders/MV-1000006', (_req, res) => res.json(order('MV-1000006', { expectedDate: { day: 29 } })));
    bo.get('/orders/MV-1000009', (_req, res) => res.json(order('MV-1000009')));
    backoffice = await listenOnLoopback(bo);
    app = await startApp({ BACKOFFICE_URL: backoffice.base, BACKOFFICE_TOKEN: BO_TOKEN, BACKOFFICE_RETRIES: '0' });
  });
  afterAll(async () => {
    await app?.close();
    await backoffice?.close();
    await internal?.close();
  });

  const ask = async (n: string) => say(app.base, await conversation(app.base), `où en est ma commande ${n} ?`);

  test('a valid answer is shown (the harness reaches the back office, with the token)', async () => {
    const t = await ask('MV-1000009');
    expect(t.status).toBe(200);
    expect(t.replies.map((r) => r.text).join(' ')).toContain('Lave-linge Volta WM-814');
    expect(seen).toContainEqual({ path: '/orders/MV-1000009', authorization: `Bearer ${BO_TOKEN}` });
  });

  test('a 302 to an internal address is not followed: apology and a person offered, the target never hit', async () => {
    const t = await ask('MV-1000001');
    expect(t.status).toBe(200);
    expect(t.replies).toContainEqual(expect.objectContaining(apologyWithPerson));
    expect(JSON.stringify(t.replies)).not.toContain('INTERNAL SECRET ANSWER');
    expect(seen.map((s) => s.path)).toContain('/orders/MV-1000001');
    expect(internalHits).toEqual([]);
  });

  test('an oversized answer (declared or streamed) is refused: apology and a person offered', async () => {
    for (const n of ['MV-1000002', 'MV-1000003']) {
      const t = await ask(n);
      expect(t.status).toBe(200);
      expect(t.replies).toContainEqual(expect.objectContaining(apologyWithPerson));
      expect(JSON.stringify(t.replies)).not.toContain('yyyy');
    }
  });

  test('an impossible date, HTML or a wrong type: apology and a person offered, never a 500', async () => {
    for (const n of ['MV-1000004', 'MV-1000005', 'MV-1000006']) {
      const t = await ask(n);
      expect(t.status).toBe(200);
      expect(t.replies).toContainEqual(expect.objectContaining(apologyWithPerson));
    }
  });
});

test('the dialog runner: whatever the connector, a record with an impossible date is a failed lookup, not a crash', async () => {
  const dir = join(ROOT, 'dialogs');
  const { set } = loadDialogFiles(
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => ({ file: f, source: readFileSync(join(dir, f), 'utf8') })),
  );
  const record = { orderNumber: 'MV-4821937', status: 'preparing', items: 'Lave-linge', carrier: 'Volta Livraison' };
  const runner = (expectedDate: string) =>
    new DialogRunner(set!, { lookup: () => Promise.resolve({ ...record, expectedDate }) });
  const good = await runner('2026-11-29').start('order-tracking', 'fr', 'ma commande MV-4821937');
  expect(good.replies.map((r) => r.text).join(' ')).toContain('29 novembre 2026');
  const bad = await runner('2026-13-45').start('order-tracking', 'fr', 'ma commande MV-4821937');
  expect(bad).toMatchObject({ ended: 'lookup-failed', state: null });
  expect(bad.replies).toContainEqual(expect.objectContaining(apologyWithPerson));
});

test('30 messages of 16,200 "a" then asking for a person: the handoff goes through and a concurrent /health answers', async () => {
  const app = await startApp();
  try {
    const c = await conversation(app.base);
    for (let i = 0; i < 30; i++) expect((await say(app.base, c, 'a'.repeat(16_200))).status).toBe(200);
    const [handoff, health] = await Promise.all([
      say(app.base, c, 'je veux parler à un conseiller'),
      (async () => {
        await new Promise((ok) => setImmediate(ok));
        return fetch(`${app.base}/health`);
      })(),
    ]);
    expect(health.status).toBe(200);
    expect(handoff.status).toBe(200);
    expect(handoff.replies.some((r) => r.source.kind === 'handoff')).toBe(true);
  } finally {
    await app.close();
  }
}, 60_000);

test('an editor pattern slot runs on RE2: backreferences and lookaround are file:line errors at load', () => {
  const msg = (s: string) => `{ fr: "${s} fr", ro: "${s} ro", en: "${s} en" }`;
  const file = (pattern: string) =>
    [
      'id: demo',
      `title: ${msg('Demo')}`,
      'steps:',
      '  - ask: code',
      '    type: pattern',
      `    pattern: '${pattern}'`,
      `    prompt: ${msg('prompt')}`,
      `    retry: ${msg('retry')}`,
      `    help: ${msg('help')}`,
      `  - end: ${msg('ok {code}')}`,
      '',
    ].join('\n');
  for (const bad of ['^(a)\\1$', '^a(?=b)', '(?<!x)y'])
    expect(loadDialogFiles([{ file: 'dialogs/demo.yaml', source: file(bad) }]).errors.map(formatIssue)).toEqual([
      expect.stringMatching(/^dialogs\/demo\.yaml:6:\d+: steps\[0\]\.pattern: invalid regular expression for RE2/),
    ]);
  const ok = loadDialogFiles([{ file: 'dialogs/demo.yaml', source: file('^[A-Z]{2}\\d{4}$') }]);
  expect(ok.errors).toEqual([]);
});

describe('development secrets', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = tmp('savbot-secrets-');
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const install = (dataDir: string, env: Record<string, string> = {}) =>
    loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...env }, ROOT, { devSecrets: 'install' });
  const secretsOf = (c: ReturnType<typeof loadConfig>) => [
    c.admin.users[0]!.token,
    c.directLine.tokenSecret,
    c.handoff.webhookSecret,
    c.handoff.agentSecret,
    c.desk.users[0]!.token,
  ];

  test('two fresh data folders get different secrets, in a 0600 file, reused at the next start', () => {
    const [a, b] = [fresh(), fresh()];
    const first = install(a);
    const other = install(b);
    expect(first.devSecrets).toEqual({ file: join(a, 'dev-secrets.json'), created: true });
    const [sa, sb] = [secretsOf(first), secretsOf(other)];
    for (let i = 0; i < sa.length; i++) expect(sa[i]).not.toEqual(sb[i]);
    expect(new Set([...sa, ...sb]).size).toBe(10);
    expect(statSync(join(a, 'dev-secrets.json')).mode & 0o777).toBe(0o600);
    const again = install(a);
    expect(again.devSecrets).toEqual({ file: join(a, 'dev-secrets.json'), created: false });
    expect(secretsOf(again)).toEqual(sa);
    // The default data folder is the SQLite file's.
    const c = fresh();
    expect(loadConfig({ SQLITE_FILE: join(c, 'bot.db') }, ROOT, { devSecrets: 'install' }).devSecrets?.file).toBe(
      join(c, 'dev-secrets.json'),
    );
  });

  test('a file written before the agent desk gets an agent token added, kept at the next start', () => {
    const d = fresh();
    const first = install(d);
    const file = join(d, 'dev-secrets.json');
    const { agentToken: _dropped, ...older } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    writeFileSync(file, JSON.stringify(older), { mode: 0o600 });
    const upgraded = install(d);
    expect(upgraded.desk.users[0]!.token).not.toEqual(first.desk.users[0]!.token);
    expect(upgraded.desk.users[0]!.token.length).toBeGreaterThanOrEqual(16);
    expect(secretsOf(upgraded).slice(0, 4)).toEqual(secretsOf(first).slice(0, 4));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(install(d).desk.users[0]!.token).toEqual(upgraded.desk.users[0]!.token);
  });

  test('production refuses to start without real secrets and writes no file', () => {
    const d = fresh();
    expect(() => install(d, { NODE_ENV: 'production' })).toThrow(
      /HANDOFF_WEBHOOK_SECRET and AGENT_WEBHOOK_SECRET are required[\s\S]*ADMIN_TOKENS is required[\s\S]*DIRECTLINE_TOKEN_SECRET is required[\s\S]*AGENT_TOKENS is required/,
    );
    expect(readdirSync(d)).toEqual([]);
  });

  test('tests and scripts get random secrets for the process, written nowhere', () => {
    const d = fresh();
    const c = loadConfig({ SQLITE_FILE: join(d, 'bot.db') }, ROOT);
    expect(c.devSecrets).toEqual({ created: false });
    expect(readdirSync(d)).toEqual([]);
    expect(c.admin.users[0]!.token.length).toBeGreaterThanOrEqual(32);
  });

  test('the source holds no secret: no whsec_ literal, no "change-me", no DEV_*_SECRET/TOKEN constant', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const found: string[] = [];
    for (const f of files(join(ROOT, 'src'))) {
      const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node): void => {
        const where = `${relative(ROOT, f)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
        if (
          (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) &&
          /whsec_[A-Za-z0-9+/=]{8,}|change-me/i.test(n.text)
        )
          found.push(`${where}: ${n.text}`);
        if (ts.isIdentifier(n) && /^DEV_[A-Z_]*(SECRET|TOKEN)$/.test(n.text)) found.push(`${where}: ${n.text}`);
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(found).toEqual([]);
  });

  test('npm start: the first start creates and announces them, the next reuses them; the admin token works', async () => {
    const d = fresh();
    const env = { DATA_DIR: d, SQLITE_FILE: join(d, 'bot.db'), DATABASE_URL: '' };
    let bot = await startBotProcess(env);
    try {
      const file = join(d, 'dev-secrets.json');
      const secrets = JSON.parse(readFileSync(file, 'utf8')) as { adminToken: string; agentToken: string };
      const warn = bot
        .output()
        .split('\n')
        .find((l) => l.includes('generated development secrets'));
      expect(warn).toContain(file);
      expect(JSON.parse(warn!)).toMatchObject({ level: 40 });
      const me = (token: string) =>
        fetch(`${bot.base}/api/admin/me`, { headers: { authorization: `Bearer ${token}` } });
      expect((await me(secrets.adminToken)).status).toBe(200);
      expect((await me(randomBytes(24).toString('base64url'))).status).toBe(401);
      // The agent desk's token is announced with it, and signs in at /agent.
      expect(warn).toContain(`/agent token: ${secrets.agentToken}`);
      const desk = await fetch(`${bot.base}/api/desk/me`, {
        headers: { authorization: `Bearer ${secrets.agentToken}` },
      });
      expect(desk.status).toBe(200);
      await stopProcess(bot.child, 'SIGTERM');
      bot = await startBotProcess(env);
      expect(bot.output()).toContain(`using the development secrets of ${file}`);
      expect(bot.output()).not.toContain(secrets.adminToken);
      expect((await me(secrets.adminToken)).status).toBe(200);
    } finally {
      await stopProcess(bot.child, 'SIGTERM');
    }
  }, 90_000);
});

test('npm start and npm run agent-desk with no .env share the installation secrets: handoff in, agent answer out', async () => {
  const d = tmp('savbot-desk-');
  // A free port for the desk, so that the bot can be told where to deliver before the desk starts.
  const probe = await listenOnLoopback(express());
  const deskPort = new URL(probe.base).port;
  await probe.close();
  const bot = await startBotProcess({
    DATA_DIR: d,
    SQLITE_FILE: join(d, 'bot.db'),
    HANDOFF_WEBHOOK_URL: `http://127.0.0.1:${deskPort}/webhooks`,
    DELIVERY_INTERVAL_MS: '50',
  });
  const args = ['--import', 'tsx', 'scripts/agent-desk.ts', '--port', deskPort, '--bot', bot.base, '--name', 'Marie'];
  const desk = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...systemEnv(), NO_COLOR: '1', DATA_DIR: d },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  desk.stdout.on('data', (x) => (out += x));
  desk.stderr.on('data', (x) => (out += x));
  const until = async (what: RegExp) => {
    for (let i = 0; i < 600 && !what.test(out); i++) await new Promise((ok) => setTimeout(ok, 50));
    expect(out).toMatch(what);
  };
  try {
    await until(/The bot is up at/);
    expect(out).toContain(`Using the development secrets of ${join(d, 'dev-secrets.json')}`);
    const c = await conversation(bot.base);
    await say(bot.base, c, 'je veux parler à un conseiller');
    await until(/new handoff/);
    desk.stdin.write('/join 1\n');
    desk.stdin.write('1 Bonjour, Marie du service client.\n');
    const transcript = async () => {
      const res = await fetch(`${bot.base}/api/conversations/${c.id}/messages`, {
        headers: { authorization: `Bearer ${c.token}` },
      });
      return JSON.stringify(await res.json());
    };
    let seen = '';
    for (let i = 0; i < 200 && !seen.includes('Marie du service client'); i++) {
      await new Promise((ok) => setTimeout(ok, 50));
      seen = await transcript();
    }
    expect(seen).toContain('Bonjour, Marie du service client.');
    expect(out).not.toMatch(/rejected|401/);
  } finally {
    desk.kill('SIGTERM');
    await stopProcess(bot.child, 'SIGTERM');
    rmSync(d, { recursive: true, force: true });
  }
}, 90_000);

test('HOST: 127.0.0.1 by default, 0.0.0.0 in production, an explicit value kept', () => {
  expect(loadConfig({}, ROOT).host).toBe('127.0.0.1');
  expect(loadConfig({ HOST: '::' }, ROOT).host).toBe('::');
  const production = {
    NODE_ENV: 'production',
    HANDOFF_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
    AGENT_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
    ADMIN_TOKENS: `alice:admin:${randomBytes(16).toString('hex')}`,
    AGENT_TOKENS: `Marie:${randomBytes(16).toString('hex')}`,
    DIRECTLINE_TOKEN_SECRET: randomBytes(32).toString('hex'),
    MICROSOFT_APP_ID: '6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e',
    MICROSOFT_APP_PASSWORD: 'client~secret',
  };
  expect(loadConfig(production, ROOT).host).toBe('0.0.0.0');
  expect(loadConfig(production, ROOT).devSecrets).toBeUndefined();
});

/** A loopback listener standing for a Bot Connector: what it receives. */
async function listener() {
  const received: string[] = [];
  const app = express();
  app.use((req, res) => {
    received.push(`${req.method} ${req.path}`);
    res.status(200).json({ id: `reply-${received.length}` });
  });
  return { received, ...(await listenOnLoopback(app)) };
}

const teamsMessage = (serviceUrl: string) => ({
  type: 'message',
  id: `1700${randomBytes(4).toString('hex')}`,
  channelId: 'msteams',
  serviceUrl,
  timestamp: new Date().toISOString(),
  from: { id: `29:1${randomBytes(6).toString('hex')}`, name: 'Client' },
  recipient: { id: '28:6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e', name: 'SAV Bot' },
  conversation: { id: `a:1${randomUUID()}`, conversationType: 'personal' },
  locale: 'fr-FR',
  text: 'bonjour',
});

describe('Bot Framework serviceUrl allow list (Emulator mode, anonymous)', () => {
  let app: StartedApp;
  let other: Awaited<ReturnType<typeof listener>>;
  beforeAll(async () => {
    other = await listener();
    app = await startApp({});
  });
  afterAll(async () => {
    await app?.close();
    await other?.close();
  });
  const post = (activity: object) =>
    fetch(`${app.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });

  test('a host outside the list, or loopback spelled otherwise, is refused with 403 and nothing is posted', async () => {
    const port = new URL(other.base).port;
    for (const serviceUrl of [
      'https://attacker.example/',
      `http://user:pw@127.0.0.1:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      'https://smba.trafficmanager.net.attacker.example/',
    ]) {
      const res = await post(teamsMessage(serviceUrl));
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SERVICE_URL_NOT_ALLOWED');
    }
    expect(other.received).toEqual([]);
  });
});

/** Entra's signing keys on loopback (the SDK fetches them from `authorityEndpoint`), and a token signer. */
async function entraKeys(tenant: string) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `test-${randomBytes(4).toString('hex')}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const keys = express();
  keys.get(`/${tenant}/discovery/v2.0/keys`, (_req, res) => res.json({ keys: [jwk] }));
  const sign = (claims: object, key: KeyObject = privateKey) => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64(claims)}`;
    return `${input}.${createSign('RSA-SHA256').update(input).sign(key).toString('base64url')}`;
  };
  return { ...(await listenOnLoopback(keys)), sign };
}

describe('Bot Framework serviceUrl allow list (with an identity)', () => {
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const appId = '6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e';
  let app: StartedApp;
  let allowed: Awaited<ReturnType<typeof listener>>;
  let refused: Awaited<ReturnType<typeof listener>>;
  let keys: Awaited<ReturnType<typeof entraKeys>>;
  let outbound: jest.SpyInstance;

  beforeAll(async () => {
    [allowed, refused, keys] = await Promise.all([listener(), listener(), entraKeys(TENANT)]);
    const saved = { TEST_MODE: process.env.TEST_MODE, authorityEndpoint: process.env.authorityEndpoint };
    process.env.TEST_MODE = 'true';
    process.env.authorityEndpoint = keys.base;
    try {
      app = await startApp({
        MICROSOFT_APP_ID: appId,
        MICROSOFT_APP_PASSWORD: 'not-a-real-secret',
        MICROSOFT_APP_TENANT_ID: TENANT,
        MICROSOFT_APP_TYPE: 'SingleTenant',
        BOT_SERVICE_URL_ALLOW: new URL(allowed.base).origin,
      });
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    outbound = jest.spyOn(MsalTokenProvider.prototype, 'getAccessToken').mockResolvedValue('outbound-token');
  });
  afterAll(async () => {
    outbound?.mockRestore();
    await app?.close();
    await Promise.all([allowed?.close(), refused?.close(), keys?.close()]);
  });

  /** A Teams message with a valid token for `serviceUrl` (the token names it: the SDK checks they agree). */
  const post = (serviceUrl: string) => {
    const now = Math.floor(Date.now() / 1000);
    const token = keys.sign({
      aud: appId,
      iss: `https://sts.windows.net/${TENANT}/`,
      tid: TENANT,
      iat: now - 10,
      nbf: now - 10,
      exp: now + 600,
      serviceurl: serviceUrl,
    });
    return fetch(`${app.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(teamsMessage(serviceUrl)),
    });
  };

  test('loopback is not allowed outside Emulator mode: 403 and the listener sees no request; a listed one gets the reply', async () => {
    const no = await post(`${refused.base}/amer/`);
    expect(no.status).toBe(403);
    expect(refused.received).toEqual([]);
    const yes = await post(`${allowed.base}/amer/`);
    expect(yes.status).toBe(200);
    expect(allowed.received.some((r) => r.startsWith('POST /amer/v3/conversations/'))).toBe(true);
    expect(refused.received).toEqual([]);
  });
});
