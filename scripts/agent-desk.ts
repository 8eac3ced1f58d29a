/**
 * npm run agent-desk [-- --port 3979 --bot http://127.0.0.1:3978 --name Marie]
 *
 * A terminal agent console, the simplest way to try handoffs on one machine. It receives the bot's webhooks
 * (handoff.requested, conversation.message, conversation.closed, csat.received) on http://127.0.0.1:<port>/webhooks,
 * checked with HANDOFF_WEBHOOK_SECRET, and sends the agent's answers to the bot's POST /api/agent/events, signed with
 * AGENT_WEBHOOK_SECRET (Standard Webhooks). Configuration is read like the server's (.env, then the environment), so
 * with no .env both sides use the same development secrets, from the installation's data/dev-secrets.json.
 *
 * Commands (stdin, with or without a terminal): /list, /join <n> [name], <n> <text> or /say <n> <text>, /typing <n>,
 * /close <n> [note], /help, /quit. <n> is the desk's short number for a conversation (or its full id).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clearLine, createInterface, cursorTo } from 'node:readline';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { loadConfig, loadDotEnv, type Config } from '../src/config';
import { ConfigError } from '../src/domain/errors';
import { Commands } from './agent-desk/commands';
import { Desk } from './agent-desk/desk';
import { showEvent } from './agent-desk/events';
import { bold, dim, fail, green, HELP, yellow } from './agent-desk/format';
import { webhookReceiver } from './agent-desk/receiver';
import { AgentEventSender } from './agent-desk/sender';

function options(config: Config): { port: number; bot: string; name: string } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        bot: { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail(
      `${(e as Error).message}\nusage: npm run agent-desk -- [--port 3979] [--bot http://127.0.0.1:${config.port}] [--name Agent]`,
    );
  }
  if (values.help) {
    process.stdout.write(
      `usage: npm run agent-desk -- [--port 3979] [--bot http://127.0.0.1:${config.port}] [--name Agent]\n\n${HELP}\n`,
    );
    process.exit(0);
  }
  const port = values.port === undefined ? 3979 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--port must be a port number (0-65535), not "${values.port}"`);
  const bot = (values.bot ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(bot))
    fail(`--bot must be the bot's base URL, like http://127.0.0.1:${config.port}, not "${values.bot}"`);
  const name = values.name?.trim() || 'Agent';
  return { port, bot, name };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((ok) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'EADDRINUSE'
          ? `port ${port} is already in use (another desk?): choose another with --port`
          : `cannot listen on 127.0.0.1:${port}: ${e.message}`,
      ),
    );
    server.listen(port, '127.0.0.1', ok);
  });
}

/** Where the desk listens, how to point the bot at it, and whether the bot is up. */
function introduce(desk: Desk, config: Config, url: string, bot: string): void {
  const intro = [
    `${bold('Agent desk')}: receiving the bot's webhooks on ${bold(url)}`,
    config.handoff.webhookUrl === url
      ? 'HANDOFF_WEBHOOK_URL already points here.'
      : [
          `Start the bot so that it sends handoffs here:`,
          `  ${bold(`HANDOFF_WEBHOOK_URL=${url} npm start`)}`,
          `  (or put HANDOFF_WEBHOOK_URL=${url} in .env)`,
          ...(config.handoff.webhookUrl
            ? [yellow(`Your configuration sends them to ${config.handoff.webhookUrl} instead.`)]
            : []),
        ].join('\n'),
    `Answers go to ${bot}/api/agent/events as "${desk.name}" (--name to change).`,
    config.handoff.devSecrets
      ? dim(
          `Using the development secrets of ${config.devSecrets?.file ?? 'this installation'} (fine on one machine; the bot reads the same file when no secrets are set on either side).`,
        )
      : dim('Webhooks are checked with HANDOFF_WEBHOOK_SECRET; answers are signed with AGENT_WEBHOOK_SECRET.'),
    'Type /help for the commands.',
  ];
  desk.print(intro.join('\n'));
  void fetch(`${bot}/health`, { signal: AbortSignal.timeout(2000) })
    .then(async (r) =>
      desk.print(
        r.ok
          ? green(
              `The bot is up at ${bot} (knowledge base ${((await r.json()) as { kbVersion?: string }).kbVersion ?? '?'}).`,
            )
          : yellow(`${bot}/health answered ${r.status}.`),
      ),
    )
    .catch(() =>
      desk.print(yellow(`The bot is not reachable at ${bot} yet (start it with npm start, or pass --bot).`)),
    );
}

async function main(): Promise<void> {
  let config: Config;
  try {
    loadDotEnv();
    // The same per-installation development secrets as `npm start` (<DATA_DIR>/dev-secrets.json) when none is set.
    config = loadConfig(undefined, undefined, { devSecrets: 'install' });
  } catch (e) {
    fail(e instanceof ConfigError ? e.message : String(e));
  }
  const { port, bot, name } = options(config);
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty });
  rl.setPrompt('desk> ');
  /** Print above the prompt (webhooks arrive while the agent types). */
  const print = (text: string) => {
    if (tty) {
      clearLine(process.stdout, 0);
      cursorTo(process.stdout, 0);
    }
    process.stdout.write(`${text}\n`);
    if (tty) rl.prompt(true);
  };
  const desk = new Desk(print, name);
  const server = webhookReceiver(new Webhook(config.handoff.webhookSecret), print, (e) => showEvent(desk, e));
  await listen(server, port);
  introduce(desk, config, `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, bot);
  const commands = new Commands(desk, new AgentEventSender(desk, bot, new Webhook(config.handoff.agentSecret)));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    rl.close();
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  rl.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (tty) rl.prompt();
  for await (const line of rl) {
    if (!(await commands.run(line))) break;
    if (tty) rl.prompt();
  }
  stop();
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
