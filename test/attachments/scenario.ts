/**
 * The attachments scenario both back ends run (attachments.test.ts on a SQLite file, attachments.pg.test.ts on
 * PostgreSQL): uploads and downloads through the widget API of the real app on loopback, signed links, limits and
 * quotas, and the erasure of a conversation's files.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { startApp, type StartedApp } from '../support/app';
import type { TestEnv } from '../support/config';

export interface Customer {
  conversationId: string;
  token: string;
}

export const ADMIN = 'admin-token-attachments-0123456789';

export async function start(env: TestEnv): Promise<StartedApp> {
  return startApp({ ADMIN_TOKENS: `admin:admin:${ADMIN}`, PUBLIC_URL: 'https://bot.shop.example', ...env });
}

export async function newCustomer(base: string): Promise<Customer> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lang: 'fr' }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Customer;
}

/** A multipart upload as a browser sends it (FormData). */
export function upload(
  base: string,
  c: Customer,
  file: { bytes: Buffer; name: string; type?: string } | undefined,
  opts: { text?: string; token?: string; field?: string } = {},
) {
  const form = new FormData();
  if (file) form.append(opts.field ?? 'file', new Blob([file.bytes], { type: file.type ?? '' }), file.name);
  if (opts.text !== undefined) form.append('text', opts.text);
  return fetch(`${base}/api/conversations/${c.conversationId}/attachments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${opts.token ?? c.token}` },
    body: form,
  });
}

export const download = (base: string, c: Customer, id: string, token = c.token) =>
  fetch(`${base}/api/conversations/${c.conversationId}/attachments/${id}`, {
    headers: { authorization: `Bearer ${token}` },
  });

/** A photo as a phone takes it: with the camera's EXIF and the GPS position of the place. */
export function photoWithGps(width = 640, height = 480): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'SecretPhoneMaker', Model: 'Model-X1', Copyright: 'Alice Martin' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 24/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 21/1 3/1',
      },
    })
    .toBuffer();
}

/** A noisy photo (JPEG compresses noise poorly) of about `bytes` bytes. */
export async function bigPhoto(bytes: number): Promise<Buffer> {
  const side = Math.round(Math.sqrt(bytes / 1.4));
  const raw = randomBytes(side * side * 3);
  return sharp(raw, { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 100 })
    .toBuffer();
}

export const png = () =>
  sharp({ create: { width: 32, height: 32, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } } })
    .png()
    .toBuffer();

export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
);

type Ref = { id: string; name: string; contentType: string; size: number };
type UploadBody = { attachment: Ref; replies: { text: string; source: { kind: string } }[] };
type ErrorBody = { error: { code: string; message: string } };

/** The tests of the scenario, on the app `app()` returns (started by the caller on its back end). */
export function attachmentTests(app: () => StartedApp): void {
  const base = () => app().base;

  test('a photo with EXIF and GPS is stored without them, as a JPEG, and comes back as a customer message', async () => {
    const c = await newCustomer(base());
    const photo = await photoWithGps();
    expect((await sharp(photo).metadata()).exif).toBeDefined();
    expect(photo.includes('SecretPhoneMaker')).toBe(true);
    const res = await upload(base(), c, { bytes: photo, name: 'colis abîmé.jpg', type: 'image/jpeg' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as UploadBody;
    expect(body.attachment).toMatchObject({ name: 'colis abîmé.jpg', contentType: 'image/jpeg' });
    expect(body.attachment.id).toMatch(/^att_/);
    expect(body.replies[0]!.text).toContain('colis abîmé.jpg');
    const got = await download(base(), c, body.attachment.id);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-disposition')).toBe(
      `inline; filename="colis ab_m_.jpg"; filename*=UTF-8''colis%20ab%C3%AEm%C3%A9.jpg`,
    );
    expect(got.headers.get('cache-control')).toMatch(/^private/);
    const bytes = Buffer.from(await got.arrayBuffer());
    expect(bytes.length).toBe(body.attachment.size);
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 640, height: 480 });
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    for (const needle of ['SecretPhoneMaker', 'Model-X1', 'Alice Martin', 'Exif\0\0'])
      expect([needle, bytes.includes(needle)]).toEqual([needle, false]);
    // The message, with its file, in GET messages.
    const list = await fetch(`${base()}/api/conversations/${c.conversationId}/messages`, {
      headers: { authorization: `Bearer ${c.token}` },
    });
    const { messages } = (await list.json()) as { messages: { from: string; text: string; attachments?: Ref[] }[] };
    expect(messages.find((m) => m.from === 'customer')).toEqual(
      expect.objectContaining({ text: '', attachments: [body.attachment] }),
    );
  });

  test('the event stream carries the message with its attachment', async () => {
    const c = await newCustomer(base());
    const ref = ((await (await upload(base(), c, { bytes: await png(), name: 'a.png' })).json()) as UploadBody)
      .attachment;
    const ctl = new AbortController();
    const res = await fetch(`${base()}/api/conversations/${c.conversationId}/events?token=${c.token}`, {
      signal: ctl.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    try {
      while (!/event: message\ndata: .*"from":"customer"/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    } finally {
      ctl.abort();
    }
    const line = text.split('\n').find((l) => l.startsWith('data: ') && l.includes('"from":"customer"'))!;
    expect(JSON.parse(line.slice(6))).toMatchObject({ from: 'customer', text: '', attachments: [ref] });
  });

  test('PNG stays PNG, a PDF is served as a download, and the text field is the message', async () => {
    const c = await newCustomer(base());
    const p = (await (
      await upload(base(), c, { bytes: await png(), name: 'a.png', type: 'image/png' })
    ).json()) as UploadBody;
    expect(p.attachment.contentType).toBe('image/png');
    const res = await upload(
      base(),
      c,
      { bytes: PDF, name: 'facture.pdf', type: 'application/pdf' },
      { text: 'ma facture' },
    );
    expect(res.status).toBe(201);
    const d = (await res.json()) as UploadBody;
    expect(d.attachment).toEqual({
      id: d.attachment.id,
      name: 'facture.pdf',
      contentType: 'application/pdf',
      size: PDF.length,
    });
    const got = await download(base(), c, d.attachment.id);
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="facture.pdf"/);
    expect(Buffer.from(await got.arrayBuffer()).equals(PDF)).toBe(true);
  });

  test('a 9 MB photo is accepted; 10 MiB + 1 byte is refused with 413 and stores nothing', async () => {
    const c = await newCustomer(base());
    const photo = await bigPhoto(9_300_000);
    expect(photo.length).toBeGreaterThan(9_000_000);
    expect(photo.length).toBeLessThanOrEqual(10_485_760);
    const ok = await upload(base(), c, { bytes: photo, name: 'big.jpg', type: 'image/jpeg' });
    expect(ok.status).toBe(201);
    const over = Buffer.concat([photo, randomBytes(10_485_761 - photo.length)]);
    const res = await upload(base(), c, { bytes: over, name: 'huge.jpg', type: 'image/jpeg' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error.code).toBe('ATTACHMENT_TOO_LARGE');
    expect(await app().app.attachments.list(c.conversationId)).toHaveLength(1);
  }, 60_000);

  test('a disguised file (HTML named .jpg) and a type mismatch are refused with 415', async () => {
    const c = await newCustomer(base());
    const html = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');
    const res = await upload(base(), c, { bytes: html, name: 'photo.jpg', type: 'image/jpeg' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const pdfAsPng = await upload(base(), c, { bytes: PDF, name: 'scan.png', type: 'image/png' });
    expect(pdfAsPng.status).toBe(415);
    expect(((await pdfAsPng.json()) as ErrorBody).error.message).toContain('application/pdf');
    expect(await app().app.attachments.list(c.conversationId)).toEqual([]);
  });

  test('the 11th file of a conversation is refused with 429; refusals counted nothing', async () => {
    const c = await newCustomer(base());
    const image = await png();
    // A refused upload first: it must not take one of the ten places.
    expect((await upload(base(), c, { bytes: Buffer.from('nope'), name: 'x.jpg' })).status).toBe(415);
    for (let i = 0; i < 10; i++)
      expect((await upload(base(), c, { bytes: image, name: `p${i}.png`, type: 'image/png' })).status).toBe(201);
    const res = await upload(base(), c, { bytes: image, name: 'p10.png', type: 'image/png' });
    expect(res.status).toBe(429);
    const err = ((await res.json()) as ErrorBody).error;
    expect(err.code).toBe('ATTACHMENT_QUOTA_EXCEEDED');
    expect(err.message).toContain('10 files');
  });

  test("another conversation's token, or none, is refused with 401 for uploads and downloads", async () => {
    const a = await newCustomer(base());
    const b = await newCustomer(base());
    const ref = ((await (await upload(base(), a, { bytes: await png(), name: 'a.png' })).json()) as UploadBody)
      .attachment;
    const up = await upload(base(), a, { bytes: await png(), name: 'b.png' }, { token: b.token });
    expect(up.status).toBe(401);
    expect((await download(base(), a, ref.id, b.token)).status).toBe(401);
    const none = await fetch(`${base()}/api/conversations/${a.conversationId}/attachments/${ref.id}`);
    expect(none.status).toBe(401);
    // b's own conversation does not serve a's file either.
    expect((await download(base(), { ...b }, ref.id)).status).toBe(404);
    expect(await app().app.attachments.list(a.conversationId)).toHaveLength(1);
  });

  test('a bad body is a 400 naming what is wrong', async () => {
    const c = await newCustomer(base());
    const none = await upload(base(), c, undefined, { text: 'hello' });
    expect(none.status).toBe(400);
    expect(((await none.json()) as ErrorBody).error.message).toContain('field "file"');
    const wrongField = await upload(base(), c, { bytes: await png(), name: 'a.png' }, { field: 'photo' });
    expect(wrongField.status).toBe(400);
    expect(((await wrongField.json()) as ErrorBody).error.message).toContain('"photo"');
    const json = await fetch(`${base()}/api/conversations/${c.conversationId}/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
      body: '{"file":"x"}',
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as ErrorBody).error.message).toContain('multipart/form-data');
  });

  test('a signed URL opens the file; an altered or expired one is refused', async () => {
    const c = await newCustomer(base());
    const ref = ((await (await upload(base(), c, { bytes: await png(), name: 'a.png' })).json()) as UploadBody)
      .attachment;
    const links = app().app.attachmentLinks;
    const signed = new URL(links.url(c.conversationId, ref.id, new Date()));
    expect(signed.origin).toBe('https://bot.shop.example');
    const local = (u: URL) => fetch(`${base()}${u.pathname}${u.search}`);
    const ok = await local(signed);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    const altered = new URL(signed);
    altered.searchParams.set('expires', String(Number(signed.searchParams.get('expires')) + 1));
    const bad = await local(altered);
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as ErrorBody).error.code).toBe('BAD_SIGNATURE');
    const expired = new URL(links.url(c.conversationId, ref.id, new Date(Date.now() - 8 * 86_400_000)));
    const late = await local(expired);
    expect(late.status).toBe(401);
    expect(((await late.json()) as ErrorBody).error.message).toMatch(/expired at \d{4}-/);
  });

  test("an erased conversation's files are gone (404)", async () => {
    const c = await newCustomer(base());
    const ref = ((await (await upload(base(), c, { bytes: await photoWithGps(), name: 'p.jpg' })).json()) as UploadBody)
      .attachment;
    const signed = new URL(app().app.attachmentLinks.url(c.conversationId, ref.id, new Date()));
    const erased = await app().app.privacy.erase({ conversationId: c.conversationId }, 'test');
    expect(erased.counts).toMatchObject({ conversations: 1, attachments: 1 });
    const res = await fetch(`${base()}${signed.pathname}${signed.search}`);
    expect(res.status).toBe(404);
    expect(await app().app.attachments.list(c.conversationId)).toEqual([]);
  });
}
