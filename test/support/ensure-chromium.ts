/**
 * `npm test`'s first step: the browser tests need Debian's Chromium. When it is missing, install it (as root with
 * apt-get: `apt-get update`, then `apt-get install -y chromium`, progress shown), or stop at once naming the one
 * command to run. The cluster test, `npm run cluster` and `npm run bench:cluster` need Debian's haproxy: installed
 * the same way (scripts/haproxy.ts). PostgreSQL needs no step: the storage tests start an embedded one when none answers.
 */
import { spawnSync } from 'node:child_process';
import { ensureHaproxy } from '../../scripts/haproxy';
import { CHROMIUM, CHROMIUM_MISSING, chromiumInstalled } from './chromium';

function fail(message: string): never {
  process.stderr.write(`\n${message}\n\n`);
  process.exit(1);
}

function hasAptGet(): boolean {
  return spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

function apt(args: string[]): void {
  process.stdout.write(`\n== apt-get ${args.join(' ')}\n`);
  const r = spawnSync('apt-get', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) fail(`apt-get ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}).`);
}

function main(): void {
  try {
    ensureHaproxy();
  } catch (e) {
    fail((e as Error).message);
  }
  if (chromiumInstalled()) return;
  // A CHROMIUM_PATH of one's own is not fixed by installing Debian's.
  if (CHROMIUM !== '/usr/bin/chromium') fail(CHROMIUM_MISSING);
  if (!hasAptGet())
    fail('Chromium is missing and there is no apt-get here: install Chromium, then set CHROMIUM_PATH to it.');
  if (process.getuid?.() !== 0)
    fail('Chromium is missing: run `sudo apt-get install -y chromium`, then npm test again.');
  process.stdout.write("Chromium is missing (needed by the browser tests): installing Debian's chromium.\n");
  apt(['update']);
  apt(['install', '-y', 'chromium']);
  if (!chromiumInstalled()) fail(`apt-get installed chromium but ${CHROMIUM} is still missing.`);
  process.stdout.write(`== ${CHROMIUM} installed\n\n`);
}

main();
