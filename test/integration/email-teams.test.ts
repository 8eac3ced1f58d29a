/**
 * The offer to continue by email reaches a silent Teams customer proactively: the gateway on its own (engine from
 * buildCore with mail configured, memory store, a clock the test moves), real HTTP on loopback for /api/messages and
 * a fake Bot Framework connector that records what the bot posts; the offers job is run with runOnce.
 */
import { join, resolve } from 'node:path';
import express from 'express';
import { buildCore } from '../../src/app';
import { BotFrameworkGateway } from '../../src/channels/botframework/gateway';
import { botframeworkRoutes } from '../../src/channels/botframework/routes';
import { loadConfig } from '../../src/config';
import { EmailOfferJob } from '../../src/engine/emailJob';
import { listenOnLoopback } from '../support/processes';

const ROOT = resolve(__dirname, '..', '..');

test('a Teams customer waiting in silence gets the offer once, posted by the offers job', async () => {
  const posted: { conversationId: string; text?: string }[] = [];
  const fake = express();
  fake.use(express.json());
  fake.post(/.*/, (req, res) => {
    const m = /\/v3\/conversations\/(.+?)\/activities/.exec(decodeURIComponent(req.path));
    const b = req.body as { type: string; text?: string };
    if (b.type === 'message') posted.push({ conversationId: m![1]!, ...(b.text ? { text: b.text } : {}) });
    res.json({ id: 'x' });
  });
  const connector = await listenOnLoopback(fake);
  // Monday 2026-03-02 11:00 in Paris: agents are at work, the offer is due a minute after the request.
  let clock = Date.parse('2026-03-02T10:00:00Z');
  const config = loadConfig({
    KB_DIR: join(ROOT, 'knowledge-base'),
    DIALOGS_DIR: join(ROOT, 'dialogs'),
    HANDOFF_HOURS: JSON.stringify({
      default: { timeZone: 'Europe/Paris', days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' },
    }),
    SMTP_URL: 'smtp://127.0.0.1:2525',
    MAIL_FROM: 'sav@shop.example',
    HANDOFF_EMAIL_AFTER_MS: '60000',
  });
  const core = buildCore(config, undefined, undefined, undefined, () => new Date(clock));
  const gateway = new BotFrameworkGateway({
    engine: core.engine,
    refs: core.store,
    identity: { appType: 'MultiTenant' },
    queueUpdateMs: 600_000,
    log: { warn: () => undefined, error: () => undefined },
    now: () => new Date(clock),
  });
  gateway.start();
  const job = new EmailOfferJob(core.engine, { info: () => undefined, error: () => undefined });
  const app = express();
  app.use(botframeworkRoutes(gateway, 16384));
  const server = await listenOnLoopback(app);
  try {
    const res = await fetch(`${server.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'message',
        id: 'm-1',
        channelId: 'msteams',
        serviceUrl: `${connector.base}/`,
        from: { id: '29:t1' },
        recipient: { id: '28:bot' },
        conversation: { id: 't:1', conversationType: 'personal' },
        locale: 'fr-FR',
        text: 'je veux parler à un conseiller',
      }),
    });
    expect(res.status).toBe(200);
    const offered = () => posted.filter((p) => p.text?.includes('continuer par e-mail'));
    // Not yet due: nothing.
    clock += 30_000;
    expect(await job.runOnce()).toBe(0);
    await gateway.idle();
    expect(offered()).toEqual([]);
    // A minute after the request, nobody joined: the job posts the offer, the gateway sends it to Teams.
    clock += 31_000;
    expect(await job.runOnce()).toBe(1);
    await gateway.idle();
    expect(offered()).toHaveLength(1);
    expect(offered()[0]!.conversationId).toBe('t:1');
    expect(offered()[0]!.text).toMatch(/^Aucun conseiller ne s’est encore libéré\./);
    // Made once: the next runs find nothing.
    clock += 60_000;
    expect(await job.runOnce()).toBe(0);
    await gateway.idle();
    expect(offered()).toHaveLength(1);
  } finally {
    await job.stop();
    await gateway.stop();
    await server.close();
    await connector.close();
  }
});
