/**
 * The app under test, as index.ts runs it but in this process: built from a clean test config, listening on an
 * ephemeral loopback port, its channels attached to the server; `close()` undoes all of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app';
import { attachChannels, stopChannels } from '../../src/channels/channel';
import type { Config } from '../../src/config';
import { testConfig, type TestEnv } from './config';
import { listenOnLoopback } from './processes';

export type App = Awaited<ReturnType<typeof buildApp>>;

export interface StartedApp {
  app: App;
  config: Config;
  /** http://127.0.0.1:<port> */
  base: string;
  server: Server;
  /** Stop everything started (server and its connections, channels, store); safe to call twice. */
  close(): Promise<void>;
}

/**
 * Start the app with the test defaults plus `env` (see testConfig). Without SQLITE_FILE (and no DATABASE_URL) the
 * SQLite file goes to a temporary folder removed by `close()`.
 */
export async function startApp(env: TestEnv = {}, opts: { log?: Logger } = {}): Promise<StartedApp> {
  const tmp = env.SQLITE_FILE || env.DATABASE_URL ? undefined : mkdtempSync(join(tmpdir(), 'savbot-app-'));
  const config = testConfig(tmp ? { ...env, SQLITE_FILE: join(tmp, 'bot.db') } : env);
  const removeTmp = () => tmp && rmSync(tmp, { recursive: true, force: true });
  let app: App;
  try {
    app = await buildApp(config, opts.log);
  } catch (e) {
    removeTmp();
    throw e;
  }
  let listening: Awaited<ReturnType<typeof listenOnLoopback>>;
  let channels: { close(): void };
  try {
    listening = await listenOnLoopback(app.http);
    // What listens beside the HTTP routes (the Direct Line WebSocket stream), through the channel contract.
    channels = attachChannels(app.channels, listening.server);
  } catch (e) {
    await app.store.close();
    removeTmp();
    throw e;
  }
  let closed: Promise<void> | undefined;
  return {
    app,
    config,
    base: listening.base,
    server: listening.server,
    close: () =>
      (closed ??= (async () => {
        channels.close();
        await listening.close();
        await app.delivery.stop();
        await app.chatwootDelivery?.stop();
        await app.mail?.stop();
        await app.emailOffers?.stop();
        await stopChannels(app.channels);
        await app.streams.presence?.stop();
        await app.store.close();
        removeTmp();
      })()),
  };
}

/**
 * Run start-up steps side by side and wait for all of them, even when one fails, before failing: each step stores
 * what it started as soon as it has it, so that afterAll closes it (with Promise.all a server still starting when
 * the browser launch fails is never closed, and jest never exits).
 */
export async function startAll(...steps: (() => Promise<void>)[]): Promise<void> {
  const results = await Promise.allSettled(steps.map((step) => step()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
