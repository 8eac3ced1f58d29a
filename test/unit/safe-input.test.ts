/**
 * The errors part of "Safe on the open internet", unit by unit: the JSON depth scan, the error handler's mapping of
 * framework errors, YAML limits, CSV cell neutralization and import targets, Direct Line refresh lifetimes,
 * widget token idle expiry and the readiness checks.
 */
import { join } from 'node:path';
import { DirectLineTokens } from '../../src/channels/directline/tokens';
import { checkToken } from '../../src/domain/conversation';
import { importCsv, importTargets, neutralizeCell, restoreCell, toCsv, topicSlug } from '../../src/editor/importExport';
import { parseYaml, YAML_LIMITS } from '../../src/knowledge/yamlSource';
import { problemOf } from '../../src/server/errors';
import { jsonTooDeep, JsonTooDeepError } from '../../src/server/json';
import { checkReadiness } from '../../src/server/ready';
import { tokenHash } from '../../src/channels/auth';

describe('JSON depth scan', () => {
  test('counts objects and arrays, not brackets inside strings or escaped quotes', () => {
    expect(jsonTooDeep('[[[]]]', 3)).toBe(false);
    expect(jsonTooDeep('[[[[]]]]', 3)).toBe(true);
    expect(jsonTooDeep('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(jsonTooDeep('{"a":{"b":{"c":[1]}}}', 3)).toBe(true);
    expect(jsonTooDeep(JSON.stringify({ s: '[[[[[[[[{{{{{{' }), 2)).toBe(false);
    expect(jsonTooDeep(JSON.stringify({ s: 'a\\"[[[[[[' }), 2)).toBe(false);
    expect(jsonTooDeep(`[${JSON.stringify('"]]]]')},[[[1]]]]`, 3)).toBe(true);
    expect(jsonTooDeep(Buffer.from('['.repeat(100_000)), 64)).toBe(true);
  });
});

describe('problemOf: what the error handler answers', () => {
  test('framework errors a client caused are 4xx with a code naming them; anything else a bare 500', () => {
    const uri = Object.assign(new URIError("Failed to decode param '%FF'"), { status: 400 });
    expect(problemOf(uri)).toMatchObject({ status: 400, code: 'INVALID_URL' });
    const zlib = Object.assign(new Error('incorrect header check'), { status: 400, code: 'Z_DATA_ERROR' });
    expect(problemOf(zlib)).toMatchObject({ status: 400, code: 'INVALID_CONTENT_ENCODING' });
    expect(problemOf(new JsonTooDeepError(64))).toEqual({
      status: 400,
      code: 'JSON_TOO_DEEP',
      message: 'request body is nested deeper than 64 levels',
    });
    expect(
      problemOf(Object.assign(new Error('x'), { status: 413, type: 'entity.too.large', limit: 10 })),
    ).toMatchObject({
      status: 413,
      code: 'BODY_TOO_LARGE',
      message: 'request body is larger than 10 bytes',
    });
    expect(problemOf(Object.assign(new Error('secret detail'), { status: 503 }))).toEqual({
      status: 500,
      code: 'INTERNAL',
      message: 'internal error',
    });
    expect(problemOf(new TypeError('boom'))).toMatchObject({ status: 500, code: 'INTERNAL' });
  });
});

describe('YAML limits', () => {
  test('an alias bomb, a too deep and an oversized document are located issues, not exceptions', () => {
    const ten = (alias: string) => `[${Array(10).fill(`*${alias}`).join(', ')}]`;
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      `b: &b ${ten('a')}`,
      `c: &c ${ten('b')}`,
      `d: &d ${ten('c')}`,
    ];
    const r = parseYaml('kb/bomb.yaml', bomb.join('\n'));
    expect(r.parsed).toBeUndefined();
    expect(r.issues).toEqual([
      expect.objectContaining({ file: 'kb/bomb.yaml', line: 2, message: expect.stringMatching(/^YAML aliases: /) }),
    ]);
    const deep = parseYaml(
      'kb/deep.yaml',
      `a:\n  b: ${'['.repeat(YAML_LIMITS.maxDepth)}${']'.repeat(YAML_LIMITS.maxDepth)}\n`,
    );
    expect(deep.issues).toEqual([
      expect.objectContaining({ line: 2, message: `nested more than ${YAML_LIMITS.maxDepth} levels deep` }),
    ]);
    expect(
      parseYaml('kb/ok.yaml', `a: ${'['.repeat(YAML_LIMITS.maxDepth - 1)}${']'.repeat(YAML_LIMITS.maxDepth - 1)}\n`)
        .parsed,
    ).toBeDefined();
    const huge = parseYaml('kb/huge.yaml', `a: "${'x'.repeat(YAML_LIMITS.maxBytes)}"\n`);
    expect(huge.issues[0]).toMatchObject({
      line: 1,
      column: 1,
      message: expect.stringContaining('more than the 1048576 allowed'),
    });
    // A few aliases are still fine.
    expect(parseYaml('kb/ok.yaml', 'a: &a [1, 2]\nb: *a\nc: *a\n').parsed?.data).toEqual({
      a: [1, 2],
      b: [1, 2],
      c: [1, 2],
    });
  });
});

describe('CSV', () => {
  test('cells starting with = + - @ tab or CR get a single quote; import takes it away again', () => {
    for (const v of ['=1+1', '+33 1', '-5 %', '@SUM(A1)', '\tx', '\rx']) {
      expect(neutralizeCell(v)).toBe(`'${v}`);
      expect(restoreCell(neutralizeCell(v))).toBe(v);
    }
    expect(neutralizeCell('Bonjour = salut')).toBe('Bonjour = salut');
    expect(restoreCell("'ordinary")).toBe("'ordinary");
    const csv = toCsv([
      ['question', 'answer', 'language', 'topic'],
      ['=cmd|calc', '-5 % on "x", today', 'fr', 'promo'],
    ]);
    expect(csv).toBe(`question,answer,language,topic\r\n'=cmd|calc,"'-5 % on ""x"", today",fr,promo\r\n`);
    expect(importCsv(csv, { topic: 't', lang: 'fr' })[0]).toMatchObject({
      questions: { fr: ['=cmd|calc'] },
      answer: { fr: '-5 % on "x", today' },
    });
  });

  test('import targets: topic slugs only, inside the knowledge-base folder', () => {
    const kb = join('/srv', 'kb');
    expect(topicSlug('../../etc/passwd')).toBe('etc-passwd');
    expect(topicSlug('Livraison Été')).toBe('livraison-ete');
    expect(topicSlug('///')).toBe('topic');
    expect(importTargets(join(kb, 'imported.yaml'), ['a', '../../x'], kb)).toEqual([
      join(kb, 'imported.yaml'),
      join(kb, 'imported-x.yaml'),
    ]);
    expect(() => importTargets('/tmp/imported.yaml', ['a'], kb)).toThrow(
      'is outside the knowledge-base folder /srv/kb',
    );
    expect(() => importTargets(join(kb, '..', 'x.yaml'), ['a'], kb)).toThrow('outside');
  });
});

describe('token lifetimes', () => {
  test('Direct Line: a refresh keeps the first issue time and stops at the maximum lifetime', () => {
    let now = Date.UTC(2026, 2, 1, 0, 0, 0);
    const tokens = new DirectLineTokens('k'.repeat(32), { now: () => now, maxLifetimeSeconds: 7200 });
    const first = tokens.issue('c', 'u');
    now += 3000_000;
    const second = tokens.refresh(tokens.verify(first.token));
    expect(second.expiresIn).toBe(3600);
    now += 3000_000; // 100 min after the first token: the next one lives 20 min, to the 2 h mark
    const third = tokens.refresh(tokens.verify(second.token));
    expect(third.expiresIn).toBe(1200);
    expect(tokens.verify(third.token).orig).toBe(Date.UTC(2026, 2, 1) / 1000);
    now += 1200_000;
    expect(() => tokens.verify(third.token)).toThrow(
      expect.objectContaining({ code: 'TOKEN_LIFETIME_EXCEEDED', status: 401 }),
    );
    // A token from before this change (no orig) counts from its own issue time.
    const old = tokens.verify(tokens.issue('c', 'u').token);
    const { orig: _o, ...legacy } = old;
    now += 7200_000;
    expect(() => tokens.refresh(legacy)).toThrow(expect.objectContaining({ code: 'TOKEN_LIFETIME_EXCEEDED' }));
  });

  test('widget: the right token of a conversation idle longer than the limit is refused as expired', () => {
    const hash = tokenHash('tok');
    const state = { tokenHash: hash, updatedAt: '2026-03-01T00:00:00.000Z' };
    const idle = 30 * 86_400_000;
    expect(() => checkToken(state, hash, new Date('2026-03-31T00:00:00.000Z'), idle)).not.toThrow();
    expect(() => checkToken(state, hash, new Date('2026-03-31T00:00:00.001Z'), idle)).toThrow(
      expect.objectContaining({ code: 'TOKEN_EXPIRED', status: 401 }),
    );
    // A wrong token stays a plain refusal, whatever the age.
    expect(() => checkToken(state, tokenHash('other'), new Date('2026-05-01'), idle)).toThrow(
      expect.objectContaining({ code: 'UNAUTHORIZED' }),
    );
  });
});

describe('readiness', () => {
  const ok = {
    writeHeartbeat: async () => {},
    contentVersion: () => 'v1',
    pendingOutbox: async () => 0,
    maxOutbox: 10,
  };

  test('each failing check gives its reason; a hung database fails after the timeout', async () => {
    expect(await checkReadiness(ok)).toMatchObject({ ready: true });
    const r = await checkReadiness({
      ...ok,
      writeHeartbeat: () => Promise.reject(new Error('SQLITE_FULL: database or disk is full')),
      pendingOutbox: async () => 11,
    });
    expect(r.ready).toBe(false);
    expect(r.checks.database.reason).toBe('database not writable: SQLITE_FULL: database or disk is full');
    expect(r.checks.outbox).toMatchObject({ ok: false, pending: 11 });
    expect((await checkReadiness({ ...ok, contentVersion: () => undefined })).checks.content).toEqual({
      ok: false,
      reason: 'no content published',
    });
    const hung = await checkReadiness({ ...ok, writeHeartbeat: () => new Promise<void>(() => {}), timeoutMs: 20 });
    expect(hung.checks.database.reason).toBe('database not writable: the database did not answer within 20 ms');
  });
});
