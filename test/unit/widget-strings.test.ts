import { pickLang, STRINGS } from '../../src/channels/widget/client/strings';

test('the widget language: data-lang, else <html lang> (regional forms too), else English', () => {
  expect(pickLang('ro', 'fr')).toBe('ro');
  expect(pickLang(undefined, 'fr-BE')).toBe('fr');
  expect(pickLang('', 'RO')).toBe('ro');
  expect(pickLang('de', 'fr')).toBe('fr');
  expect(pickLang('de', 'es-ES')).toBe('en');
  expect(pickLang(undefined, undefined)).toBe('en');
});

test('every UI string exists in fr, ro and en, translated (fr keeps the words French shares with English)', () => {
  const keys = Object.keys(STRINGS.en).sort();
  for (const lang of ['fr', 'ro'] as const) {
    expect(Object.keys(STRINGS[lang]).sort()).toEqual(keys);
    const same = keys.filter((k) => {
      const a = STRINGS[lang][k as keyof typeof STRINGS.en];
      const b = STRINGS.en[k as keyof typeof STRINGS.en];
      return typeof a === 'string'
        ? a === b
        : (a as (...x: number[]) => string)(2, 3) === (b as (...x: number[]) => string)(2, 3);
    });
    expect({ lang, same }).toEqual({ lang, same: lang === 'fr' ? ['assistant', 'suggestions'] : [] });
  }
  expect(STRINGS.fr.queued(2, 1)).toBe("Vous êtes n° 2 dans la file d'attente · attente estimée : 1 minute");
  expect([1, 3, 19, 20, 25, 100, 101].map((m) => STRINGS.ro.queued(1, m).split(': ').at(-1))).toEqual([
    '1 minut',
    '3 minute',
    '19 minute',
    '20 de minute',
    '25 de minute',
    '100 de minute',
    '101 minute',
  ]);
  expect(STRINGS.en.queued(3, 6)).toBe('You are number 3 in the queue · estimated wait: 6 minutes');
  // Without an estimate from the server (not enough data), no number of minutes.
  expect(STRINGS.en.queued(3)).toBe('You are number 3 in the queue · a person will answer as soon as possible');
  expect(STRINGS.ro.queued(1)).toBe('Poziția dumneavoastră în coadă: 1 · un consilier vă răspunde cât mai curând');
});

test('the words a Romanian conversation shows, and the feedback question in each language', () => {
  expect([STRINGS.ro.placeholder, STRINGS.ro.send, STRINGS.ro.you]).toEqual([
    'Scrieți întrebarea…',
    'Trimite',
    'Dumneavoastră',
  ]);
  expect([STRINGS.fr.helpful, STRINGS.ro.helpful, STRINGS.en.helpful]).toEqual([
    'Cette réponse vous a-t-elle aidé ?',
    'V-a fost util acest răspuns?',
    'Was this helpful?',
  ]);
});
