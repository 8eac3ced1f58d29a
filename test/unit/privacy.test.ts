import { stripEventBody } from '../../src/domain/privacy';
import { hasPii, maskPii, phoneKey, phoneKeysIn } from '../../src/nlp/pii';
import { RetentionJob } from '../../src/privacy/job';
import { checkQuery, Privacy } from '../../src/privacy/service';
import { MemoryConversationStore } from '../../src/storage/memory';
import { newConversationState } from '../../src/domain/conversation';
import { AppError } from '../../src/domain/errors';

describe('maskPii', () => {
  test.each([
    ['écrivez-moi à jean.dupont+sav@mail.example.fr merci', 'écrivez-moi à [email] merci'],
    ['mon IBAN FR76 3000 6000 0112 3456 7890 189 svp', 'mon IBAN [iban] svp'],
    ['iban RO49AAAA1B31007593840000', 'iban [iban]'],
    ['carte 4970 1012 3456 7890 expirée', 'carte [card] expirée'],
    ['carte 4970-1012-3456-7890', 'carte [card]'],
    ['appelez le 06 12 34 56 78 ou +33 6 12 34 56 78', 'appelez le [phone] ou [phone]'],
    ['sunați la 0722.123.456', 'sunați la [phone]'],
    ['tel 0040 722 123 456', 'tel [phone]'],
  ])('%s', (text, masked) => {
    expect(maskPii(text)).toBe(masked);
    expect(hasPii(text)).toBe(true);
  });

  test.each([
    'ma commande MV-4810044 est en retard',
    'le dossier R-204518 du 2026-11-23',
    'garantie de 2 ans, 30 jours pour retourner',
    'prix 1 299,00 €',
  ])('leaves "%s" alone', (text) => {
    expect(maskPii(text)).toBe(text);
    expect(hasPii(text)).toBe(false);
  });

  test('long hostile input is masked in one pass (no catastrophic backtracking to wait for)', () => {
    const text = `${'0 '.repeat(20_000)}x ${'a@'.repeat(20_000)} ${'FR76'.repeat(5_000)}`;
    expect(typeof maskPii(text)).toBe('string');
  });
});

describe('phone numbers', () => {
  test('the same number however written', () => {
    const keys = ['+33 6 12 34 56 78', '06.12.34.56.78', '0612345678', '0033 (0)6-12-34-56-78'].map(phoneKey);
    expect(new Set(keys)).toEqual(new Set(['612345678']));
    expect(phoneKey('12 34')).toBeUndefined();
    expect(phoneKeysIn('au 06 12 34 56 78 ou au 0722 123 456')).toEqual(['612345678', '722123456']);
  });
});

describe('stripEventBody', () => {
  test('keeps what figures and ordering need, drops transcript, contact and texts', () => {
    const body = JSON.stringify({
      type: 'handoff.requested',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: {
        conversationId: 'c1',
        seq: 1,
        handoffId: 'h1',
        queue: 'returns',
        reason: 'angry',
        requestedAt: '2026-01-01T00:00:00.000Z',
        contact: { email: 'a@b.example' },
        transcript: [{ text: 'hello' }],
        text: 'bye',
        note: 'called her',
        transcriptUrl: 'https://x.example/t?sig=abc',
      },
    });
    expect(JSON.parse(stripEventBody(body)!)).toEqual({
      type: 'handoff.requested',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: {
        conversationId: 'c1',
        seq: 1,
        handoffId: 'h1',
        queue: 'returns',
        reason: 'angry',
        requestedAt: '2026-01-01T00:00:00.000Z',
      },
    });
    expect(stripEventBody('not json')).toBeUndefined();
  });
});

describe('checkQuery', () => {
  test.each([
    [{}, /give a conversationId/],
    [{ email: 'nope' }, /email "nope" is not an email address/],
    [{ email: 'a b@c.d' }, /email "a b@c.d"/],
    [{ phone: '123' }, /phone "123" is not a phone number/],
    [{ order: 'MV' }, /order "MV" is not an order number/],
    [{ email: '   ' }, /give a conversationId/],
  ])('%j is refused', (q, message) => {
    let err: unknown;
    try {
      checkQuery(q);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'INVALID_PRIVACY_QUERY', status: 400, message: expect.stringMatching(message) });
  });

  test('trims and keeps the usable criteria', () => {
    expect(checkQuery({ email: ' a@b.example ', order: 'MV-1234567' })).toEqual({
      email: 'a@b.example',
      order: 'MV-1234567',
    });
  });
});

describe('RetentionJob', () => {
  test('runOnce erases on the injected clock, never two runs at once, and logs what it did', async () => {
    const store = new MemoryConversationStore();
    const now = new Date('2027-06-01T00:00:00.000Z');
    await store.create(newConversationState({ id: 'old', at: '2026-01-01T00:00:00.000Z', channel: 'widget' }));
    await store.create(newConversationState({ id: 'new', at: '2027-05-01T00:00:00.000Z', channel: 'widget' }));
    const privacy = new Privacy(store, { retentionDays: 365, outboxTranscriptDays: 30, now: () => now });
    const logged: string[] = [];
    const job = new RetentionJob(privacy, { info: (_o, m) => logged.push(m), error: (_o, m) => logged.push(m) });
    const [a, b] = [job.runOnce(), job.runOnce()];
    expect(a).toBe(b);
    await a;
    expect(await store.get('old')).toBeUndefined();
    expect(await store.get('new')).toBeDefined();
    expect(logged).toEqual(['retention: 1 conversation(s) erased, 0 webhook body(ies) stripped']);
    expect((await store.listPrivacyAudit(5)).map((e) => [e.action, e.conversationIds])).toEqual([
      ['retention', ['old']],
    ]);
    job.start(1_000_000, 1_000_000);
    await job.stop();
  });

  test('a failing run is logged, not thrown', async () => {
    const store = new MemoryConversationStore();
    store.inactiveConversations = () => Promise.reject(new Error('disk on fire'));
    const privacy = new Privacy(store, { retentionDays: 365, outboxTranscriptDays: 30 });
    const errors: string[] = [];
    await new RetentionJob(privacy, { info: () => {}, error: (_o, m) => errors.push(m) }).runOnce();
    expect(errors).toEqual(['retention job failed']);
  });
});
