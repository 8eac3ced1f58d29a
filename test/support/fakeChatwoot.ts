/**
 * A fake Chatwoot on loopback: a real HTTP server (127.0.0.1, port 0) implementing the few application-API endpoints
 * the bot calls, answering with the shapes of test/fixtures/chatwoot/payloads.ts, checking the api_access_token
 * header, recording every request. `failWith` makes every answer that status (Chatwoot down).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contact, contactCreated, conversationCreated, messageCreatedAnswer } from '../fixtures/chatwoot/payloads';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  token: string | undefined;
  body: Record<string, unknown> | undefined;
}

export interface FakeChatwoot {
  base: string;
  port: number;
  requests: RecordedRequest[];
  /** Contacts known to the fake, by email (search answers them). */
  contactsByEmail: Map<string, { id: number; sourceId: string }>;
  /** Conversations created, by id: their custom_attributes. */
  conversations: Map<number, Record<string, string>>;
  /** Every answer is this status while set. */
  failWith: number | undefined;
  /** Requests to one path kind, e.g. requestsTo('POST', /\/messages$/). */
  requestsTo(method: string, path: RegExp): RecordedRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
}

export async function startFakeChatwoot(o: { accountId: number; token: string }): Promise<FakeChatwoot> {
  let nextId = 100;
  const fake: Omit<FakeChatwoot, 'base' | 'port' | 'close'> = {
    requests: [],
    contactsByEmail: new Map(),
    conversations: new Map(),
    failWith: undefined,
    requestsTo: (method, path) => fake.requests.filter((r) => r.method === method && path.test(r.path)),
  };
  const prefix = `/api/v1/accounts/${o.accountId}`;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = await readBody(req);
      const token = req.headers.api_access_token as string | undefined;
      fake.requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        token,
        body,
      });
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (fake.failWith) return send(fake.failWith, { error: 'fake Chatwoot failure' });
      if (token !== o.token) return send(401, { errors: ['Invalid Access Token'] });
      const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : undefined;
      if (req.method === 'GET' && path === '/contacts/search') {
        const q = url.searchParams.get('q') ?? '';
        const found = fake.contactsByEmail.get(q);
        return send(200, {
          meta: { count: found ? 1 : 0, current_page: 1 },
          payload: found ? [contact(found.id, { email: q, sourceId: found.sourceId })] : [],
        });
      }
      if (req.method === 'POST' && path === '/contacts') {
        const id = nextId++;
        const email = typeof body?.email === 'string' ? body.email : undefined;
        if (email) fake.contactsByEmail.set(email, { id, sourceId: `src-${id}` });
        return send(200, contactCreated(id, `src-${id}`, email));
      }
      if (req.method === 'POST' && path === '/conversations') {
        const id = nextId++;
        const attributes = (body?.custom_attributes ?? {}) as Record<string, string>;
        fake.conversations.set(id, attributes);
        return send(200, conversationCreated(id, attributes));
      }
      const m = /^\/conversations\/(\d+)\/(messages|toggle_status)$/.exec(path ?? '');
      if (req.method === 'POST' && m?.[2] === 'messages') {
        const type = body?.message_type === 'incoming' ? 0 : 1;
        return send(
          200,
          messageCreatedAnswer(nextId++, Number(m[1]), String(body?.content), type, body?.private === true),
        );
      }
      if (req.method === 'POST' && m?.[2] === 'toggle_status')
        return send(200, {
          meta: {},
          payload: { success: true, conversation_id: Number(m[1]), current_status: body?.status },
        });
      send(404, { error: 'Resource could not be found' });
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('listening', ok);
    server.once('error', fail);
    server.listen(0, '127.0.0.1');
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return Object.assign(fake, {
    base: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      (closed ??= new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      })),
  });
}
