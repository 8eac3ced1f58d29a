/**
 * npm run bench:botframework [-- --messages 300] — message round trips through POST /api/messages (Teams-shaped
 * activities, replies posted to a fake Bot Connector on loopback) and through the widget API, same run, same app
 * (temp SQLite file). Prints median and p99 in ms for each and the ratio; the first 50 of each are warm-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import express from 'express';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';

const ROOT = resolve(__dirname, '..');
const TEXTS = [
  'où est ma commande',
  'délai de livraison',
  'garantie lave-linge',
  'comment retourner un produit',
  'merci',
];

async function listen(app: {
  listen(port: number, host: string): Server;
}): Promise<{ base: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

function stats(times: number[]): { p50: number; p99: number } {
  const s = times.slice(50).sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(s.length * q))]! * 10) / 10;
  return { p50: at(0.5), p99: at(0.99) };
}

/** `count` widget conversations (id and token each). */
async function openConversations(base: string, count: number): Promise<{ conversationId: string; token: string }[]> {
  const convs: { conversationId: string; token: string }[] = [];
  for (let k = 0; k < count; k++)
    convs.push(
      (await (
        await fetch(`${base}/api/conversations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).json()) as { conversationId: string; token: string },
    );
  return convs;
}

/** `n` round trips on each channel, interleaved so that both see the same machine load; times in ms. */
async function roundTrips(
  base: string,
  connectorBase: string,
  n: number,
): Promise<{ teams: number[]; widget: number[] }> {
  const convs = await openConversations(base, 20);
  const teams: number[] = [];
  const widget: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify({
      type: 'message',
      id: `m${i}`,
      channelId: 'msteams',
      serviceUrl: `${connectorBase}/`,
      from: { id: `29:user-${i % 20}` },
      recipient: { id: '28:bot', name: 'SAV Bot' },
      conversation: { id: `a:1Xb-bench-${i % 20}`, conversationType: 'personal' },
      locale: 'fr-FR',
      text: TEXTS[i % TEXTS.length],
    });
    let t0 = performance.now();
    await (
      await fetch(`${base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    ).text();
    teams.push(performance.now() - t0);
    const c = convs[i % 20]!;
    t0 = performance.now();
    await (
      await fetch(`${base}/api/conversations/${c.conversationId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
        body: JSON.stringify({ text: TEXTS[i % TEXTS.length] }),
      })
    ).text();
    widget.push(performance.now() - t0);
  }
  return { teams, widget };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '300' } } });
  const n = Math.max(60, Number(values.messages));
  const dir = mkdtempSync(join(tmpdir(), 'savbot-bench-bf-'));
  let posted = 0;
  const fake = express();
  fake.use(express.json());
  fake.post(/.*/, (_req, res) => {
    posted++;
    res.json({ id: `a${posted}` });
  });
  const connector = await listen(fake);
  const app = await buildApp(
    loadConfig({
      LOG_LEVEL: 'silent',
      KB_DIR: join(ROOT, 'knowledge-base'),
      DIALOGS_DIR: join(ROOT, 'dialogs'),
      SQLITE_FILE: join(dir, 'bench.db'),
    }),
  );
  const server = await listen(app.http);
  try {
    const { teams, widget } = await roundTrips(server.base, connector.base, n);
    const t = stats(teams);
    const w = stats(widget);
    console.log(
      `Bot Framework (Teams activity, typing + reply posted to the connector): median ${t.p50} ms, p99 ${t.p99} ms (${posted} activities posted)`,
    );
    console.log(
      `widget API:                                                           median ${w.p50} ms, p99 ${w.p99} ms`,
    );
    console.log(`ratio (median): ${(t.p50 / w.p50).toFixed(1)}x`);
  } finally {
    await server.close();
    await app.gateway.stop();
    await app.store.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
