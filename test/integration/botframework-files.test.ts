/**
 * Files on Bot Framework messages over real HTTP on loopback: a Teams message with an inline image (contentUrl on
 * the fake Bot Connector named as the serviceUrl, which serves the bytes) and Teams' own text/html copy of the body
 * becomes a customer message with the image; a file from another host, a redirect, a file over the size limit and a
 * disguised file are refused in the conversation and store nothing. ChannelFiles on its own: the bot's token goes
 * to the channel's host only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { ChannelFiles } from '../../src/channels/botframework/files';
import { listenOnLoopback } from '../support/processes';
import { startApp, type StartedApp } from '../support/app';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const BOT = { id: '28:6a9bdb6e-1f0e-4c3f-9f1e-0d1c2b3a4f5e', name: 'SAV Bot' };
const MAX_BYTES = 200_000;
const AGENT_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const PUBLIC_URL = 'https://bot.shop.example';

interface Posted {
  text?: string;
  type: string;
  attachments?: { contentType: string; contentUrl: string; name?: string }[];
}

/** The Bot Connector: replies captured, attachments served (GET /amer/v3/attachments/:id/views/original). */
async function fakeConnector(files: Map<string, { bytes: Buffer; type: string }>) {
  const posted: Posted[] = [];
  const gets: { path: string; authorization?: string }[] = [];
  const app = express();
  app.use(express.json());
  app.get('/amer/v3/attachments/redirect/views/original', (req, res) => {
    gets.push({ path: req.path });
    res.redirect(302, '/amer/v3/attachments/photo/views/original');
  });
  app.get('/amer/v3/attachments/huge/views/original', (req, res) => {
    gets.push({ path: req.path });
    // Chunked, no Content-Length: only counting while reading stops it.
    res.type('image/jpeg');
    const chunk = Buffer.alloc(16_384, 0xff);
    let sent = 0;
    const more = () => {
      while (sent < MAX_BYTES * 5) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  app.get('/amer/v3/attachments/:id/views/original', (req, res) => {
    gets.push({ path: req.path, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const f = files.get(req.params.id);
    if (!f) return void res.status(404).end();
    res.type(f.type).send(f.bytes);
  });
  app.post(/.*/, (req, res) => {
    posted.push(req.body as Posted);
    res.status(200).json({ id: `reply-${posted.length}` });
  });
  return { posted, gets, ...(await listenOnLoopback(app)) };
}

const photo = () =>
  sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 10, g: 120, b: 200 } } })
    .jpeg()
    .withMetadata({ exif: { IFD0: { Make: 'PhoneCo' } } })
    .toBuffer();

const files = new Map<string, { bytes: Buffer; type: string }>();
let connector: Awaited<ReturnType<typeof fakeConnector>>;
let server: StartedApp;
const dir = mkdtempSync(join(tmpdir(), 'savbot-bf-files-'));
let serviceUrl: string;
let seq = 0;

beforeAll(async () => {
  files.set('photo', { bytes: await photo(), type: 'image/jpeg' });
  files.set('page', { bytes: Buffer.from('<html><script>alert(1)</script></html>'), type: 'image/jpeg' });
  files.set('invoice', {
    bytes: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
    type: 'application/pdf',
  });
  connector = await fakeConnector(files);
  serviceUrl = `${connector.base}/amer/`;
  server = await startApp({
    SQLITE_FILE: join(dir, 'bot.db'),
    BOT_QUEUE_UPDATE_MS: '0',
    ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
    AGENT_WEBHOOK_SECRET: AGENT_SECRET,
    PUBLIC_URL,
  });
});
afterAll(async () => {
  await server?.close();
  await connector?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A Teams personal-chat message with attachments, as Teams sends it (its text/html copy of the body included). */
function teamsMessage(text: string, attachments: object[]) {
  return {
    type: 'message',
    id: `1700001${String(++seq).padStart(6, '0')}`,
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:1Xb${randomBytes(8).toString('hex')}`, name: 'Ioana Popescu', aadObjectId: randomUUID() },
    recipient: BOT,
    conversation: {
      id: `a:1Xb${randomBytes(12).toString('base64url')}`,
      conversationType: 'personal',
      tenantId: TENANT,
    },
    channelData: { tenant: { id: TENANT } },
    locale: 'fr-FR',
    text,
    textFormat: 'plain',
    attachments: [...attachments, { contentType: 'text/html', content: `<div><div>${text}</div></div>` }],
  };
}

const inline = (id: string) => ({
  contentType: 'image/*',
  contentUrl: `${connector.base}/amer/v3/attachments/${id}/views/original`,
});

async function post(activity: ReturnType<typeof teamsMessage>) {
  const before = connector.posted.length;
  const res = await fetch(`${server.base}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(activity),
  });
  expect(res.status).toBe(200);
  const ref = await server.app.store.channelRefByExternal('msteams', activity.conversation.id);
  const messages = ref ? await server.app.engine.transcript(ref.conversationId) : [];
  const stored = ref ? await server.app.attachments.list(ref.conversationId) : [];
  return { sent: connector.posted.slice(before).filter((p) => p.type === 'message'), messages, stored, ref };
}

test('a Teams inline image served by the connector becomes an attachment of the customer message', async () => {
  const r = await post(teamsMessage('voici la photo du colis', [inline('photo')]));
  const customer = r.messages.filter((m) => m.from === 'customer');
  expect(customer).toHaveLength(1);
  expect(customer[0]!.text).toBe('voici la photo du colis');
  expect(customer[0]!.attachments).toEqual([
    { id: expect.stringMatching(/^att_/), name: 'image-1', contentType: 'image/jpeg', size: expect.any(Number) },
  ]);
  // The stored file: the photo re-encoded, its EXIF gone; the bot answered.
  const file = await server.app.attachments.read(r.ref!.conversationId, customer[0]!.attachments![0]!.id);
  expect((await sharp(file.bytes).metadata()).width).toBe(40);
  expect((await sharp(file.bytes).metadata()).exif).toBeUndefined();
  expect(r.sent.length).toBeGreaterThan(0);
  expect(connector.gets.map((g) => g.path)).toContain('/amer/v3/attachments/photo/views/original');
});

test('a Teams file (file.download.info) is fetched from its downloadUrl and keeps its name', async () => {
  const r = await post(
    teamsMessage('ma facture', [
      {
        contentType: 'application/vnd.microsoft.teams.file.download.info',
        name: 'facture.pdf',
        contentUrl: 'https://contoso.sharepoint.com/personal/ioana/Documents/facture.pdf',
        content: {
          downloadUrl: `${connector.base}/amer/v3/attachments/invoice/views/original`,
          uniqueId: randomUUID(),
          fileType: 'pdf',
        },
      },
    ]),
  );
  expect(r.stored.map((s) => [s.name, s.contentType])).toEqual([['facture.pdf', 'application/pdf']]);
});

test('only the text/html copy Teams adds: a plain text message, no error', async () => {
  const r = await post(teamsMessage('où est mon colis ?', []));
  expect(r.messages.filter((m) => m.from === 'customer').map((m) => [m.text, m.attachments])).toEqual([
    ['où est mon colis ?', undefined],
  ]);
  expect(r.stored).toEqual([]);
});

test.each([
  ['another host', 'https://files.attacker.example/colis.jpg', /pas pu recevoir/],
  ['a redirect', 'redirect', /pas pu recevoir/],
  ['a file over the size limit (chunked)', 'huge', /trop volumineux/],
  ['a disguised file (HTML served as a JPEG)', 'page', /n’est pas accepté/],
])('%s: refused in the conversation, nothing stored, nothing to the engine', async (_what, where, said) => {
  const getsBefore = connector.gets.length;
  const url = where.startsWith('https://') ? where : inline(where).contentUrl;
  const r = await post(teamsMessage('la photo', [inline('photo'), { contentType: 'image/*', contentUrl: url }]));
  expect(r.sent.map((s) => s.text)).toEqual([expect.stringMatching(said)]);
  expect(r.stored).toEqual([]);
  expect(r.messages.filter((m) => m.from === 'customer')).toEqual([]);
  const fetched = connector.gets.slice(getsBefore).map((g) => g.path);
  // Another host is never contacted; a redirect is not followed (the target is fetched once, for the first file).
  expect(fetched.filter((p) => p.endsWith('/photo/views/original'))).toHaveLength(1);
});

test('ChannelFiles: the bot token goes to the serviceUrl host, not to another allowed host', async () => {
  const other = await fakeConnector(files);
  try {
    const stored: { name?: string }[] = [];
    const cf = new ChannelFiles({
      service: {
        limits: { maxBytes: MAX_BYTES },
        accept: async (f: { name?: string }) => (
          stored.push(f),
          { id: 'att_x', name: f.name, contentType: 'x', size: 1 }
        ),
        discard: async () => undefined,
      } as never,
      serviceUrls: { allow: [], emulator: true },
      token: async () => 'BOT-TOKEN',
    });
    await cf.accept('c1', {
      type: 'message',
      serviceUrl,
      attachments: [
        inline('photo'),
        { contentType: 'image/*', contentUrl: `${other.base}/amer/v3/attachments/photo/views/original` },
      ],
    });
    expect(stored).toHaveLength(2);
    expect(connector.gets.at(-1)).toMatchObject({ authorization: 'Bearer BOT-TOKEN' });
    expect(other.gets).toEqual([{ path: '/amer/v3/attachments/photo/views/original' }]);
  } finally {
    await other.close();
  }
});

async function agentEvent(event: object): Promise<void> {
  const body = JSON.stringify(event);
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const at = new Date();
  const res = await fetch(`${server.base}/api/agent/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(AGENT_SECRET).sign(id, at, body),
    },
    body,
  });
  expect(res.status).toBe(202);
}

test("an agent's files reach the Teams customer: an image as an attachment, a PDF as a link, both our signed URLs", async () => {
  const first = teamsMessage('je veux parler à un conseiller', []);
  const r = await post(first);
  const conversationId = r.ref!.conversationId;
  const png = await sharp({ create: { width: 12, height: 12, channels: 3, background: '#a00' } })
    .png()
    .toBuffer();
  const before = connector.posted.length;
  await agentEvent({
    type: 'agent.message',
    conversationId,
    agent: { name: 'Camille' },
    text: 'Voici l’étiquette',
    attachment: { data: png.toString('base64'), name: 'etiquette.png', contentType: 'image/png' },
  });
  await agentEvent({
    type: 'agent.message',
    conversationId,
    agent: { name: 'Camille' },
    text: 'Et le bon de retour',
    attachment: { data: files.get('invoice')!.bytes.toString('base64'), name: 'bon.pdf' },
  });
  const deadline = Date.now() + 10_000;
  const sent = () => connector.posted.slice(before).filter((p) => p.type === 'message' && p.text !== undefined);
  while (sent().filter((p) => /Voici|bon de retour/.test(p.text!)).length < 2 && Date.now() < deadline)
    await new Promise((ok) => setTimeout(ok, 50));
  const image = sent().find((p) => p.text === 'Voici l’étiquette')!;
  expect(image.attachments).toEqual([
    {
      contentType: 'image/png',
      name: 'etiquette.png',
      contentUrl: expect.stringMatching(`^${PUBLIC_URL}/api/conversations/`),
    },
  ]);
  const pdf = sent().find((p) => p.text!.startsWith('Et le bon de retour'))!;
  expect(pdf.attachments).toBeUndefined();
  const link = /bon\.pdf: (\S+)$/.exec(pdf.text!)![1]!;
  // Both open with their signature alone (what Teams fetches, and the customer's click).
  for (const url of [image.attachments![0]!.contentUrl, link]) {
    const u = new URL(url);
    const dl = await fetch(`${server.base}${u.pathname}${u.search}`);
    expect(dl.status).toBe(200);
  }
});
