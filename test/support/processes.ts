import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT, systemEnv, testEnv } from './config';

/**
 * Start the real server (`node --import tsx src/index.ts`: the node process itself, so that SIGKILL really kills
 * the server) with PORT=0, and resolve once it logged "bot ready" with its port. Its environment: what node needs
 * (PATH, HOME...), the test defaults and `env`; none of the app's settings from the shell.
 */
export async function startBotProcess(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const settings = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  // The server keeps its development secrets in DATA_DIR (default: the SQLite file's folder): never the project's.
  const tmp = settings.DATA_DIR || settings.SQLITE_FILE ? undefined : mkdtempSync(join(tmpdir(), 'savbot-data-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: ROOT,
    env: {
      ...systemEnv(),
      ...testEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...(tmp ? { DATA_DIR: tmp } : {}), ...settings }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (tmp) child.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}\n${err}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /"port":(\d+)/.exec(out);
      if (m && out.includes('bot ready')) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}\n${err}`));
    });
  });
  return { child, base: `http://127.0.0.1:${port}`, output: () => out };
}

/** Stop a process with `signal` and wait for it to be gone (at once if it already is). */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Listen on an ephemeral loopback port; `close` also ends open (keep-alive, event-stream) connections. */
export async function listenOnLoopback(app: {
  listen(port: number, host: string): Server;
}): Promise<{ server: Server; base: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((ok, fail) => {
    server.once('listening', ok);
    server.once('error', fail);
  });
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
