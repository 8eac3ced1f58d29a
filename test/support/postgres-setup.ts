/**
 * jest globalSetup of the postgres project (run only when a storage suite is selected): use the PostgreSQL at
 * TEST_POSTGRES_URL when one answers; when nothing listens there, start an embedded one (embedded-postgres.ts) and
 * export its URL as TEST_POSTGRES_URL to the test workers. postgres-teardown.ts stops it.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { ROOT } from './config';
import { DEFAULT_PG_URL } from './postgres';

export interface EmbeddedPg {
  child: ChildProcess;
  dir: string;
}

/** Shared with postgres-teardown.ts (jest runs both in its main process). */
export const EMBEDDED_KEY = Symbol.for('savbot.test.embeddedPostgres');

/** Errors meaning "no server there" (as opposed to a server that refuses us). */
const NOTHING_THERE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'ENOENT']);

async function probe(url: string): Promise<'up' | 'nothing'> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return 'up';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code && NOTHING_THERE.has(code)) || /timeout/i.test((e as Error).message)) return 'nothing';
    throw new Error(`PostgreSQL at ${url} answers but refuses the tests: ${(e as Error).message}`, { cause: e });
  } finally {
    await c.end().catch(() => undefined);
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/** initdb and postgres refuse root: as root, the server runs as `nobody` (no user is created on the machine). */
function unprivileged(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g'), name: 'nobody' };
}

/** Whether `user` can read every file (and so traverse the folders above them): the checkout may be under /root. */
function readableBy(user: { uid: number; gid: number }, files: string[]): boolean {
  return files.every((f) => spawnSync('test', ['-r', f], { uid: user.uid, gid: user.gid }).status === 0);
}

async function startEmbedded(): Promise<{ url: string; embedded: EmbeddedPg; as: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-pg-'));
  const data = join(dir, 'data');
  const user = unprivileged();
  mkdirSync(data, { mode: 0o700 });
  if (user) for (const d of [dir, data]) chownSync(d, user.uid, user.gid);
  // tsx by absolute URL: `--import tsx` would be looked up from the child's working directory (the temp dir).
  const tsx = require.resolve('tsx');
  const script = join(ROOT, 'test', 'support', 'embedded-postgres.ts');
  if (user && !readableBy(user, [script, tsx])) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `the embedded PostgreSQL runs as ${user.name} (initdb and postgres refuse root), who cannot read ${ROOT}: put the checkout where other users can read it (not under /root), or start a PostgreSQL at TEST_POSTGRES_URL`,
    );
  }
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', pathToFileURL(tsx).href, script, data, `${port}`], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', TMPDIR: dir, HOME: dir },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  try {
    const url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`not ready after 120 s\n${err}`)), 120_000);
      child.stdout!.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          ok((JSON.parse(line) as { url: string }).url);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`exited with ${code}\n${err}`));
      });
    });
    return { url, embedded: { child, dir }, as: user ? user.name : 'the current user' };
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start the embedded PostgreSQL: ${(e as Error).message}`, { cause: e });
  }
}

export default async function postgresSetup(): Promise<void> {
  const url = process.env.TEST_POSTGRES_URL || DEFAULT_PG_URL;
  if ((await probe(url)) === 'up') return;
  const t0 = Date.now();
  const { url: embeddedUrl, embedded, as } = await startEmbedded();
  (globalThis as Record<symbol, unknown>)[EMBEDDED_KEY] = embedded;
  process.env.TEST_POSTGRES_URL = embeddedUrl;
  process.stderr.write(
    `\nNo PostgreSQL answers at ${url}: the storage tests use an embedded PostgreSQL on ${new URL(embeddedUrl).host} (run as ${as}, started in ${((Date.now() - t0) / 1000).toFixed(1)} s).\n`,
  );
}
