import { DirectLineTokens } from '../../src/channels/directline/tokens';

const KEY = 'k'.repeat(32);

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('Direct Line tokens', () => {
  it('are HS256 JWTs bound to one conversation and user, valid for the configured time', () => {
    let now = Date.UTC(2026, 10, 25, 12, 0, 0);
    const tokens = new DirectLineTokens(KEY, 3600, () => now);
    const { token, expiresIn } = tokens.issue('conv-1', 'dl_u1');
    expect(expiresIn).toBe(3600);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(claimsOf(token)).toEqual({
      conv: 'conv-1',
      user: 'dl_u1',
      scp: 'conversation',
      iat: now / 1000,
      exp: now / 1000 + 3600,
      // The first token's issue time: refreshes carry it (maximum lifetime).
      orig: now / 1000,
    });
    expect(tokens.check(token, 'conv-1')).toMatchObject({ conv: 'conv-1', user: 'dl_u1' });
    now += 3599_000;
    expect(tokens.verify(token).conv).toBe('conv-1');
    now += 1000; // exactly at expiry: refused
    expect(() => tokens.verify(token)).toThrow(
      expect.objectContaining({ status: 401, message: expect.stringMatching(/expired/) }),
    );
  });

  it('refuse another conversation (403), another scope, another key, a changed claim, or garbage (401)', () => {
    const tokens = new DirectLineTokens(KEY);
    const { token } = tokens.issue('conv-1', 'dl_u1');
    expect(() => tokens.check(token, 'conv-2')).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => tokens.verify(token, 'stream')).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => tokens.verify(tokens.issue('conv-1', 'dl_u1', 'stream').token)).toThrow(
      expect.objectContaining({ status: 401 }),
    );
    expect(() => new DirectLineTokens('o'.repeat(32)).verify(token)).toThrow(
      expect.objectContaining({ status: 401, message: expect.stringMatching(/signature/) }),
    );
    const [h, p, s] = token.split('.');
    const changed = Buffer.from(JSON.stringify({ ...claimsOf(token), conv: 'conv-2' })).toString('base64url');
    expect(() => tokens.verify(`${h}.${changed}.${s}`)).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => tokens.verify(`${h}.${p}.${s}x`)).toThrow(expect.objectContaining({ status: 401 }));
    for (const bad of ['', 'abc', 'a.b.c', `${h}.${p}`])
      expect(() => tokens.verify(bad)).toThrow(expect.objectContaining({ status: 401 }));
  });
});
