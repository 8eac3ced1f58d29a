/**
 * npm run agent-desk [-- --port 3979 --bot http://127.0.0.1:3978 --name Marie]
 *
 * A terminal agent console, the simplest way to try handoffs on one machine. It receives the bot's webhooks
 * (handoff.requested, conversation.message, conversation.closed, csat.received) on http://127.0.0.1:<port>/webhooks,
 * checked with HANDOFF_WEBHOOK_SECRET, and sends the agent's answers to the bot's POST /api/agent/events, signed with
 * AGENT_WEBHOOK_SECRET (Standard Webhooks). Configuration is read like the server's (.env, then the environment), so
 * with no .env both sides use the same built-in development secrets.
 *
 * Commands (stdin, with or without a terminal): /list, /join <n> [name], <n> <text> or /say <n> <text>, /typing <n>,
 * /close <n> [note], /help, /quit. <n> is the desk's short number for a conversation (or its full id).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clearLine, createInterface, cursorTo } from 'node:readline';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { loadConfig, loadDotEnv, type Config } from '../src/config';
import { ConfigError } from '../src/domain/errors';

const HELP = `Commands:
  /list                  open handoffs (queued or with an agent)
  /join <n> [name]       take conversation <n> (as [name], default: the desk's name)
  <n> <text>             answer conversation <n>  (same as /say <n> <text>)
  /typing <n>            show "typing..." to the customer
  /close <n> [note]      hand conversation <n> back to the bot (it asks the customer for a 1-5 rating)
  /help                  this list
  /quit                  leave (Ctrl-D too)
<n> is the number the desk shows as #n; a full conversation id works too.`;

const MAX_BODY = 1024 * 1024;

interface Conversation {
  n: number;
  id: string;
  status: 'queued' | 'active' | 'closed' | 'unknown';
  queue?: string;
  reason?: string;
  language?: string;
  requestedAt?: string;
  agentName?: string;
  lastSeq: number;
  lastCustomerText?: string;
}

interface WebhookEvent {
  type: string;
  timestamp?: string;
  data: { conversationId: string; seq?: number; [key: string]: unknown };
}

interface TranscriptLine {
  at?: string;
  from?: string;
  text?: string;
}

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const red = paint('31');
const green = paint('32');
const yellow = paint('33');
const cyan = paint('36');

const hhmm = (iso: string | undefined) => {
  const d = iso ? new Date(iso) : undefined;
  return d && Number.isFinite(d.getTime()) ? d.toTimeString().slice(0, 5) : '--:--';
};
const since = (iso: string | undefined) => {
  const ms = iso ? Date.now() - Date.parse(iso) : NaN;
  if (!Number.isFinite(ms)) return '';
  const min = Math.max(0, Math.round(ms / 60_000));
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
};
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

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

async function main(): Promise<void> {
  let config: Config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (e) {
    fail(e instanceof ConfigError ? e.message : String(e));
  }
  const { port, bot, name: deskName } = options(config);
  const incoming = new Webhook(config.handoff.webhookSecret);
  const outgoing = new Webhook(config.handoff.agentSecret);

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

  // Conversations the desk knows, by short number and by id.
  const byNumber = new Map<number, Conversation>();
  const byId = new Map<string, Conversation>();
  let numbered = 0;
  const conversation = (id: string): Conversation => {
    let c = byId.get(id);
    if (!c) {
      c = { n: ++numbered, id, status: 'unknown', lastSeq: 0 };
      byNumber.set(c.n, c);
      byId.set(id, c);
    }
    return c;
  };
  const tag = (c: Conversation) => bold(cyan(`#${c.n}`));

  // Webhook ids already shown: the bot delivers at least once, and retries keep the same id.
  const seen = new Set<string>();
  const remember = (id: string) => {
    seen.add(id);
    if (seen.size > 10_000) seen.delete(seen.values().next().value!);
  };

  function show(e: WebhookEvent): void {
    const d = e.data;
    const c = conversation(d.conversationId);
    if (typeof d.seq === 'number') {
      if (c.lastSeq && d.seq !== c.lastSeq + 1)
        print(dim(`${tag(c)} (event ${d.seq} after ${c.lastSeq}: some events were missed or came late)`));
      c.lastSeq = Math.max(c.lastSeq, d.seq);
    }
    switch (e.type) {
      case 'handoff.requested': {
        Object.assign(c, {
          status: 'queued',
          queue: String(d.queue ?? ''),
          reason: String(d.reason ?? ''),
          language: String(d.language ?? ''),
          requestedAt: e.timestamp,
        });
        delete c.agentName;
        const lines = [
          `${bold(yellow('── new handoff'))} ${tag(c)}  queue ${bold(c.queue ?? '?')} · reason ${bold(c.reason ?? '?')} · language ${bold(c.language ?? '?')}${d.channel ? ` · ${d.channel}` : ''}  ${dim(c.id)}`,
        ];
        const contact = d.contact as { email?: string; phone?: string } | undefined;
        if (contact?.email || contact?.phone)
          lines.push(`   contact: ${[contact.email, contact.phone].filter(Boolean).join(', ')}`);
        if (Array.isArray(d.botTried) && d.botTried.length) lines.push(`   the bot tried: ${d.botTried.join(', ')}`);
        const transcript = Array.isArray(d.transcript) ? (d.transcript as TranscriptLine[]) : [];
        if (transcript.length) lines.push('   transcript:');
        for (const m of transcript) {
          const who = (m.from ?? '?').padEnd(8);
          // The customer's words in full; the bot's (long) answers clipped, the agent knows them.
          lines.push(
            `     ${dim(hhmm(m.at))} ${m.from === 'customer' ? bold(who) : dim(who)} ${m.from === 'customer' ? (m.text ?? '') : dim(clip(m.text ?? '', 160))}`,
          );
          if (m.from === 'customer' && m.text) c.lastCustomerText = m.text;
        }
        lines.push(dim(`   → /join ${c.n} to take it, then type "${c.n} <your answer>"`));
        print(lines.join('\n'));
        break;
      }
      case 'conversation.message': {
        const text = String(d.text ?? '');
        c.lastCustomerText = text;
        if (c.status === 'unknown' || c.status === 'closed') c.status = 'queued';
        print(`${tag(c)} ${bold('customer')}: ${text}`);
        break;
      }
      case 'conversation.closed': {
        c.status = 'closed';
        const why =
          d.reason === 'cancelled-by-customer'
            ? 'the customer cancelled the request'
            : d.reason === 'completed'
              ? 'handed back to the bot'
              : String(d.reason ?? 'closed');
        print(`${tag(c)} ${bold('closed')}: ${why}${d.note ? ` (note: ${String(d.note)})` : ''}`);
        break;
      }
      case 'csat.received': {
        const score = Number(d.score);
        print(
          `${tag(c)} satisfaction: ${bold(`${score}/5`)} ${'★'.repeat(Math.max(0, Math.min(5, score)))}${'☆'.repeat(Math.max(0, 5 - score))}`,
        );
        break;
      }
      default:
        print(dim(`${tag(c)} ${e.type}: ${JSON.stringify(d)}`));
    }
  }

  // The receiver for the bot's webhooks.
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== '/webhooks') {
      if (req.method === 'POST')
        print(yellow(`(a POST to ${path} was ignored: HANDOFF_WEBHOOK_URL must end with /webhooks)`));
      reply(404, { error: 'POST /webhooks only' });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return reply(413, { error: `body larger than ${MAX_BODY} bytes` });
      const raw = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature'])
        headers[h] = String(req.headers[h] ?? '');
      try {
        incoming.verify(raw, headers, { jsonParse: false });
      } catch (e) {
        print(
          red(
            `rejected a webhook (401): ${(e as Error).message}. HANDOFF_WEBHOOK_SECRET must be the same for the bot and the desk.`,
          ),
        );
        return reply(401, { error: 'invalid signature' });
      }
      const id = headers['webhook-id']!;
      if (seen.has(id)) return reply(200, { duplicate: true });
      let event: WebhookEvent;
      try {
        event = JSON.parse(raw.toString('utf8')) as WebhookEvent;
        if (!event || typeof event.type !== 'string' || typeof event.data?.conversationId !== 'string')
          throw new Error('expected {type, data: {conversationId, ...}}');
      } catch (e) {
        print(red(`a signed webhook has an unexpected body (400): ${(e as Error).message}`));
        return reply(400, { error: 'unexpected body' });
      }
      remember(id);
      reply(200, { received: true });
      show(event);
    });
    req.on('error', () => res.destroy());
  });

  await new Promise<void>((ok) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'EADDRINUSE'
          ? `port ${port} is already in use (another desk?): choose another with --port`
          : `cannot listen on 127.0.0.1:${port}: ${e.message}`,
      ),
    );
    server.listen(port, '127.0.0.1', ok);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;

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
    `Answers go to ${bot}/api/agent/events as "${deskName}" (--name to change).`,
    config.handoff.devSecrets
      ? dim(
          'Using the built-in development secrets (fine on one machine; the bot must use them too, i.e. no secrets set on either side).',
        )
      : dim('Webhooks are checked with HANDOFF_WEBHOOK_SECRET; answers are signed with AGENT_WEBHOOK_SECRET.'),
    'Type /help for the commands.',
  ];
  print(intro.join('\n'));
  void fetch(`${bot}/health`, { signal: AbortSignal.timeout(2000) })
    .then(async (r) =>
      print(
        r.ok
          ? green(
              `The bot is up at ${bot} (knowledge base ${((await r.json()) as { kbVersion?: string }).kbVersion ?? '?'}).`,
            )
          : yellow(`${bot}/health answered ${r.status}.`),
      ),
    )
    .catch(() => print(yellow(`The bot is not reachable at ${bot} yet (start it with npm start, or pass --bot).`)));

  /** Send one signed agent event; true when the bot accepted it. */
  async function send(c: Conversation, event: Record<string, unknown>): Promise<boolean> {
    const body = JSON.stringify(event);
    const id = `msg_${randomBytes(16).toString('base64url')}`;
    const now = new Date();
    let res: Response;
    try {
      res = await fetch(`${bot}/api/agent/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': outgoing.sign(id, now, body),
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      print(
        red(
          `✗ ${tag(c)} cannot reach the bot at ${bot}: ${cause?.code ?? cause?.message ?? (e as Error).message}. Is it running (npm start)? Otherwise pass --bot.`,
        ),
      );
      return false;
    }
    if (res.status === 202) return true;
    let code = '';
    let message = '';
    try {
      const j = (await res.json()) as { error?: { code?: string; message?: string } };
      code = j.error?.code ?? '';
      message = j.error?.message ?? '';
    } catch {
      /* not JSON */
    }
    const hint =
      res.status === 401
        ? 'the bot refused the signature: AGENT_WEBHOOK_SECRET must be the same for the bot and the desk, and both clocks right'
        : res.status === 404
          ? 'the bot does not know this conversation (another bot or database?)'
          : code === 'NOT_WITH_AGENT'
            ? 'this conversation is no longer waiting for a person (handed back, or cancelled by the customer)'
            : code === 'REPLAYED'
              ? 'the bot already received this event'
              : res.status === 413
                ? 'too long for the bot (MAX_BODY_BYTES)'
                : '';
    if (code === 'NOT_WITH_AGENT') c.status = 'closed';
    // An id typed by hand that the bot does not know: forget it.
    if (res.status === 404 && c.status === 'unknown' && c.lastSeq === 0) {
      byId.delete(c.id);
      byNumber.delete(c.n);
    }
    print(
      red(
        `✗ ${tag(c)} the bot answered ${res.status}${code ? ` ${code}` : ''}${hint ? `: ${hint}` : ''}${message ? dim(` (${message})`) : ''}`,
      ),
    );
    return false;
  }

  /** "3" (the desk's number) or a full conversation id. */
  function target(ref: string | undefined): Conversation | undefined {
    if (!ref) {
      print(red('which conversation? Give its number (see /list).'));
      return undefined;
    }
    const c = /^\d+$/.test(ref) ? byNumber.get(Number(ref)) : byId.get(ref);
    if (c) return c;
    // A conversation handed off before the desk started: its full id works.
    if (!/^\d+$/.test(ref) && /^[\w-]{8,100}$/.test(ref)) return conversation(ref);
    print(red(`no conversation #${ref}: /list shows the open ones.`));
    return undefined;
  }

  function list(): void {
    const open = [...byNumber.values()].filter((c) => c.status !== 'closed');
    if (!open.length) return print(dim('No open handoff. New ones show up here as they come.'));
    const rows = open.map((c) => {
      const who =
        c.status === 'active'
          ? `with ${c.agentName ?? '?'}`
          : c.status === 'queued'
            ? `waiting ${since(c.requestedAt)}`
            : 'unknown';
      return `${tag(c)}  ${c.status.padEnd(7)} ${who.padEnd(16)} ${(c.queue ?? '').padEnd(9)} ${(c.reason ?? '').padEnd(16)} ${(c.language ?? '').padEnd(2)}  ${dim(clip(c.lastCustomerText ?? '', 60))}`;
    });
    print(rows.join('\n'));
  }

  async function command(line: string): Promise<boolean> {
    const text = line.trim();
    if (!text) return true;
    const [head = '', ...rest] = text.split(/\s+/);
    const arg = (i: number) => text.split(/\s+/).slice(i).join(' ');
    if (/^\d+$/.test(head) || (!head.startsWith('/') && byId.has(head))) return say(head, arg(1));
    switch (head.toLowerCase()) {
      case '/quit':
      case '/exit':
        return false;
      case '/help':
      case '/?':
        print(HELP);
        return true;
      case '/list':
      case '/ls':
        list();
        return true;
      case '/say':
        return say(rest[0], arg(2));
      case '/join': {
        const c = target(rest[0]);
        if (!c) return true;
        const name = arg(2) || c.agentName || deskName;
        if (await send(c, { type: 'agent.joined', conversationId: c.id, agent: { name } })) {
          Object.assign(c, { status: 'active', agentName: name });
          print(green(`✓ ${tag(c)} you joined as ${name}. Answer with "${c.n} <text>".`));
        }
        return true;
      }
      case '/typing': {
        const c = target(rest[0]);
        if (
          c &&
          (await send(c, { type: 'agent.typing', conversationId: c.id, agent: { name: c.agentName ?? deskName } }))
        )
          print(dim(`✓ ${tag(c)} typing shown to the customer`));
        return true;
      }
      case '/close': {
        const c = target(rest[0]);
        if (!c) return true;
        const note = arg(2);
        if (await send(c, { type: 'handoff.completed', conversationId: c.id, ...(note ? { note } : {}) })) {
          c.status = 'closed';
          print(green(`✓ ${tag(c)} handed back to the bot (it asks the customer for a rating).`));
        }
        return true;
      }
      default:
        print(red(`unknown command "${head}". /help lists the commands; "<n> <text>" answers conversation n.`));
        return true;
    }
  }

  async function say(ref: string | undefined, message: string): Promise<boolean> {
    const c = target(ref);
    if (!c) return true;
    if (!message) {
      print(red(`nothing to send: "${c.n} <text>"`));
      return true;
    }
    const name = c.agentName ?? deskName;
    if (await send(c, { type: 'agent.message', conversationId: c.id, text: message, agent: { name } })) {
      Object.assign(c, { status: 'active', agentName: name });
      print(dim(`✓ ${tag(c)} sent as ${name}`));
    }
    return true;
  }

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
    if (!(await command(line))) break;
    if (tty) rl.prompt();
  }
  stop();
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
