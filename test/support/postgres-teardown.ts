import { rmSync } from 'node:fs';
import { EMBEDDED_KEY, type EmbeddedPg } from './postgres-setup';

/** jest globalTeardown of the postgres project: stop the embedded PostgreSQL if postgres-setup.ts started one. */
export default async function postgresTeardown(): Promise<void> {
  const g = globalThis as Record<symbol, unknown>;
  const embedded = g[EMBEDDED_KEY] as EmbeddedPg | undefined;
  if (!embedded) return;
  delete g[EMBEDDED_KEY];
  const { child, dir } = embedded;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
    child.kill('SIGTERM'); // the package's exit hook stops postgres (fast shutdown), then the process exits
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}
