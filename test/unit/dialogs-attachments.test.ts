/**
 * The attachment slot type (dialogs/FORMAT.md): validation of `accept`, `max`, `required`, the values it writes,
 * what typed text it takes, and its position surviving a restart. Whole conversations are in
 * test/dialogs/{damaged-delivery,warranty-check,attachments}.yaml.
 */
import type { Connector } from '../../src/connectors/types';
import { formatIssue } from '../../src/domain/errors';
import type { AttachmentRef } from '../../src/domain/types';
import { acceptsType } from '../../src/dialogs/attachments';
import { loadDialogFiles } from '../../src/dialogs/loader';
import { DialogRunner } from '../../src/dialogs/runner';
import type { AskStep } from '../../src/dialogs/schema';
import { isSkip, parseSlot } from '../../src/dialogs/slots';
import { MemoryConversationStore } from '../../src/storage/memory';
import { buildCore } from '../../src/app';
import { testConfig } from '../support/config';

const msg = (s: string) => `{ fr: "${s} fr", ro: "${s} ro", en: "${s} en" }`;
const dialog = (steps: string) => `id: demo\ntitle: ${msg('Demo')}\nsteps:\n${steps}`;
const ask = (slot: string, type: string, extra = '') =>
  `  - ask: ${slot}\n    type: ${type}\n    prompt: ${msg(`prompt ${slot}`)}\n    retry: ${msg(`retry ${slot}`)}\n    help: ${msg(`help ${slot}`)}\n${extra}`;
const load = (source: string) => loadDialogFiles([{ file: 'dialogs/demo.yaml', source }]);
const file = (name: string, contentType: string, id = name): AttachmentRef => ({ id, name, contentType, size: 1000 });
const none: Connector = { lookup: async () => null };

describe('attachment slot validation', () => {
  it('accepts accept/max/required on an attachment step and names <slot>Ids and <slot>Count in templates', () => {
    const r = load(
      dialog(
        `${ask('photos', 'attachment', '    accept: [image/*, application/pdf]\n    max: 3\n    required: false\n')}` +
          `  - end: ${msg('{photosCount} file(s): {photos} ({photosIds})')}\n`,
      ),
    );
    expect(r.errors.map(formatIssue)).toEqual([]);
  });

  it('refuses the attachment keys on other types, a malformed content type and a max over 10', () => {
    const ms = load(
      dialog(
        `${ask('n', 'text', '    accept: [image/*]\n    max: 2\n')}` +
          `${ask('p', 'attachment', '    accept: [images]\n')}` +
          `${ask('q', 'attachment', '    max: 11\n')}` +
          `  - end: ${msg('{nCount}')}\n`,
      ),
    ).errors.map((i) => `${i.path}: ${i.message}`);
    expect(ms).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^steps\[1\]\.accept\[0\]: .*content type like application\/pdf/),
        expect.stringMatching(/^steps\[2\]\.max: /),
      ]),
    );
    const misplaced = load(
      dialog(`${ask('n', 'text', '    accept: [image/*]\n    max: 2\n')}  - end: ${msg('{nCount}')}\n`),
    ).errors.map((i) => `${i.path}: ${i.message}`);
    expect(misplaced).toEqual([
      'steps[0].accept: `accept` only applies to type attachment, not text',
      'steps[0].max: `max` only applies to type attachment, not text',
      'steps[1].end.fr: "nCount" is not a slot of this dialog',
      'steps[1].end.ro: "nCount" is not a slot of this dialog',
      'steps[1].end.en: "nCount" is not a slot of this dialog',
    ]);
  });
});

describe('attachment slot values', () => {
  const step = { ask: 'photo', type: 'attachment', accept: ['image/*'] } as AskStep;

  it('takes a typed http(s) link instead of a file, nothing else typed', () => {
    const today = '2026-11-25';
    expect(parseSlot(step, ' https://photos.example/colis.jpg ', 'fr', today)).toEqual({
      ok: true,
      value: 'https://photos.example/colis.jpg',
    });
    expect(parseSlot(step, 'http://x.example/a?b=1', 'en', today).ok).toBe(true);
    for (const t of ['colis.jpg', 'ftp://x.example/a.jpg', 'javascript:alert(1)', 'voici https://x.example/a.jpg'])
      expect(parseSlot(step, t, 'fr', today)).toEqual({ ok: false });
    expect(parseSlot(step, `https://x.example/${'a'.repeat(2000)}`, 'fr', today)).toEqual({ ok: false });
  });

  it('reads types and families case-insensitively; no accept takes what the channel stored', () => {
    expect(acceptsType(step, 'image/heic')).toBe(true);
    expect(acceptsType(step, 'IMAGE/JPEG')).toBe(true);
    expect(acceptsType(step, 'application/pdf')).toBe(false);
    expect(acceptsType({ ...step, accept: ['application/pdf'] }, 'application/pdf')).toBe(true);
    expect(acceptsType({ ...step, accept: ['application/pdf'] }, 'application/pdfx')).toBe(false);
    expect(acceptsType({ ask: 'f', type: 'attachment' } as AskStep, 'application/zip')).toBe(true);
  });

  it('knows "no photo" and "no invoice" in the three languages as a skip', () => {
    for (const t of [
      'Passer',
      'sans photo',
      'pas de facture',
      'Sari peste',
      'fără poză',
      'nu am factura',
      'skip',
      'No photo',
      'no invoice',
    ])
      expect([t, isSkip(t)]).toEqual([t, true]);
    for (const t of ['photo', 'voici la photo', 'facture']) expect([t, isSkip(t)]).toEqual([t, false]);
  });
});

describe('DialogRunner attachment step', () => {
  const set = load(
    dialog(
      `${ask('photos', 'attachment', '    accept: [image/*]\n    max: 3\n    maxAttempts: 2\n')}` +
        `${ask('note', 'text')}  - end: ${msg('{photosCount}: {photos} / {photosIds} / {note}')}\n`,
    ),
  ).set!;
  const runner = new DialogRunner(set, none);

  it('keeps the files taken so far in the state (strings only, through a restart), then writes the slots', async () => {
    let t = await runner.start('demo', 'en');
    t = await runner.answer(t.state!, '', 'en', [file('a.jpg', 'image/jpeg', 'id-a')]);
    expect(t.replies.map((r) => r.text)).toEqual([
      'Photo "a.jpg" received. You can send up to 2 more, or click "Continue".',
    ]);
    // The stored state is JSON: what was taken must survive a restart as it is.
    const stored = JSON.parse(JSON.stringify(t.state));
    expect(Object.values(stored.slots).every((v) => typeof v === 'string')).toBe(true);
    t = await runner.answer(stored, '', 'en', [file('b.png', 'image/png', 'id-b')]);
    expect(t.replies[0]!.text).toBe('Photo "b.png" received. You can send one more, or click "Continue".');
    t = await runner.answer(t.state!, 'done', 'en');
    expect(t.replies.map((r) => r.text)).toEqual(['prompt note en']);
    expect(t.state!.slots).toEqual({ photos: 'a.jpg, b.png', photosIds: 'id-a id-b', photosCount: '2' });
    t = await runner.answer(t.state!, 'box crushed', 'en');
    expect(t).toMatchObject({ ended: 'resolved', replies: [{ text: '2: a.jpg, b.png / id-a id-b / box crushed en' }] });
  });

  it('a required step is not skippable; wrong types count as failed attempts, then a person is offered', async () => {
    let t = await runner.start('demo', 'fr');
    expect(t.replies[0]!.suggestions).toBeUndefined();
    t = await runner.answer(t.state!, 'passer', 'fr');
    expect(t.replies[0]!.text).toBe('retry photos fr');
    t = await runner.answer(t.state!, '', 'fr', [file('doc.pdf', 'application/pdf')]);
    expect(t).toMatchObject({ ended: 'failed', state: null, replies: [{ suggestions: [{ value: 'handoff' }] }] });
  });
});

describe('engine', () => {
  it('acknowledges a file sent alone, stores it with the customer message, and never counts it as misunderstood', async () => {
    const { engine } = buildCore(testConfig(), new MemoryConversationStore());
    const conv = await engine.createConversation({ channel: 'test', lang: 'fr' });
    const photo = file('colis.jpg', 'image/jpeg', 'att-1');
    for (let i = 0; i < 2; i++) {
      const [reply] = await engine.handle({ conversationId: conv.id, channel: 'test', attachments: [photo] });
      // Not the "I received no text" answer: the file is acknowledged by name.
      expect(reply).toMatchObject({ source: { kind: 'smalltalk', id: 'attachment' } });
      expect(reply!.text).toMatch(/^Photo « colis\.jpg » reçue\. /);
    }
    const messages = await engine.transcript(conv.id);
    expect(messages.filter((m) => m.from === 'customer').map((m) => m.attachments)).toEqual([[photo], [photo]]);
    const state = (await engine.getConversation(conv.id))!;
    // Two fallbacks in a row would have handed the conversation to a person.
    expect([state.misunderstandings, state.handoff]).toEqual([0, null]);
  });
});
