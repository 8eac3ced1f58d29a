import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Webhook } from 'standardwebhooks';
import type { WebhookEvent } from './events';
import { red, yellow } from './format';

const MAX_BODY = 1024 * 1024;

/**
 * The receiver for the bot's webhooks (POST /webhooks): signature checked, each webhook id shown once (the bot
 * delivers at least once, and retries keep the same id), then handed to `onEvent`.
 */
export function webhookReceiver(
  incoming: Webhook,
  print: (text: string) => void,
  onEvent: (e: WebhookEvent) => void,
): Server {
  const seen = new Set<string>();
  const remember = (id: string) => {
    seen.add(id);
    if (seen.size > 10_000) seen.delete(seen.values().next().value!);
  };
  /** The response to one complete webhook body. */
  const receive = (req: IncomingMessage, raw: Buffer): [number, object, WebhookEvent?] => {
    const headers: Record<string, string> = {};
    for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) headers[h] = String(req.headers[h] ?? '');
    try {
      incoming.verify(raw, headers, { jsonParse: false });
    } catch (e) {
      print(
        red(
          `rejected a webhook (401): ${(e as Error).message}. HANDOFF_WEBHOOK_SECRET must be the same for the bot and the desk.`,
        ),
      );
      return [401, { error: 'invalid signature' }];
    }
    const id = headers['webhook-id']!;
    if (seen.has(id)) return [200, { duplicate: true }];
    let event: WebhookEvent;
    try {
      event = JSON.parse(raw.toString('utf8')) as WebhookEvent;
      if (!event || typeof event.type !== 'string' || typeof event.data?.conversationId !== 'string')
        throw new Error('expected {type, data: {conversationId, ...}}');
    } catch (e) {
      print(red(`a signed webhook has an unexpected body (400): ${(e as Error).message}`));
      return [400, { error: 'unexpected body' }];
    }
    remember(id);
    return [200, { received: true }, event];
  };
  return createServer((req: IncomingMessage, res: ServerResponse) => {
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
      const [status, body, event] = receive(req, Buffer.concat(chunks));
      reply(status, body);
      if (event) onEvent(event);
    });
    req.on('error', () => res.destroy());
  });
}
