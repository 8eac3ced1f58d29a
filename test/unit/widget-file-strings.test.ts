import { FILE_STRINGS, fileSize } from '../../src/channels/widget/client/attachStrings';

test("the widget's file words exist in fr, ro and en, all translated", () => {
  const keys = Object.keys(FILE_STRINGS.en).sort();
  const say = (v: unknown) => (typeof v === 'function' ? (v as (a: string, b: string) => string)('x.jpg', '5 MB') : v);
  for (const lang of ['fr', 'ro'] as const) {
    expect(Object.keys(FILE_STRINGS[lang]).sort()).toEqual(keys);
    const same = keys.filter(
      (k) =>
        say(FILE_STRINGS[lang][k as keyof typeof FILE_STRINGS.en]) ===
        say(FILE_STRINGS.en[k as keyof typeof FILE_STRINGS.en]),
    );
    expect({ lang, same }).toEqual({ lang, same: [] });
  }
  // Names and limits are part of the sentence, so the visitor knows which file and what the limit is.
  expect(FILE_STRINGS.fr.tooLarge('colis.jpg', '10 Mo')).toBe(
    'colis.jpg est trop volumineux : 10 Mo au maximum par fichier.',
  );
  expect(FILE_STRINGS.ro.wrongType('a.txt')).toContain('a.txt');
  expect(FILE_STRINGS.en.remove('colis.jpg')).toBe('Remove colis.jpg');
});

test('file sizes in each language: KB under a megabyte (at least 1), MB with one decimal, French units and comma', () => {
  expect(fileSize(0, 'en')).toBe('1 KB');
  expect(fileSize(2068, 'en')).toBe('2 KB');
  expect(fileSize(850 * 1024, 'fr')).toBe('850 Ko');
  expect(fileSize(10_485_760, 'fr')).toBe('10 Mo');
  expect(fileSize(2.45 * 1024 * 1024, 'fr')).toBe('2,5 Mo');
  expect(fileSize(2.45 * 1024 * 1024, 'en')).toBe('2.5 MB');
  expect(fileSize(1_300_000, 'ro')).toBe('1,2 MB');
});
