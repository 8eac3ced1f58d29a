/**
 * Files and the people who take over, through the real app on loopback (SQLite): handoff.requested carries each
 * file's metadata and a signed download URL, a file sent while with a person reaches the agents the same way, and
 * agents send files back through their signed events (base64 bytes, or a URL the server fetches: no redirects).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import type { StartedApp } from '../support/app';
import { download, newCustomer, photoWithGps, png, start, upload, type Customer } from './scenario';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
let running: StartedApp | undefined;
let files: Server | undefined;
let filesBase = '';
let served: Buffer;

beforeAll(async () => {
  served = await png();
  running = await start({ AGENT_WEBHOOK_SECRET: SECRET, HANDOFF_TRIGGERS: '', HANDOFF_WEBHOOK_URL: '' });
  // The helpdesk's file host: a PNG, and a redirect to it (never followed).
  files = createServer((req, res) => {
    if (req.url === '/reply.png') res.writeHead(200, { 'content-type': 'image/png' }).end(served);
    else res.writeHead(302, { location: '/reply.png' }).end();
  });
  await new Promise<void>((ok) => files!.listen(0, '127.0.0.1', ok));
  filesBase = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await running?.close();
  if (files) await new Promise((ok) => files!.close(ok));
});

const base = () => running!.base;
type FileForAgents = { id: string; name: string; contentType: string; size: number; url: string; urlExpiresAt: string };

async function say(c: Customer, text: string) {
  const res = await fetch(`${base()}/api/conversations/${c.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
}

function agent(event: Record<string, unknown>): Promise<Response> {
  const body = JSON.stringify(event);
  const id = `msg_${randomBytes(12).toString('base64url')}`;
  const at = new Date();
  return fetch(`${base()}/api/agent/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(SECRET).sign(id, at, body),
    },
    body,
  });
}

const bodies = async (c: Customer, type: string) =>
  (await running!.app.store.events(c.conversationId))
    .filter((e) => e.type === type)
    .map((e) => JSON.parse(e.body) as { data: Record<string, unknown> });

/** A signed URL of the webhook, fetched from this server (PUBLIC_URL is the public name of the same server). */
const fetchSigned = (url: string) => {
  const u = new URL(url);
  expect(u.origin).toBe('https://bot.shop.example');
  return fetch(`${base()}${u.pathname}${u.search}`);
};

test('handoff.requested carries each file with a signed URL that downloads it, in the transcript and at the top', async () => {
  const c = await newCustomer(base());
  const up = await upload(base(), c, { bytes: await photoWithGps(), name: 'colis.jpg', type: 'image/jpeg' });
  const { attachment } = (await up.json()) as { attachment: { id: string } };
  await say(c, 'je veux parler à un conseiller');
  const [requested] = await bodies(c, 'handoff.requested');
  const top = requested!.data.attachments as FileForAgents[];
  expect(top).toEqual([
    expect.objectContaining({
      id: attachment.id,
      name: 'colis.jpg',
      contentType: 'image/jpeg',
      url: expect.any(String),
    }),
  ]);
  const expiresIn = Date.parse(top[0]!.urlExpiresAt) - Date.now();
  expect(expiresIn).toBeGreaterThan(6.9 * 86_400_000);
  expect(expiresIn).toBeLessThanOrEqual(7 * 86_400_000);
  const lines = requested!.data.transcript as { from: string; attachments?: FileForAgents[] }[];
  expect(lines.find((l) => l.attachments)?.attachments?.[0]?.id).toBe(attachment.id);
  const res = await fetchSigned(top[0]!.url);
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  expect((await sharp(bytes).metadata()).exif).toBeUndefined();
  expect(bytes.length).toBe(top[0]!.size);
});

test('a file sent while waiting for a person reaches the agents with its URL (conversation.message)', async () => {
  const c = await newCustomer(base());
  await say(c, 'je veux parler à un conseiller');
  expect((await upload(base(), c, { bytes: await png(), name: 'facture.png' }, { text: 'voici' })).status).toBe(201);
  const [message] = await bodies(c, 'conversation.message');
  expect(message!.data).toMatchObject({
    text: 'voici',
    attachments: [expect.objectContaining({ name: 'facture.png' })],
  });
  expect((await fetchSigned((message!.data.attachments as FileForAgents[])[0]!.url)).status).toBe(200);
});

test('agents send files back: base64 bytes or a URL fetched without redirects; the customer downloads them', async () => {
  const c = await newCustomer(base());
  await say(c, 'je veux parler à un conseiller');
  const data = (await png()).toString('base64');
  const who = { name: 'Camille' };
  const sent = await agent({
    type: 'agent.message',
    conversationId: c.conversationId,
    agent: who,
    text: 'Voici le bon de retour',
    attachment: { data, name: 'bon.png', contentType: 'image/png' },
  });
  expect(sent.status).toBe(202);
  const byUrl = await agent({
    type: 'agent.message',
    conversationId: c.conversationId,
    agent: who,
    attachment: { url: `${filesBase}/reply.png` },
  });
  expect(byUrl.status).toBe(202);
  const redirected = await agent({
    type: 'agent.message',
    conversationId: c.conversationId,
    agent: who,
    attachment: { url: `${filesBase}/elsewhere` },
  });
  expect(redirected.status).toBe(400);
  expect(((await redirected.json()) as { error: { message: string } }).error.message).toContain('redirect');
  const notHttp = await agent({
    type: 'agent.message',
    conversationId: c.conversationId,
    agent: who,
    attachment: { url: 'file:///etc/passwd' },
  });
  expect(notHttp.status).toBe(400);
  const list = await fetch(`${base()}/api/conversations/${c.conversationId}/messages`, {
    headers: { authorization: `Bearer ${c.token}` },
  });
  const { messages } = (await list.json()) as {
    messages: { from: string; text: string; attachments?: { id: string; name: string }[] }[];
  };
  const fromAgent = messages.filter((m) => m.from === 'agent');
  expect(fromAgent.map((m) => [m.text, m.attachments?.map((a) => a.name)])).toEqual([
    ['Voici le bon de retour', ['bon.png']],
    ['', ['reply.png']],
  ]);
  const got = await download(base(), c, fromAgent[1]!.attachments![0]!.id);
  expect(got.status).toBe(200);
  expect(got.headers.get('content-type')).toBe('image/png');
  // The refused ones stored nothing: two files in the conversation.
  expect(await running!.app.attachments.list(c.conversationId)).toHaveLength(2);
});

test('an agent file for a conversation not handed off is refused and not kept', async () => {
  const c = await newCustomer(base());
  const res = await agent({
    type: 'agent.message',
    conversationId: c.conversationId,
    agent: { name: 'Camille' },
    attachment: { data: (await png()).toString('base64'), name: 'x.png' },
  });
  expect(res.status).toBe(409);
  expect(await running!.app.attachments.list(c.conversationId)).toEqual([]);
});
