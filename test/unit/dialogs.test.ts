import Ajv from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConnectorError, type Connector } from '../../src/connectors/types';
import { formatIssue } from '../../src/domain/errors';
import { loadDialogFiles } from '../../src/dialogs/loader';
import { DialogRunner } from '../../src/dialogs/runner';
import { dialogFileSchema, dialogJsonSchema, type AskStep } from '../../src/dialogs/schema';
import { parseDate, parseSlot, pickItem, prefill } from '../../src/dialogs/slots';

const ROOT = join(__dirname, '..', '..');
const msg = (s: string) => `{ fr: "${s} fr", ro: "${s} ro", en: "${s} en" }`;
const dialog = (steps: string, id = 'demo') => `id: ${id}
title: ${msg('Demo')}
steps:
${steps}`;
const ask = (slot: string, type: string, extra = '') => `  - ask: ${slot}
    type: ${type}
    prompt: ${msg(`prompt ${slot}`)}
    retry: ${msg(`retry ${slot}`)}
    help: ${msg(`help ${slot}`)}
${extra}`;

const load = (source: string, file = 'dialogs/demo.yaml') => loadDialogFiles([{ file, source }]);

describe('dialog validation', () => {
  it('loads the shipped dialogs, each started by the knowledge-base entry of the same name', () => {
    const dir = join(ROOT, 'dialogs');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => ({ file: f, source: readFileSync(join(dir, f), 'utf8') }));
    const r = loadDialogFiles(files);
    expect(r.errors.map(formatIssue)).toEqual([]);
    expect([...r.set!.dialogs.keys()].sort()).toEqual([
      'damaged-delivery',
      'order-tracking',
      'repair-status',
      'return-request',
      'warranty-check',
    ]);
  });

  it('refuses malformed YAML and wrong structure with file:line:column', () => {
    // The same parser and positions as the knowledge base (test/unit/loader.test.ts): where the yaml library
    // finds the error, here the end of the file.
    expect(load('id: demo\nsteps: [\n').errors.map(formatIssue)).toEqual([
      'dialogs/demo.yaml:3:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(load('id: demo\ntitle: x\ntitle: y\nsteps: []\n').errors.map(formatIssue)).toEqual([
      'dialogs/demo.yaml:3:1: YAML syntax: Map keys must be unique',
    ]);
    const ms = load(
      dialog(
        `${ask('n', 'colour')}  - lookup: repair\n    key: n\n    as: r\n    notFound: ${msg('x')}\n    colour: red\n`,
      ),
    ).errors.map(formatIssue);
    // Line 4 column 5: the first step (an unknown slot type); line 13 column 5: the unknown key of the second.
    expect(ms).toEqual([
      expect.stringMatching(/^dialogs\/demo\.yaml:4:5: steps\[0\]: /),
      'dialogs/demo.yaml:13:5: steps[1].colour: unknown key(s) "colour"',
    ]);
  });

  it('checks names, file names, lookups, branches and patterns', () => {
    const steps = `${ask('n', 'pattern', '    pattern: "([a-z"\n')}  - lookup: order
    key: missing
    as: order
    notFound: ${msg('not found {n}')}
  - say: ${msg('hello {nobody} {order.status|upper}')}
  - branch:
      - when: { order.status: shipped }
        end: ${msg('ok')}
        handoff: ${msg('both')}
      - when: { ghost.field: x }
        end: ${msg('no default')}
`;
    const ms = load(dialog(steps, 'other')).errors.map((i) => `${i.path}: ${i.message}`);
    expect(ms).toEqual(
      expect.arrayContaining([
        'id: dialog "other" must be in a file named other.yaml',
        expect.stringMatching(/^steps\[0\]\.pattern: invalid regular expression/),
        'steps[1].key: slot "missing" is not asked before this lookup',
        'steps[2].say.fr: "nobody" is not a slot of this dialog',
        'steps[2].say.fr: unknown filter "|upper" (known: |date, |daysAgo)',
        'steps[3].branch[0]: expected exactly one of `end`, `handoff` or `say`',
        'steps[3].branch[1].when.ghost.field: "ghost" is not a record looked up before this step',
        'steps[3].branch: the last case needs no `when`: it is the default when no other case matches',
      ]),
    );
  });

  it('publishes a JSON Schema that is current and agrees with the runtime validation', () => {
    const published = JSON.parse(readFileSync(join(ROOT, 'schema', 'dialog.schema.json'), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(dialogJsonSchema())));
    const validate = new Ajv({ strict: false }).compile(published);
    const docs: unknown[] = [
      ...readdirSync(join(ROOT, 'dialogs'))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => parse(readFileSync(join(ROOT, 'dialogs', f), 'utf8'))),
      parse(dialog(ask('n', 'text'))),
      parse(dialog(ask('n', 'colour'))),
      parse(dialog(ask('n', 'text', '    maxAttempts: 0\n'))),
      { id: 'x', title: { fr: 'a', ro: 'b' }, steps: [{ say: { fr: 'a', ro: 'b', en: 'c' } }] },
      { id: 'x', title: { fr: 'a', ro: 'b', en: 'c' }, steps: [] },
      {
        id: 'x',
        title: { fr: 'a', ro: 'b', en: 'c' },
        steps: [{ say: { fr: 'a', ro: 'b', en: 'c' }, when: { 'a.b': { after: 'tomorrow' } } }],
      },
    ];
    for (const d of docs) expect(validate(d)).toBe(dialogFileSchema.safeParse(d).success);
  });
});

describe('slot values', () => {
  const step = (type: AskStep['type'], extra: Partial<AskStep> = {}) =>
    ({ ask: 's', type, prompt: {}, retry: {}, help: {}, ...extra }) as AskStep;
  const today = '2026-11-25';
  it.each([
    ['orderNumber', 'ma commande mv 1234567 svp', 'MV-1234567'],
    ['orderNumber', 'MV-12', undefined],
    ['fileNumber', 'dossier r204518', 'R-204518'],
    ['date', '14/03/2025', '2025-03-14'],
    ['date', '2025-03-14', '2025-03-14'],
    ['date', '31/02/2025', undefined],
    ['date', 'hier', '2026-11-24'],
    ['date', 'ieri', '2026-11-24'],
    ['number', '3,5', '3.5'],
    ['yesno', 'oui merci', 'yes'],
    ['yesno', 'nu', 'no'],
    ['yesno', 'peut-être', undefined],
    ['email', 'ana@example.ro', 'ana@example.ro'],
    ['email', 'ana@', undefined],
    ['phone', '+40 721 123 456', '+40721123456'],
    ['phone', '12', undefined],
    ['text', 'x', undefined],
    ['text', 'the door is dented', 'the door is dented'],
  ] as const)('%s: %s', (type, text, expected) => {
    const r = parseSlot(step(type), text, 'fr', today);
    expect(r.ok ? r.value : undefined).toBe(expected);
  });

  it('refuses future dates where the step says past', () => {
    expect(parseSlot(step('date', { past: true }), '2027-01-01', 'fr', today).ok).toBe(false);
    expect(parseDate('demain', today)).toBeUndefined();
  });

  it('accepts choices by value, label, extra words or number', () => {
    const s = step('choice', {
      choices: [
        {
          value: 'defective',
          label: { fr: 'Défectueux', ro: 'Defect', en: 'Defective' },
          says: { fr: ['en panne', 'marche pas'] },
        },
        { value: 'changed-mind', label: { fr: "J'ai changé d'avis", ro: 'M-am răzgândit', en: 'Changed my mind' } },
      ],
    });
    expect(parseSlot(s, 'defective', 'fr', today)).toEqual({ ok: true, value: 'defective' });
    expect(parseSlot(s, 'il est en panne', 'fr', today)).toEqual({ ok: true, value: 'defective' });
    expect(parseSlot(s, 'm-am razgandit', 'ro', today)).toEqual({ ok: true, value: 'changed-mind' });
    expect(parseSlot(s, '2', 'en', today)).toEqual({ ok: true, value: 'changed-mind' });
    expect(parseSlot(s, 'bleu', 'fr', today).ok).toBe(false);
  });
});

describe('prefilling a slot from the first message', () => {
  const step = (type: AskStep['type'], extra: Partial<AskStep> = {}) =>
    ({ ask: 's', type, prompt: {}, retry: {}, help: {}, ...extra }) as AskStep;
  const today = '2026-11-25';
  const reason = step('choice', {
    choices: [
      { value: 'defective', label: { fr: 'Défectueux', ro: 'Defect', en: 'Defective' }, says: { en: ['broken'] } },
      { value: 'damaged', label: { fr: 'Abîmé', ro: 'Deteriorat', en: 'Arrived damaged' }, says: { en: ['dented'] } },
    ],
  });
  it.each([
    [step('orderNumber'), 'I want to return MV-4810044 please', 'MV-4810044'],
    [step('date'), 'delivered on 20/11/2026 with a dent', '2026-11-20'],
    [step('date', { past: true }), 'it will come on 2027-01-05', undefined],
    [step('email'), 'write to me at ana@example.ro', 'ana@example.ro'],
    [reason, 'my fridge is broken since Monday', 'defective'],
    [reason, 'it arrived broken and dented', undefined], // two choices named: ambiguous, asked
    [reason, 'how many days do I have to return it?', undefined],
    [step('text'), 'the door is dented', undefined], // free text cannot be told apart: always asked
    [step('yesno'), 'yes, where is my order?', undefined],
    [step('orderNumber', { prefill: false }), 'order MV-4810044', undefined],
  ] as const)('%#: %s', (s, text, expected) => {
    expect(prefill(s as AskStep, text, 'en', today)).toBe(expected);
  });
});

describe('the item a first message names (prefillFrom)', () => {
  const items = 'Aspirateur balai Volta SV-22, Filtre de rechange SV-F2';
  it.each([
    ['je renvoie le filtre', 'Filtre de rechange SV-F2'],
    ['return the sv22 please', 'Aspirateur balai Volta SV-22'],
    ['the SV-F2 and the aspirateur', undefined], // two items named: asked
    ['the Volta one', undefined], // the brand names every item
    ['commande MV-4819025', undefined], // an order number is no model code
  ] as const)('%s', (text, expected) => {
    expect(pickItem(items, text)).toBe(expected);
  });
});

describe('DialogRunner: answer first, late dates, unknown numbers, no rating', () => {
  const src = `id: demo
title: ${msg('Demo')}
answerFirst: { en: [how many days] }
steps:
${ask('order', 'orderNumber')}${ask(
    'why',
    'choice',
    `    choices:
      - { value: late, label: ${msg('Late')}, says: { en: [too slow] } }
      - { value: other, label: ${msg('Other')} }
`,
  )}  - lookup: order
    key: order
    as: o
    notFound: ${msg('unknown {order}')}
  - branch:
      - when: { o.expectedDate: { before: today } }
        end: ${msg('late by {o.expectedDate|daysAgo} {why}')}
        csat: false
      - end: ${msg('on time {o.expectedDate|daysAgo}')}
`;
  const set = load(src).set!;
  const records: Record<string, Record<string, string>> = {
    'MV-1111111': { expectedDate: '2026-11-20' },
    'MV-2222222': { expectedDate: '2026-11-30' },
  };
  const connector: Connector = { lookup: async (_k, key) => records[key] ?? null };
  const runner = new DialogRunner(set, connector, () => new Date('2026-11-25T12:00:00Z'));

  it('tells whether the first message asks what the entry answers', () => {
    expect(runner.answersFirst('demo', 'How many days do I have?', 'en')).toBe(true);
    expect(runner.answersFirst('demo', 'where is it?', 'en')).toBe(false);
    expect(runner.answersFirst('demo', 'How many days do I have?', 'fr')).toBe(false);
  });

  it('prefills slots, counts the days late from the clock and ends without a rating when told', async () => {
    const late = await runner.start('demo', 'en', 'MV-1111111 is too slow');
    expect(late).toMatchObject({ ended: 'resolved', csat: false, replies: [{ text: 'late by 5 late en' }] });
    const onTime = await runner.start('demo', 'en', 'MV-2222222 is too slow');
    expect(onTime.csat).toBeUndefined();
    expect(onTime.replies.map((r) => r.text)).toEqual(['on time 0 en']);
  });

  it('says an unknown number is unknown, offers a person, and ends at the second one instead of looping', async () => {
    let t = await runner.start('demo', 'en', 'MV-9999999 other');
    expect(t.replies).toMatchObject([{ text: 'unknown MV-9999999 en', suggestions: [{ value: 'handoff' }] }]);
    expect(t.state).toMatchObject({ step: 0, notFound: 1 });
    t = await runner.answer(t.state!, 'MV-12', 'en');
    expect(t.replies[0]!.text).toBe('retry order en');
    t = await runner.answer(t.state!, 'MV-9999998', 'en');
    expect(t).toMatchObject({ state: null, ended: 'not-found', replies: [{ suggestions: [{ value: 'handoff' }] }] });
    expect(t.replies[0]!.text).toMatch(/^I still find nothing/);
  });
});

describe('DialogRunner', () => {
  const src = dialog(`${ask('order', 'orderNumber')}  - lookup: order
    key: order
    as: o
    notFound: ${msg('unknown {order}')}
  - branch:
      - when: { o.deliveredAt: { after: -2d } }
        end: ${msg('recent {o.deliveredAt|date}')}
      - handoff: ${msg('old')}
`);
  const set = load(src).set!;
  const records: Record<string, Record<string, string>> = {
    'MV-1111111': { deliveredAt: '2026-11-24' },
    'MV-2222222': { deliveredAt: '2026-10-01' },
  };
  const connector: Connector = { lookup: async (_k, key) => records[key] ?? null };
  const runner = new DialogRunner(set, connector, () => new Date('2026-11-25T12:00:00Z'));

  it('fills a slot from the first message, looks up, branches on relative dates, formats dates per language', async () => {
    const t = await runner.start('demo', 'fr', 'commande MV-1111111');
    expect(t.ended).toBe('resolved');
    expect(t.replies.map((r) => r.text)).toEqual(['recent 24 novembre 2026 fr']);
    const en = await runner.start('demo', 'en', 'order MV-2222222');
    expect(en).toMatchObject({
      ended: 'handoff',
      replies: [{ text: 'old en', source: { kind: 'handoff', id: 'demo' } }],
    });
  });

  it('re-asks with the retry message, then offers a person after maxAttempts', async () => {
    let t = await runner.start('demo', 'ro');
    expect(t.replies[0]!.text).toBe('prompt order ro');
    t = await runner.answer(t.state!, 'MV-12', 'ro');
    expect(t.replies[0]!.text).toBe('retry order ro');
    t = await runner.answer(t.state!, 'MV-9999999', 'ro');
    // A well-formed but unknown number: said so, a person offered, never "that is not a number".
    expect(t.replies[0]).toMatchObject({ text: 'unknown MV-9999999 ro', suggestions: [{ value: 'handoff' }] });
    t = await runner.answer(t.state!, 'nope', 'ro');
    expect(t).toMatchObject({
      state: null,
      ended: 'failed',
      replies: [{ source: { kind: 'handoff' }, suggestions: [{ value: 'handoff' }] }],
    });
  });

  it('apologizes and offers a person when the back office fails', async () => {
    const failing = new DialogRunner(set, { lookup: async () => Promise.reject(new ConnectorError('timed out')) });
    const t = await failing.start('demo', 'en', 'MV-1111111');
    expect(t).toMatchObject({
      state: null,
      ended: 'lookup-failed',
      replies: [{ suggestions: [{ value: 'handoff' }] }],
    });
    expect(t.replies[0]!.text).toMatch(/Sorry/);
  });
});
