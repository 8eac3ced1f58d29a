/**
 * Content builds in a worker thread: the worker (TypeScript, loaded through tsx's hook even under jest) returns the
 * same content as a build in this thread, the matcher revived from its data answers exactly like the trained one,
 * invalid content comes back as located issues, and KB_BUILD_WORKER=off builds in-process.
 */
import { join, resolve } from 'node:path';
import { buildContent, buildParts } from '../../src/content/build';
import { ContentBuilder } from '../../src/content/builder';
import { readContentFiles } from '../../src/content/files';
import { selfTest } from '../../src/content/selfTest';
import { fromTransfer, toTransfer } from '../../src/content/transfer';
import { LANGS } from '../../src/domain/types';

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '..', '..');
const dirs = { kbDir: join(ROOT, 'knowledge-base'), dialogsDir: join(ROOT, 'dialogs') };
const files = readContentFiles(dirs);
const reference = buildContent(files, dirs, {}).content!;
// Every sample question, plus texts that take other paths (typos, full-text search, unknown words).
const probes = LANGS.flatMap((lang) => [
  ...reference.kb.entries.flatMap((e) => (e.questions[lang] ?? []).map((q) => ({ lang, q }))),
  ...['garentie combien de temps', 'washing machin broken', 'zzz qqq', 'livraison retour remboursement'].map((q) => ({
    lang,
    q,
  })),
]);

const builders: ContentBuilder[] = [];
afterAll(() => builders.forEach((b) => b.close()));

test('a matcher revived from its structured-cloned data answers every probe exactly like the trained one', async () => {
  const revived = (await fromTransfer(structuredClone(toTransfer(buildParts(files, dirs, {}))), {})).content!;
  expect(revived.kb).toStrictEqual(reference.kb);
  for (const { lang, q } of probes)
    expect(revived.matcher.match(q, lang)).toStrictEqual(reference.matcher.match(q, lang));
  for (const { q } of probes.slice(0, 50))
    expect(revived.detector.detect(q)).toStrictEqual(reference.detector.detect(q));
});

test('the worker builds the same content, with its self-test, and is used for later builds', async () => {
  const fallbacks: string[] = [];
  const b = new ContentBuilder('auto', (why) => fallbacks.push(why));
  builders.push(b);
  for (let i = 0; i < 2; i++) {
    const r = await b.build(files, dirs, {});
    expect(fallbacks).toStrictEqual([]);
    expect(b.fallbackReason).toBeUndefined();
    expect(r.content!.kb.version).toBe(reference.kb.version);
    // The self-test ran in the worker (the regression check's costly half).
    expect(r.confusions).toEqual(selfTest(reference, 2).confusions);
    for (const { lang, q } of probes.slice(0, 40))
      expect(r.content!.matcher.match(q, lang)).toStrictEqual(reference.matcher.match(q, lang));
    expect(r.content!.dialogs!.version).toBe(reference.dialogs!.version);
  }
});

test('invalid content built in the worker comes back as issues naming the file and line', async () => {
  const b = new ContentBuilder('auto');
  builders.push(b);
  const broken = { ...files, kb: { ...files.kb, 'warranty.yaml': 'topic: warranty\nentries:\n  - id: [oops\n' } };
  const r = await b.build(broken, dirs, {});
  expect(r.content).toBeUndefined();
  expect(r.failedAt).toBe('knowledge-base');
  expect(r.errors[0]).toMatchObject({ file: expect.stringMatching(/warranty\.yaml$/), line: expect.any(Number) });
  expect(b.fallbackReason).toBeUndefined();
});

test('KB_BUILD_WORKER=off: built in this thread, and said so', async () => {
  const b = new ContentBuilder('off');
  const r = await b.build(files, dirs, {});
  expect(r.content!.kb.version).toBe(reference.kb.version);
  expect(b.fallbackReason).toBe('KB_BUILD_WORKER=off');
});

test('a worker stopped during a build: the build finishes in-process, the next one starts another worker', async () => {
  const b = new ContentBuilder('auto');
  builders.push(b);
  const during = b.build(files, dirs, {});
  b.close();
  expect((await during).content!.kb.version).toBe(reference.kb.version);
  expect((await b.build(files, dirs, {})).content!.kb.version).toBe(reference.kb.version);
  expect(b.fallbackReason).toBeUndefined();
});
