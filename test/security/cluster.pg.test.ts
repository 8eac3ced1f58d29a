/**
 * Several instances on one PostgreSQL, in one process: two cores (engine + store each, like two instances) on a
 * fresh database. What the instances must do once between them: a Teams customer's queue update (the throttle is
 * shared through the database) and a conversation's welcome; what crosses through the change feed: queue moves
 * made on the other instance.
 */
import { join, resolve } from 'node:path';
import express from 'express';
import { buildCore, type Core } from '../../src/app';
import { BotFrameworkGateway } from '../../src/channels/botframework/gateway';
import { botframeworkRoutes } from '../../src/channels/botframework/routes';
import { loadConfig } from '../../src/config';
import { SqlConversationStore } from '../../src/storage/sql/store';
import { freshPgDatabase } from '../support/postgres';
import { listenOnLoopback } from '../support/processes';
import { until } from '../support/cluster';

const ROOT = resolve(__dirname, '..', '..');
const config = loadConfig({ KB_DIR: join(ROOT, 'knowledge-base'), DIALOGS_DIR: join(ROOT, 'dialogs') });

let db: { url: string; drop(): Promise<void> };
const stores: SqlConversationStore[] = [];
// Monday 2026-03-02 11:00 in Paris: agents are at work (engines and gateways share the test's clock).
let clock = Date.parse('2026-03-02T10:00:00Z');
const now = () => new Date(clock);

/** An "instance": its own store (connection pool, LISTEN) on the shared database, its own engine. */
async function instance(): Promise<Core> {
  const store = await SqlConversationStore.open({ url: db.url });
  stores.push(store);
  return buildCore(config, store, undefined, undefined, now);
}

beforeAll(async () => {
  db = await freshPgDatabase('savbot_cluster_unit');
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await db?.drop();
});

test('welcome once: two instances welcoming one conversation at the same time store one greeting', async () => {
  const [one, two] = [await instance(), await instance()];
  for (let i = 0; i < 5; i++) {
    const state = await one.engine.createConversation({ channel: 'msteams', lang: 'fr' });
    const replies = await Promise.all([one.engine.welcome(state.id), two.engine.welcome(state.id)]);
    expect(replies.flat()).toHaveLength(1);
    expect(await one.store.messagesPage(state.id, { limit: 10 })).toHaveLength(1);
    // And never again, on either.
    expect(await two.engine.welcome(state.id)).toEqual([]);
  }
});

test('a Teams queue update is told once by all instances, and a move made on another instance is told', async () => {
  const posted: { conversationId: string; text?: string }[] = [];
  const fake = express();
  fake.use(express.json());
  fake.post(/.*/, (req, res) => {
    const m = /\/v3\/conversations\/(.+?)\/activities/.exec(decodeURIComponent(req.path));
    if (req.body.type === 'message') posted.push({ conversationId: m![1]!, text: req.body.text });
    res.json({ id: 'x' });
  });
  const connector = await listenOnLoopback(fake);
  const cores = [await instance(), await instance()];
  const gateways = cores.map(
    (core) =>
      new BotFrameworkGateway({
        engine: core.engine,
        refs: core.store as SqlConversationStore,
        identity: { appType: 'MultiTenant' },
        queueUpdateMs: 60_000,
        log: { warn: () => undefined, error: () => undefined },
        now,
      }),
  );
  gateways.forEach((g) => g.start());
  const servers = await Promise.all(
    gateways.map((g) => {
      const app = express();
      app.use(botframeworkRoutes(g, 16384));
      return listenOnLoopback(app);
    }),
  );
  try {
    const ask = async (i: number, conversation: string, id: string, text: string) => {
      const res = await fetch(`${servers[i]!.base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          id,
          channelId: 'msteams',
          serviceUrl: `${connector.base}/`,
          from: { id: `29:${conversation}` },
          recipient: { id: '28:bot' },
          conversation: { id: conversation, conversationType: 'personal' },
          locale: 'fr-FR',
          text,
        }),
      });
      expect(res.status).toBe(200);
      clock += 1000;
      return (await cores[0]!.store.channelRefByExternal('msteams', conversation))!.conversationId;
    };
    const a = await ask(0, 'q:1', 'm1', 'je veux parler à un conseiller');
    const b = await ask(0, 'q:2', 'm2', 'je veux parler à un conseiller');
    // C asks on instance 0, then writes again on instance 1 (the balancer's choice): both watch C's place.
    const c = await ask(0, 'q:3', 'm3', 'je veux parler à un conseiller');
    await ask(1, 'q:3', 'm4', 'je veux parler à un conseiller');
    expect((await cores[0]!.engine.queueStatus(c))!.position).toBe(3);
    const before = posted.length;
    const updatesToC = () => posted.slice(before).filter((p) => p.conversationId === 'q:3');
    const heardOn1: string[] = [];
    cores[1]!.engine.events.on('remote', (id) => heardOn1.push(id));
    const settled = async (id: string) => {
      // Instance 1 hears of the move through the change feed; then both have checked the queue.
      await until(() => heardOn1.includes(id), 10_000, `instance 1 told of ${id}`);
      await Promise.all(gateways.map((g) => g.idle()));
    };

    // A minute later, A is joined on instance 0: C moves to 2, told once (not once per instance).
    clock += 61_000;
    await cores[0]!.engine.agentEvent({ type: 'agent.joined', conversationId: a, agent: { name: 'Paul' } });
    await settled(a);
    expect(updatesToC()).toHaveLength(1);
    expect(updatesToC()[0]!.text).toMatch(/^Vous êtes n° 2 dans la file d’attente\. /);

    // Another minute, B is joined on instance 1: C moves to 1, told once again.
    clock += 61_000;
    heardOn1.length = 0;
    const heardOn0: string[] = [];
    cores[0]!.engine.events.on('remote', (id) => heardOn0.push(id));
    await cores[1]!.engine.agentEvent({ type: 'agent.joined', conversationId: b, agent: { name: 'Ana' } });
    await until(() => heardOn0.includes(b), 10_000, `instance 0 told of ${b}`);
    await Promise.all(gateways.map((g) => g.idle()));
    expect(updatesToC()).toHaveLength(2);
    expect(updatesToC()[1]!.text).toMatch(/^Vous êtes n° 1 dans la file d’attente\. /);
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
    await Promise.all(servers.map((s) => s.close()));
    await connector.close();
  }
});
