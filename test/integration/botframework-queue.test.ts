/**
 * Queue updates to Bot Framework customers are rate-limited per conversation: the gateway on its own (engine from
 * buildCore, memory store, a clock the test moves), real HTTP on loopback for /api/messages and the fake connector.
 */
import { join, resolve } from 'node:path';
import express from 'express';
import { buildCore } from '../../src/app';
import { BotFrameworkGateway } from '../../src/channels/botframework/gateway';
import { botframeworkRoutes } from '../../src/channels/botframework/routes';
import { loadConfig } from '../../src/config';
import { listenOnLoopback } from '../support/processes';

const ROOT = resolve(__dirname, '..', '..');

test('a waiting customer gets at most one queue update per interval, then the latest position', async () => {
  const posted: { conversationId: string; text?: string }[] = [];
  const fake = express();
  fake.use(express.json());
  fake.post(/.*/, (req, res) => {
    const m = /\/v3\/conversations\/(.+?)\/activities/.exec(decodeURIComponent(req.path));
    if (req.body.type === 'message') posted.push({ conversationId: m![1]!, text: req.body.text });
    res.json({ id: 'x' });
  });
  const connector = await listenOnLoopback(fake);
  // Monday 2026-03-02 11:00 in Paris: agents are at work (the engine and the gateway share the test's clock).
  let clock = Date.parse('2026-03-02T10:00:00Z');
  const core = buildCore(
    loadConfig({ KB_DIR: join(ROOT, 'knowledge-base'), DIALOGS_DIR: join(ROOT, 'dialogs') }),
    undefined,
    undefined,
    undefined,
    () => new Date(clock),
  );
  const gateway = new BotFrameworkGateway({
    engine: core.engine,
    refs: core.store,
    identity: { appType: 'MultiTenant' },
    queueUpdateMs: 60_000,
    log: { warn: () => undefined, error: () => undefined },
    now: () => new Date(clock),
  });
  gateway.start();
  const app = express();
  app.use(botframeworkRoutes(gateway, 16384));
  const server = await listenOnLoopback(app);
  try {
    const ask = async (conversation: string) => {
      const res = await fetch(`${server.base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          id: `m-${conversation}`,
          channelId: 'msteams',
          serviceUrl: `${connector.base}/`,
          from: { id: `29:${conversation}` },
          recipient: { id: '28:bot' },
          conversation: { id: conversation, conversationType: 'personal' },
          locale: 'fr-FR',
          text: 'je veux parler à un conseiller',
        }),
      });
      expect(res.status).toBe(200);
      clock += 1000; // the next customer asks a second later
      return (await core.store.channelRefByExternal('msteams', conversation))!.conversationId;
    };
    const [a, b, c] = [await ask('a:1'), await ask('a:2'), await ask('a:3')];
    expect((await core.engine.queueStatus(c))!.position).toBe(3);
    const before = posted.length;
    const updatesToC = () => posted.slice(before).filter((p) => p.conversationId === 'a:3');

    // Within the minute after C was told its place: a move is not told yet.
    await core.engine.agentEvent({ type: 'agent.joined', conversationId: a, agent: { name: 'Paul' } });
    await gateway.idle(); // the checks and sends under way
    expect((await core.engine.queueStatus(c))!.position).toBe(2);
    expect(updatesToC()).toEqual([]);

    // A minute later, the next move: one update, with the current place.
    clock += 61_000;
    await core.engine.agentEvent({ type: 'agent.joined', conversationId: b, agent: { name: 'Ana' } });
    await gateway.idle();
    expect(updatesToC()).toHaveLength(1);
    // The place itself (not just any "1", such as "1 min"), as the engine words it now.
    expect(updatesToC()[0]!.text).toMatch(/^Vous êtes n° 1 dans la file d’attente\. /);
    expect(updatesToC()[0]!.text).toBe((await core.engine.queueReply(c, 'fr'))!.text);
  } finally {
    await gateway.stop();
    await server.close();
    await connector.close();
  }
});
