/**
 * The attachments capability without HTTP: names, the type read from the bytes, the re-encoding (metadata gone,
 * orientation applied, same family, pixel cap) and the service's limits, on the memory store; and the privacy
 * service's retention and export counting files.
 */
import sharp from 'sharp';
import { AttachmentService } from '../../src/attachments/service';
import { inspect } from '../../src/attachments/inspect';
import { sanitizeName } from '../../src/attachments/names';
import { newConversationState } from '../../src/domain/conversation';
import { Privacy } from '../../src/privacy/service';
import { MemoryConversationStore } from '../../src/storage/memory';
import { PDF, photoWithGps, png } from './scenario';

const LIMITS = {
  maxBytes: 1_000_000,
  perConversation: 3,
  bytesPerConversation: 2_000_000,
  maxPixels: 4_000_000,
  maxSide: 800,
};

async function setUp(now = () => new Date()) {
  const store = new MemoryConversationStore();
  await store.create(newConversationState({ id: 'c1', at: now().toISOString(), channel: 'widget' }));
  return { store, service: new AttachmentService(store.attachmentStore(), LIMITS, now) };
}

describe('names', () => {
  test('no folder, no control or bidi characters, at most 200 characters with the extension kept', () => {
    expect(sanitizeName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeName('C:\\Users\\alice\\photo.jpg')).toBe('photo.jpg');
    expect(sanitizeName('fac\u0000ture\u202egpj.exe')).toBe('facturegpj.exe');
    expect(sanitizeName('  ')).toBe('file');
    expect(sanitizeName('.htaccess')).toBe('htaccess');
    const long = sanitizeName(`${'é'.repeat(300)}.jpeg`);
    expect([...long]).toHaveLength(200);
    expect(long.endsWith('é.jpeg')).toBe(true);
  });
});

describe('the type is read from the bytes', () => {
  test('JPEG, PNG, WebP and PDF are recognised whatever the name says when it says nothing', async () => {
    expect(await inspect(await photoWithGps(), 'IMG_0001', undefined)).toBe('jpeg');
    expect(await inspect(await png(), 'scan', 'application/octet-stream')).toBe('png');
    const webp = await sharp(await png())
      .webp()
      .toBuffer();
    expect(await inspect(webp, 'x.webp', 'image/webp')).toBe('webp');
    expect(await inspect(PDF, 'facture.pdf', 'application/pdf')).toBe('pdf');
  });

  test('a GIF, an SVG or a name that lies is refused with 415 naming the file', async () => {
    const gif = await sharp(await png())
      .gif()
      .toBuffer();
    await expect(inspect(gif, 'a.gif', 'image/gif')).rejects.toMatchObject({
      status: 415,
      message: expect.stringContaining('image/gif'),
    });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    await expect(inspect(svg, 'logo.png', 'image/png')).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    await expect(inspect(await png(), 'photo.jpg', undefined)).rejects.toMatchObject({
      status: 415,
      message: '"photo.jpg" is named .jpg but its content is image/png',
    });
  });
});

describe('AttachmentService', () => {
  test('images are re-encoded in their family, resized to the max side, upright, without metadata', async () => {
    const { service, store } = await setUp();
    // Taken sideways: EXIF orientation 6 (rotate 90°) on a 1600x1000 photo.
    const sideways = await sharp({ create: { width: 1600, height: 1000, channels: 3, background: 'green' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const ref = await service.accept({ conversationId: 'c1', name: 'side.jpg', bytes: sideways });
    const stored = await store.attachmentStore().get('c1', ref.id);
    const meta = await sharp(stored!.bytes).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 500, height: 800 });
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
    const webp = await service.accept({
      conversationId: 'c1',
      name: 'w.webp',
      bytes: await sharp(await png())
        .webp()
        .toBuffer(),
    });
    expect(webp.contentType).toBe('image/webp');
  });

  test('too large (413), too many pixels (413) and a full quota (429) store nothing', async () => {
    const { service, store } = await setUp();
    await expect(
      service.accept({ conversationId: 'c1', name: 'big', bytes: Buffer.alloc(1_000_001) }),
    ).rejects.toMatchObject({
      code: 'ATTACHMENT_TOO_LARGE',
      status: 413,
    });
    const huge = await sharp({ create: { width: 2100, height: 2000, channels: 3, background: 'white' } })
      .png()
      .toBuffer();
    await expect(service.accept({ conversationId: 'c1', name: 'huge.png', bytes: huge })).rejects.toMatchObject({
      status: 413,
      message: expect.stringContaining('2100×2000 pixels'),
    });
    for (let i = 0; i < 3; i++) await service.accept({ conversationId: 'c1', name: `${i}.png`, bytes: await png() });
    await expect(service.accept({ conversationId: 'c1', name: 'x.png', bytes: await png() })).rejects.toMatchObject({
      code: 'ATTACHMENT_QUOTA_EXCEEDED',
      status: 429,
    });
    expect(await store.attachmentStore().usage('c1')).toMatchObject({ files: 3 });
  });

  test('an undecodable HEIC is refused with 415 telling what to send instead', async () => {
    const { service } = await setUp();
    // An ISO-BMFF header with the heic brand (what file-type reads) and no decodable image after it.
    const heic = Buffer.concat([
      Buffer.from([0, 0, 0, 0x18]),
      Buffer.from('ftypheic\0\0\0\0heicmif1'),
      Buffer.alloc(64),
    ]);
    await expect(service.accept({ conversationId: 'c1', name: 'IMG_1.HEIC', bytes: heic })).rejects.toMatchObject({
      status: 415,
      message: expect.stringContaining('send it as JPEG'),
    });
  });
});

describe('privacy counts files', () => {
  test('the retention job erases an idle conversation with its files, counted; the export lists them', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const { store, service } = await setUp(() => now);
    const ref = await service.accept({ conversationId: 'c1', name: 'p.png', bytes: await png() });
    const privacy = new Privacy(store, { retentionDays: 30, outboxTranscriptDays: 30, now: () => now });
    const exported = await privacy.export({ conversationId: 'c1' }, 'test');
    expect(exported.conversations[0]!.attachments).toEqual([ref]);
    now = new Date('2026-03-01T00:00:00Z');
    const r = await privacy.retention();
    expect(r.erased).toEqual(['c1']);
    expect(r.counts).toMatchObject({ conversations: 1, attachments: 1 });
    expect(await store.attachmentStore().list('c1')).toEqual([]);
  });
});
