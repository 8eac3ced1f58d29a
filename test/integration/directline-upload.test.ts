/**
 * Files on the Direct Line endpoint over real HTTP on loopback: POST .../upload as botframework-directlinejs sends
 * it (a multipart body with the activity as a Blob of type application/vnd.microsoft.activity and the files), the
 * customer message with its attachments echoed back as signed URLs of ours, and the refusals (415, 413, 401/403,
 * a bad signature) that store nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { startApp, type StartedApp } from '../support/app';

const PUBLIC_URL = 'https://bot.shop.example';
const MAX_BYTES = 200_000;
const AGENT_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

interface Activity {
  type: string;
  id?: string;
  text?: string;
  from?: { id: string; name?: string; role?: string };
  channelData?: { clientActivityID?: string };
  attachments?: { contentType: string; contentUrl: string; name: string; thumbnailUrl?: string }[];
}

let running: StartedApp | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'savbot-dl-upload-'));
const app = () => running!;
const DL = () => `${app().base}/v3/directline`;

beforeAll(async () => {
  running = await startApp({
    SQLITE_FILE: join(dataDir, 'bot.db'),
    HANDOFF_WEBHOOK_URL: '',
    HANDOFF_TRIGGERS: '',
    PUBLIC_URL,
    ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
    AGENT_WEBHOOK_SECRET: AGENT_SECRET,
  });
});

afterAll(async () => {
  await running?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<{ conversationId: string; token: string }> {
  const res = await fetch(`${DL()}/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { conversationId: string; token: string };
}

const photo = () =>
  sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg()
    .withMetadata({ exif: { IFD0: { Make: 'PhoneCo', Model: 'X1' } } })
    .toBuffer();

/** The body Web Chat builds: the activity as a Blob part named "activity", then one "file" part per file. */
function webchatForm(activity: object, files: { bytes: Buffer; name: string; type: string }[]): FormData {
  const form = new FormData();
  form.append('activity', new Blob([JSON.stringify(activity)], { type: 'application/vnd.microsoft.activity' }));
  for (const f of files) form.append('file', new Blob([f.bytes], { type: f.type }), f.name);
  return form;
}

const message = (clientActivityID: string, text?: string) => ({
  type: 'message',
  from: { id: 'dl_user', role: 'user' },
  ...(text ? { text } : {}),
  attachments: [{ contentType: 'image/jpeg', name: 'colis.jpg' }],
  channelData: { clientActivityID },
});

const upload = (conversationId: string, token: string, form: FormData) =>
  fetch(`${DL()}/conversations/${conversationId}/upload?userId=dl_user`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });

async function activities(conversationId: string, token: string): Promise<Activity[]> {
  const res = await fetch(`${DL()}/conversations/${conversationId}/activities`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { activities: Activity[] }).activities;
}

/** Our URL on PUBLIC_URL, fetched on the test server (the same path and query). */
const local = (url: string) => {
  const u = new URL(url);
  return `${app().base}${u.pathname}${u.search}`;
};

test('an upload as Web Chat sends it is a customer message with the file, echoed back as a signed URL of ours', async () => {
  const c = await start();
  const jpeg = await photo();
  const res = await upload(
    c.conversationId,
    c.token,
    webchatForm(message('wc-1', 'voici le colis'), [{ bytes: jpeg, name: 'colis.jpg', type: 'image/jpeg' }]),
  );
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  const { id } = (await res.json()) as { id: string };

  const all = await activities(c.conversationId, c.token);
  const mine = all.find((a) => a.channelData?.clientActivityID === 'wc-1')!;
  expect(mine.id).toBe(id);
  expect(mine.from).toEqual({ id: expect.any(String), role: 'user' });
  expect(mine.text).toBe('voici le colis');
  expect(mine.attachments).toHaveLength(1);
  const [att] = mine.attachments!;
  expect(att!.contentType).toBe('image/jpeg');
  expect(att!.name).toBe('colis.jpg');
  const url = new URL(att!.contentUrl);
  expect(url.origin).toBe(PUBLIC_URL);
  expect(url.pathname).toMatch(new RegExp(`^/v3/directline/conversations/${c.conversationId}/attachments/att_`));
  expect(url.searchParams.get('sig')).toBeTruthy();
  // The bot answered the message (a reply after it).
  expect(all.findIndex((a) => a === mine)).toBeLessThan(all.length - 1);

  // The file from our URL, without a token: the stored bytes (re-encoded, no EXIF), loadable by other sites' pages.
  const dl = await fetch(local(att!.contentUrl));
  expect(dl.status).toBe(200);
  expect(dl.headers.get('content-type')).toBe('image/jpeg');
  expect(dl.headers.get('x-content-type-options')).toBe('nosniff');
  expect(dl.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  const bytes = Buffer.from(await dl.arrayBuffer());
  expect((await sharp(bytes).metadata()).width).toBe(64);
  expect((await sharp(bytes).metadata()).exif).toBeUndefined();
  expect(await app().app.attachments.list(c.conversationId)).toHaveLength(1);

  // The same activity posted again (a retry) is answered with the same id and stores nothing more.
  const again = await upload(
    c.conversationId,
    c.token,
    webchatForm(message('wc-1', 'voici le colis'), [{ bytes: jpeg, name: 'colis.jpg', type: 'image/jpeg' }]),
  );
  expect(((await again.json()) as { id: string }).id).toBe(id);
  expect(await app().app.attachments.list(c.conversationId)).toHaveLength(1);

  // An altered signature, another file's signature, no signature: refused.
  const altered = new URL(local(att!.contentUrl));
  altered.searchParams.set('sig', `${altered.searchParams.get('sig')!.slice(0, -2)}AA`);
  expect((await fetch(altered)).status).toBe(403);
  const unsigned = new URL(local(att!.contentUrl));
  unsigned.search = '';
  expect((await fetch(unsigned)).status).toBe(403);
});

test('several files in one upload, without text', async () => {
  const c = await start();
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } })
    .png()
    .toBuffer();
  const res = await upload(
    c.conversationId,
    c.token,
    webchatForm(message('wc-2'), [
      { bytes: await photo(), name: 'a.jpg', type: 'image/jpeg' },
      { bytes: png, name: 'b.png', type: 'image/png' },
    ]),
  );
  expect(res.status).toBe(200);
  const mine = (await activities(c.conversationId, c.token)).find((a) => a.channelData?.clientActivityID === 'wc-2')!;
  expect(mine.attachments!.map((a) => [a.name, a.contentType])).toEqual([
    ['a.jpg', 'image/jpeg'],
    ['b.png', 'image/png'],
  ]);
});

test('a wrong type is a 415 and a file too large a 413: nothing stored, no message', async () => {
  const c = await start();
  const before = (await activities(c.conversationId, c.token)).length;
  const html = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');
  const disguised = await upload(
    c.conversationId,
    c.token,
    webchatForm(message('wc-3'), [{ bytes: html, name: 'colis.jpg', type: 'image/jpeg' }]),
  );
  expect(disguised.status).toBe(415);
  expect(((await disguised.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

  // A good file beside a refused one: the upload is refused as a whole.
  const mixed = await upload(
    c.conversationId,
    c.token,
    webchatForm(message('wc-4'), [
      { bytes: await photo(), name: 'a.jpg', type: 'image/jpeg' },
      { bytes: html, name: 'b.jpg', type: 'image/jpeg' },
    ]),
  );
  expect(mixed.status).toBe(415);

  const big = await upload(
    c.conversationId,
    c.token,
    webchatForm(message('wc-5'), [{ bytes: Buffer.alloc(MAX_BYTES + 1, 1), name: 'big.jpg', type: 'image/jpeg' }]),
  );
  expect(big.status).toBe(413);
  expect(((await big.json()) as { error: { code: string } }).error.code).toBe('ATTACHMENT_TOO_LARGE');

  expect(await app().app.attachments.list(c.conversationId)).toEqual([]);
  expect(await activities(c.conversationId, c.token)).toHaveLength(before);
});

test('an upload without a token, with another conversation token, or without a file is refused', async () => {
  const c = await start();
  const other = await start();
  const form = () => webchatForm(message('wc-6'), [{ bytes: Buffer.from('x'), name: 'a.jpg', type: 'image/jpeg' }]);
  const none = await fetch(`${DL()}/conversations/${c.conversationId}/upload`, { method: 'POST', body: form() });
  expect(none.status).toBe(401);
  expect((await upload(c.conversationId, other.token, form())).status).toBe(403);
  const noFile = await upload(c.conversationId, c.token, webchatForm(message('wc-7'), []));
  expect(noFile.status).toBe(400);
  const six = Array.from({ length: 6 }, (_, i) => ({ bytes: Buffer.from('x'), name: `${i}.jpg`, type: 'image/jpeg' }));
  expect((await upload(c.conversationId, c.token, webchatForm(message('wc-8'), six))).status).toBe(400);
  const notMultipart = await fetch(`${DL()}/conversations/${c.conversationId}/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(notMultipart.status).toBe(400);
  expect(await app().app.attachments.list(c.conversationId)).toEqual([]);
});

test("an agent's file reaches Web Chat as an attachment of the agent's activity, from our URL", async () => {
  const c = await start();
  const posted = await fetch(`${DL()}/conversations/${c.conversationId}/activities`, {
    method: 'POST',
    headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'message', text: 'je veux parler à un conseiller', from: { id: 'dl_user' } }),
  });
  expect(posted.status).toBe(200);
  const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#0a0' } })
    .png()
    .toBuffer();
  const body = JSON.stringify({
    type: 'agent.message',
    conversationId: c.conversationId,
    agent: { name: 'Camille' },
    text: 'Voici le bon de retour',
    attachment: { data: png.toString('base64'), name: 'bon.png', contentType: 'image/png' },
  });
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const at = new Date();
  const sent = await fetch(`${app().base}/api/agent/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(AGENT_SECRET).sign(id, at, body),
    },
    body,
  });
  expect(sent.status).toBe(202);
  const fromAgent = (await activities(c.conversationId, c.token)).find((a) => a.text === 'Voici le bon de retour')!;
  expect(fromAgent.from).toMatchObject({ id: 'bot', name: 'Camille', role: 'bot' });
  expect(fromAgent.attachments).toEqual([
    { contentType: 'image/png', name: 'bon.png', contentUrl: expect.any(String), thumbnailUrl: expect.any(String) },
  ]);
  const dl = await fetch(local(fromAgent.attachments![0]!.contentUrl));
  expect(dl.status).toBe(200);
  expect((await sharp(Buffer.from(await dl.arrayBuffer())).metadata()).width).toBe(20);
});

test('an upload counts as a posted message for the rate limit: over it, 429 and nothing stored', async () => {
  const limited = await startApp({ HANDOFF_TRIGGERS: '', RATE_LIMITS: 'on', RATE_LIMIT_MESSAGES_PER_MINUTE: '2' });
  try {
    const started = await fetch(`${limited.base}/v3/directline/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const c = (await started.json()) as { conversationId: string; token: string };
    const jpeg = await photo();
    const send = (n: number) =>
      fetch(`${limited.base}/v3/directline/conversations/${c.conversationId}/upload?userId=dl_user`, {
        method: 'POST',
        headers: { authorization: `Bearer ${c.token}` },
        body: webchatForm(message(`rl-${n}`), [{ bytes: jpeg, name: `p${n}.jpg`, type: 'image/jpeg' }]),
      });
    expect((await send(1)).status).toBe(200);
    expect((await send(2)).status).toBe(200);
    const third = await send(3);
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect(await limited.app.attachments.list(c.conversationId)).toHaveLength(2);
  } finally {
    await limited.close();
  }
});
