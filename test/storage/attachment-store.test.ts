import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../src/domain/errors';
import { newConversationState } from '../../src/domain/conversation';
import { MemoryConversationStore } from '../../src/storage/memory';
import type { StoredAttachment, Store } from '../../src/storage/ports';
import { SqlConversationStore } from '../../src/storage/sql/store';
import { freshPgDatabase } from '../support/postgres';

/**
 * The attachment store port: one contract on memory, SQLite and PostgreSQL (never skipped): bytes read back exactly,
 * files scoped to their conversation, the quota checked with the insert (concurrent uploads included), erasure.
 */
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'savbot-attachment-store-'));
let pg: Awaited<ReturnType<typeof freshPgDatabase>> | undefined;

afterAll(async () => {
  fs.rmSync(tmpDir, { recursive: true, force: true });
  await pg?.drop();
});

const backends: { name: string; open(): Promise<Store> }[] = [
  { name: 'memory', open: async () => new MemoryConversationStore() },
  {
    name: 'SQLite',
    open: () => SqlConversationStore.open({ sqliteFile: path.join(tmpDir, `${randomBytes(4).toString('hex')}.db`) }),
  },
  {
    name: 'PostgreSQL',
    async open() {
      pg ??= await freshPgDatabase('savbot_attachment_store');
      return SqlConversationStore.open({ url: pg.url });
    },
  },
];

const QUOTA = { maxFiles: 3, maxBytes: 1000 };

describe.each(backends)('attachment store: $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(() => store.close());

  async function conversation(): Promise<string> {
    const id = `c-${randomBytes(6).toString('hex')}`;
    await store.create(newConversationState({ id, at: new Date().toISOString(), channel: 'widget' }));
    return id;
  }
  const file = (conversationId: string, size: number, name = 'photo.jpg'): StoredAttachment => ({
    id: `att_${randomBytes(8).toString('hex')}`,
    conversationId,
    at: new Date().toISOString(),
    name,
    contentType: 'image/jpeg',
    size,
    bytes: randomBytes(size),
  });

  test('bytes, name and type read back exactly, only from their own conversation', async () => {
    const a = await conversation();
    const b = await conversation();
    const f = file(a, 300, 'colis abîmé – ăîșț.jpg');
    f.bytes[0] = 0; // a NUL byte survives too
    expect(await store.attachmentStore().put(f, QUOTA)).toBe('stored');
    const got = await store.attachmentStore().get(a, f.id);
    expect(got).toEqual({ ...f, bytes: expect.any(Buffer) });
    expect(got!.bytes.equals(f.bytes)).toBe(true);
    expect(await store.attachmentStore().get(b, f.id)).toBeUndefined();
    expect(await store.attachmentStore().list(a)).toEqual([
      { id: f.id, name: f.name, contentType: 'image/jpeg', size: 300 },
    ]);
    expect(await store.attachmentStore().list(b)).toEqual([]);
    expect(await store.attachmentStore().usage(a)).toEqual({ files: 1, bytes: 300 });
  });

  test('the quota refuses the file that would go over, by count or by bytes, and stores nothing', async () => {
    const a = await conversation();
    const s = store.attachmentStore();
    expect(await s.put(file(a, 600), QUOTA)).toBe('stored');
    expect(await s.put(file(a, 401), QUOTA)).toBe('bytes');
    expect(await s.put(file(a, 200), QUOTA)).toBe('stored');
    expect(await s.put(file(a, 200), QUOTA)).toBe('stored');
    expect(await s.put(file(a, 1), QUOTA)).toBe('files');
    expect(await s.usage(a)).toEqual({ files: 3, bytes: 1000 });
  });

  test('concurrent uploads cannot pass the quota together', async () => {
    const a = await conversation();
    const s = store.attachmentStore();
    const verdicts = await Promise.all(Array.from({ length: 8 }, () => s.put(file(a, 10), QUOTA)));
    expect(verdicts.filter((v) => v === 'stored')).toHaveLength(3);
    expect(await s.usage(a)).toEqual({ files: 3, bytes: 30 });
  });

  test('an unknown conversation is CONVERSATION_NOT_FOUND; delete removes one file', async () => {
    const s = store.attachmentStore();
    await expect(s.put(file('nope', 10), QUOTA)).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    await expect(s.put(file('nope', 10), QUOTA)).rejects.toBeInstanceOf(AppError);
    const a = await conversation();
    const f = file(a, 10);
    await s.put(f, QUOTA);
    expect(await s.delete(a, f.id)).toBe(true);
    expect(await s.delete(a, f.id)).toBe(false);
    expect(await s.get(a, f.id)).toBeUndefined();
  });

  test('erasing the conversation deletes its files (counted) and refuses new ones; messages lose their refs', async () => {
    const a = await conversation();
    const keep = await conversation();
    const s = store.attachmentStore();
    const f = file(a, 50);
    await s.put(f, QUOTA);
    await s.put(file(keep, 50), QUOTA);
    const ref = { id: f.id, name: f.name, contentType: f.contentType, size: f.size };
    await store.append(a, [{ at: new Date().toISOString(), from: 'customer', text: '', attachments: [ref] }]);
    expect((await store.transcript(a))[0]!.attachments).toEqual([ref]);
    expect(await store.eraseConversation(a, new Date())).toMatchObject({ messages: 1, attachments: 1 });
    expect(await s.get(a, f.id)).toBeUndefined();
    expect(await s.usage(a)).toEqual({ files: 0, bytes: 0 });
    expect((await store.transcript(a))[0]!.attachments).toBeUndefined();
    await expect(s.put(file(a, 10), QUOTA)).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    expect(await s.usage(keep)).toEqual({ files: 1, bytes: 50 });
  });

  test('messages keep their attachment refs through saveTurn (the hot paths) and pages', async () => {
    const a = await conversation();
    const state = (await store.get(a))!;
    const ref = { id: 'att_x', name: 'facture.pdf', contentType: 'application/pdf', size: 12 };
    const at = new Date().toISOString();
    const written = await store.saveTurn(state, [
      { at, from: 'customer', text: 'ma facture', attachments: [ref] },
      { at, from: 'bot', text: 'Merci.' },
    ]);
    expect(written[0]!.attachments).toEqual([ref]);
    const page = await store.messagesPage(a, { limit: 10 });
    expect(page.map((m) => m.attachments)).toEqual([[ref], undefined]);
  });
});
