/**
 * HAProxy for `npm run cluster`, `npm run bench:cluster` and the cluster test: Debian's haproxy (installed by
 * `npm run test:setup` when missing, as root with apt-get), the repository's deploy/haproxy.cfg filled with the
 * listening address and the instances, run in the foreground and stopped with its owner.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const HAPROXY = '/usr/sbin/haproxy';
const TEMPLATE = resolve(__dirname, '..', 'deploy', 'haproxy.cfg');

export const haproxyInstalled = () => existsSync(HAPROXY);

/** Install Debian's haproxy when it is missing (root with apt-get), or throw naming the command to run. */
export function ensureHaproxy(): void {
  if (haproxyInstalled()) return;
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0)
    throw new Error(`HAProxy is missing (${HAPROXY}) and there is no apt-get here: install HAProxy 2.6 or later.`);
  if (process.getuid?.() !== 0)
    throw new Error('HAProxy is missing: run `sudo apt-get install -y haproxy`, then again.');
  process.stdout.write("HAProxy is missing (cluster test and scripts): installing Debian's haproxy.\n");
  for (const args of [['update'], ['install', '-y', 'haproxy']]) {
    const r = spawnSync('apt-get', args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0)
      throw new Error(`apt-get ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}).`);
  }
  if (!haproxyInstalled()) throw new Error(`apt-get installed haproxy but ${HAPROXY} is still missing.`);
}

/** deploy/haproxy.cfg with `bind` (host:port) and one checked server line per instance port. */
export function haproxyConfig(bind: string, instancePorts: number[]): string {
  const servers = instancePorts.map((p, i) => `    server i${i + 1} 127.0.0.1:${p} check`).join('\n');
  return readFileSync(TEMPLATE, 'utf8').replace('{{BIND}}', bind).replace('{{SERVERS}}', servers);
}

export interface Balancer {
  child: ChildProcess;
  base: string;
  stop(): Promise<void>;
}

/** Run HAProxy on 127.0.0.1:`port` in front of the instances; resolves once it accepts connections. */
export async function startHaproxy(port: number, instancePorts: number[]): Promise<Balancer> {
  ensureHaproxy();
  const dir = mkdtempSync(join(tmpdir(), 'savbot-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, haproxyConfig(`127.0.0.1:${port}`, instancePorts));
  const check = spawnSync(HAPROXY, ['-c', '-q', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`HAProxy refuses ${file}:\n${check.stdout}${check.stderr}`);
  const child = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`HAProxy exited with ${child.exitCode}:\n${err}`);
    if (await accepts(port)) break;
    if (i > 100) throw new Error(`HAProxy does not listen on 127.0.0.1:${port}:\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null || child.signalCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGTERM');
      }),
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), ok(true)));
    s.once('error', () => ok(false));
  });
}

/** A free loopback port (to give HAProxy, which needs one up front). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => ok(port));
    });
  });
}
