/**
 * Published content shared by several instances through the database: the scenario run on SQLite (one file, two
 * app instances in this process) and on PostgreSQL. Each instance has its own copy of the content folders, as
 * separate machines would.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startApp, type StartedApp } from '../support/app';
import type { TestEnv } from '../support/config';

const ROOT = resolve(__dirname, '..', '..');
export const TOKEN = 'content-admin-token-0123456789';
const ORIGINAL = readFileSync(join(ROOT, 'knowledge-base', 'warranty.yaml'), 'utf8');
const ANSWER = /en: "(All our products come with a 2-year legal warranty[^"]*)"/.exec(ORIGINAL)![1]!;

export interface Instance {
  s: StartedApp;
  kbDir: string;
  stop(): Promise<void>;
}

/** A fresh copy of the content folders (optionally with warranty.yaml's English answer replaced). */
export function contentCopy(answer?: string): { kbDir: string; dialogsDir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'savbot-content-'));
  const kbDir = join(dir, 'knowledge-base');
  cpSync(join(ROOT, 'knowledge-base'), kbDir, { recursive: true });
  cpSync(join(ROOT, 'dialogs'), join(dir, 'dialogs'), { recursive: true });
  if (answer) writeFileSync(join(kbDir, 'warranty.yaml'), ORIGINAL.replace(ANSWER, answer));
  return { kbDir, dialogsDir: join(dir, 'dialogs'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One instance on its own content folders, polling the database (KB_SYNC_INTERVAL_MS) like index.ts. */
export async function instance(
  env: TestEnv,
  answer?: string,
  shared?: ReturnType<typeof contentCopy>,
): Promise<Instance> {
  const c = shared ?? contentCopy(answer);
  const s = await startApp({
    ...env,
    KB_DIR: c.kbDir,
    DIALOGS_DIR: c.dialogsDir,
    ADMIN_TOKENS: `root:admin:${TOKEN}`,
    KB_WATCH_INTERVAL_MS: '200',
    KB_SYNC_INTERVAL_MS: '200',
  });
  const watcher = s.app.watchContentFiles();
  return {
    s,
    kbDir: c.kbDir,
    stop: async () => {
      watcher.close();
      await s.close();
      if (!shared) c.remove();
    },
  };
}

export async function admin<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/admin${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The English answer the instance serves for the warranty entry (through the editors' API: what it answers from). */
export async function answerOf(base: string): Promise<string> {
  const { entry } = await admin<{ entry: { answer: Record<string, string> } }>(
    base,
    'GET',
    '/entries/warranty-coverage',
  );
  return entry.answer.en!;
}

export const versionOf = async (base: string) => (await admin<{ version: string }>(base, 'GET', '/status')).version;

/** Poll until `probe` returns true (instances sync on their own schedule; no timing is asserted). */
export async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await probe())) {
    if (Date.now() - t0 > 20_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const ORIGINAL_ANSWER = ANSWER;

/** The whole scenario: an edit through one instance is served by the other, survives restarts, a deployment wins. */
export function sharedContentScenario(env: () => TestEnv): void {
  const running: Instance[] = [];
  const start = async (answer?: string, shared?: ReturnType<typeof contentCopy>) => {
    const i = await instance(env(), answer, shared);
    running.push(i);
    return i;
  };
  const folders: ReturnType<typeof contentCopy>[] = [];
  afterAll(async () => {
    await Promise.all(running.map((i) => i.stop()));
    for (const f of folders) f.remove();
  });

  test('an edit through one instance is served by the other, and written to its files', async () => {
    const a = await start();
    const b = await start();
    expect(await answerOf(b.s.base)).toBe(ORIGINAL_ANSWER);
    const edited = 'Edited on instance A: two years of warranty.';
    const { version } = await admin<{ version: string }>(a.s.base, 'PUT', '/entries/warranty-coverage', {
      lang: 'en',
      answer: edited,
    });
    await until(async () => (await versionOf(b.s.base)) === version, 'instance B to serve the edit');
    expect(await answerOf(b.s.base)).toBe(edited);
    // B's own files now hold the edit (a restart without the database would still serve it).
    await until(async () => readFileSync(join(b.kbDir, 'warranty.yaml'), 'utf8').includes(edited), "B's files");
    // B's disk watcher does not publish its files back as a new version.
    const versions = await admin<{ versions: { version: string; action: string }[] }>(b.s.base, 'GET', '/versions');
    expect(versions.versions[0]).toMatchObject({ version, action: 'update' });
  });

  test('a restarted instance with the old files serves the newest published version', async () => {
    const [a] = running;
    const version = await versionOf(a!.s.base);
    const c = await start();
    expect(await versionOf(c.s.base)).toBe(version);
    expect(await answerOf(c.s.base)).toMatch(/^Edited on instance A/);
  });

  test('a deployment with new files publishes them, and the other instances follow; a rollback too', async () => {
    const [a] = running;
    const before = await versionOf(a!.s.base);
    const deployed = 'Deployed with new files: two years of warranty.';
    const d = await start(deployed);
    expect(await answerOf(d.s.base)).toBe(deployed);
    const version = await versionOf(d.s.base);
    expect(version).not.toBe(before);
    await until(async () => (await versionOf(a!.s.base)) === version, 'instance A to serve the deployment');
    expect(await answerOf(a!.s.base)).toBe(deployed);
    // A file changed on disk on one instance is published to all (the newest publish wins).
    const onDisk = 'Changed on the disk of instance A.';
    const file = join(a!.kbDir, 'warranty.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(deployed, onDisk));
    await until(async () => (await answerOf(d.s.base)) === onDisk, 'instance D to serve the disk change of A');
    await admin(d.s.base, 'POST', `/versions/${before}/rollback`, {});
    await until(async () => (await versionOf(a!.s.base)) === before, 'instance A to serve the rollback');
    expect(await answerOf(a!.s.base)).toMatch(/^Edited on instance A/);
  });

  test('two instances sharing one folder: an edit is one version, not published back from the disk', async () => {
    const folder = contentCopy('Shared folder, first answer.');
    folders.push(folder);
    const a = await start(undefined, folder);
    const b = await start(undefined, folder);
    const edited = 'Shared folder, edited through A.';
    const { version } = await admin<{ version: string }>(a.s.base, 'PUT', '/entries/warranty-coverage', {
      lang: 'en',
      answer: edited,
    });
    await until(async () => (await answerOf(b.s.base)) === edited, 'instance B to serve the edit');
    // Both watchers have seen the file by now (their interval is 200 ms): neither stored it again.
    await new Promise((r) => setTimeout(r, 1000));
    const versions = await admin<{ versions: { version: string; action: string }[] }>(a.s.base, 'GET', '/versions');
    expect(versions.versions.filter((v) => v.version === version).map((v) => v.action)).toStrictEqual(['update']);
    const audit = await admin<{ entries: { action: string; version: string }[] }>(a.s.base, 'GET', '/audit');
    expect(audit.entries.filter((e) => e.version === version).map((e) => e.action)).toStrictEqual(['update']);
  });
}
