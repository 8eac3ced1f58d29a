/**
 * npm run cluster -- --instances N [--port P]: N instances of the bot (`src/index.ts`, as `npm start` runs it) on
 * one PostgreSQL (DATABASE_URL, required: SQLite is one process's file) behind HAProxy on 127.0.0.1:P (default
 * 8080), with health checks on /ready. The instances listen on free loopback ports, trust the balancer's
 * X-Forwarded-For (TRUST_PROXY=loopback) and share the development secrets of DATA_DIR. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { loadDotEnv } from '../src/config';
import { freePort, startHaproxy, type Balancer } from './haproxy';

const ROOT = resolve(__dirname, '..');
const say = (line: string) => process.stdout.write(`${line}\n`);

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** --instances N (1-32) and --port P (1-65535), naming the value at fault. */
export function parseClusterArgs(argv: string[]): { instances: number; port: number } {
  const out = { instances: 0, port: 8080 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (flag !== '--instances' && flag !== '--port')
      throw new Error(`unknown argument "${flag}" (expected --instances N [--port P])`);
    const n = Number(value);
    const [min, max] = flag === '--instances' ? [1, 32] : [1, 65535];
    if (value === undefined || !Number.isInteger(n) || n < min || n > max)
      throw new Error(`${flag} "${value ?? ''}" is not a whole number from ${min} to ${max}`);
    if (flag === '--instances') out.instances = n;
    else out.port = n;
    i++;
  }
  if (!out.instances) throw new Error('missing --instances N (how many instances to start, e.g. --instances 3)');
  return out;
}

/** One instance on loopback `port`, its output prefixed with its name; resolves once GET /health answers. */
async function startInstance(name: string, port: number, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: ROOT,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', TRUST_PROXY: env.TRUST_PROXY || 'loopback' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (stream: NodeJS.WriteStream) => (d: Buffer) =>
    stream.write(
      d
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => `[${name}] ${l}\n`)
        .join(''),
    );
  child.stdout!.on('data', prefix(process.stdout));
  child.stderr!.on('data', prefix(process.stderr));
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before it was ready`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not answer on 127.0.0.1:${port} within 60 s`);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseClusterArgs(process.argv.slice(2));
    loadDotEnv();
  } catch (e) {
    fail((e as Error).message);
  }
  if (!/^postgres(ql)?:\/\//i.test(process.env.DATABASE_URL ?? ''))
    fail(
      'npm run cluster needs DATABASE_URL=postgres://... (every instance uses the same PostgreSQL; SQLite is one process): set it in .env or the shell',
    );
  const children: ChildProcess[] = [];
  let balancer: Balancer | undefined;
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping the balancer and the instances');
    for (const c of children) c.kill('SIGTERM');
    void Promise.all([
      balancer?.stop(),
      ...children.map((c) => new Promise((ok) => (c.exitCode !== null ? ok(0) : c.once('exit', ok)))),
    ]).finally(() => process.exit(code));
    setTimeout(() => process.exit(code), 6000).unref();
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  try {
    // The first one alone: it migrates the database and creates DATA_DIR's development secrets the others read.
    const ports: number[] = [];
    for (let i = 0; i < args.instances; i++) ports.push(await freePort());
    children.push(await startInstance('i1', ports[0]!, process.env));
    children.push(...(await Promise.all(ports.slice(1).map((p, i) => startInstance(`i${i + 2}`, p, process.env)))));
    balancer = await startHaproxy(args.port, ports);
    balancer.child.once('exit', (code) => !stopping && (say(`HAProxy exited (${code})`), stop(1)));
    for (const [i, c] of children.entries())
      c.once(
        'exit',
        (code, signal) => !stopping && say(`i${i + 1} exited (${code ?? signal}); HAProxy routes around it`),
      );
    say(`\n${args.instances} instances (127.0.0.1:${ports.join(', 127.0.0.1:')}) on one PostgreSQL behind HAProxy:`);
    say(`  listening on ${balancer.base}  (widget, Direct Line, /api/messages, /admin; Ctrl-C stops everything)\n`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    stop(1);
  }
}

if (require.main === module) void main();
