/**
 * npx tsx scripts/bench-timeouts.ts [-- --runs N] — how promptly the request timeouts end a call to a server that
 * never answers (the timings the unit tests no longer assert): the back-office HttpConnector (timeout 100 ms, one
 * retry) and the webhook DeliveryWorker (timeout 150 ms), each against a loopback server that holds every request,
 * measured in the same run as the same call to a loopback server answering at once. Prints medians and the ratio of
 * the give-up time to the configured timeouts (1.0 = exactly the timeouts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { HttpConnector } from '../src/connectors/http';
import { newConversationState } from '../src/domain/conversation';
import { DeliveryWorker } from '../src/handoff/delivery';
import { MemoryConversationStore } from '../src/storage/memory';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const RUNS = Math.max(1, Number(values.runs));
const SECRET = `whsec_${Buffer.from('bench-timeouts secret, 32 bytes!').toString('base64')}`;

async function listen(hold: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    if (hold) return; // never answers
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"orderNumber":"MV-1"}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn().catch(() => undefined);
  return performance.now() - t0;
}

async function connector(): Promise<void> {
  const timeoutMs = 100;
  const retries = 1;
  const [held, answering] = await Promise.all([listen(true), listen(false)]);
  const lookup = (url: string) =>
    new HttpConnector({ baseUrl: url, timeoutMs, retries, retryDelayMs: 5 }).lookup('order', 'MV-1');
  const gaveUp: number[] = [];
  const answered: number[] = [];
  await lookup(answering.url); // warm-up
  for (let i = 0; i < RUNS; i++) {
    gaveUp.push(await timed(() => lookup(held.url)));
    answered.push(await timed(() => lookup(answering.url)));
  }
  await Promise.all([held.close(), answering.close()]);
  const budget = (retries + 1) * timeoutMs;
  process.stdout.write(
    `HttpConnector (timeout ${timeoutMs} ms, ${retries + 1} attempts): gives up after ${median(gaveUp).toFixed(0)} ms = ` +
      `${(median(gaveUp) / budget).toFixed(2)} × the ${budget} ms of timeouts; an answered lookup ${median(answered).toFixed(1)} ms ` +
      `(give-up / answered ${(median(gaveUp) / median(answered)).toFixed(0)}×)\n`,
  );
}

async function delivery(): Promise<void> {
  const timeoutMs = 150;
  const [held, answering] = await Promise.all([listen(true), listen(false)]);
  const once = async (url: string) => {
    const store = new MemoryConversationStore();
    const s = newConversationState({ id: 'bench', channel: 'widget', at: new Date().toISOString() });
    await store.create(s);
    await store.saveTurn(s, [], { events: [{ type: 'handoff.requested', data: { queue: 'general' } }] });
    const worker = new DeliveryWorker(store, {
      url,
      secret: SECRET,
      timeoutMs,
      now: () => new Date(Date.now() + 1000),
      log: { warn: () => {}, error: () => {} },
    });
    return timed(() => worker.runOnce());
  };
  const gaveUp: number[] = [];
  const answered: number[] = [];
  await once(answering.url); // warm-up
  for (let i = 0; i < RUNS; i++) {
    gaveUp.push(await once(held.url));
    answered.push(await once(answering.url));
  }
  await Promise.all([held.close(), answering.close()]);
  process.stdout.write(
    `DeliveryWorker (timeout ${timeoutMs} ms): a run gives up after ${median(gaveUp).toFixed(0)} ms = ` +
      `${(median(gaveUp) / timeoutMs).toFixed(2)} × the timeout; a delivered run ${median(answered).toFixed(1)} ms ` +
      `(give-up / delivered ${(median(gaveUp) / median(answered)).toFixed(0)}×)\n`,
  );
}

async function main(): Promise<void> {
  process.stdout.write(`${RUNS} runs each, medians\n`);
  await connector();
  await delivery();
}

void main();
