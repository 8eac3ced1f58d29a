import type { IncomingMessage } from 'node:http';
import { loadConfig } from '../../src/config';
import { TrafficLimits } from '../../src/channels/limits';
import { RateLimitedError } from '../../src/domain/errors';
import { clientIp, trustFunction } from '../../src/server/clientIp';
import { memoryCounters } from '../../src/storage/counters';

const req = (peer: string, xff?: string) =>
  ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;

describe('clientIp and TRUST_PROXY', () => {
  test('off: the socket’s address, whatever X-Forwarded-For says', () => {
    const off = trustFunction({ kind: 'off' });
    expect(clientIp(req('10.0.0.5', '203.0.113.9'), off)).toBe('10.0.0.5');
    expect(clientIp(req('::ffff:10.0.0.5'), off)).toBe('10.0.0.5');
  });

  test('a hop count: that many proxies are believed, from the nearest', () => {
    const one = trustFunction({ kind: 'hops', hops: 1 });
    expect(clientIp(req('10.0.0.5', '192.0.2.1, 203.0.113.9'), one)).toBe('203.0.113.9');
    const two = trustFunction({ kind: 'hops', hops: 2 });
    expect(clientIp(req('10.0.0.5', '192.0.2.1, 203.0.113.9'), two)).toBe('192.0.2.1');
  });

  test('a list: only the listed proxies are believed; a client cannot add hops of its own', () => {
    const lb = trustFunction({ kind: 'list', entries: ['loopback', '10.1.0.0/16'] });
    expect(clientIp(req('127.0.0.1', '203.0.113.9'), lb)).toBe('203.0.113.9');
    expect(clientIp(req('10.1.2.3', '192.0.2.1, 203.0.113.9'), lb)).toBe('203.0.113.9');
    expect(clientIp(req('10.2.0.1', '203.0.113.9'), lb)).toBe('10.2.0.1');
    expect(clientIp(req('::1', '2001:db8::7'), lb)).toBe('2001:db8::7');
  });
});

describe('limit settings', () => {
  test('defaults', () => {
    const c = loadConfig({});
    expect(c.limits).toEqual({
      enabled: true,
      requestsPerMinute: 300,
      newConversations: { perMinute: 10, burst: 20, perDay: 200 },
      messagesPerMinute: 20,
      signinFailuresPerHour: 10,
      agentEventsPerMinute: 1200,
    });
    expect(c.quotas).toEqual({ maxMessagesPerConversation: 500, maxMessageChars: 2000 });
    expect(c.trustProxy).toEqual({ kind: 'off' });
  });

  test('TRUST_PROXY takes a hop count or a list', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toEqual({ kind: 'hops', hops: 2 });
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,::1' }).trustProxy).toEqual({
      kind: 'list',
      entries: ['loopback', '10.0.0.0/8', '::1'],
    });
  });

  test.each([
    ['TRUST_PROXY', 'proxy.example', /TRUST_PROXY: "proxy.example" is not an IP address/],
    ['TRUST_PROXY', '10.0.0.0/33', /TRUST_PROXY: "10.0.0.0\/33": the prefix length must be 0 to 32/],
    ['RATE_LIMITS', 'maybe', /RATE_LIMITS/],
    ['RATE_LIMIT_MESSAGES_PER_MINUTE', '2.5', /RATE_LIMIT_MESSAGES_PER_MINUTE="2.5" must be a whole number/],
    ['MAX_MESSAGE_CHARS', '50', /MAX_MESSAGE_CHARS="50" must be a whole number between 1000 and 20000/],
  ])('%s=%s is refused, naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});

describe('TrafficLimits', () => {
  const settings = {
    enabled: true,
    requestsPerMinute: 100,
    newConversations: { perMinute: 2, burst: 2, perDay: 100 },
    messagesPerMinute: 2,
    signinFailuresPerHour: 2,
    agentEventsPerMinute: 100,
  };

  test('a refusal is a RateLimitedError with a wait in whole seconds; the first one of the window says so', async () => {
    const limits = new TrafficLimits(settings, memoryCounters(), trustFunction({ kind: 'off' }));
    await limits.requireMessage('c1');
    await limits.requireMessage('c1');
    const first = await limits.message('c1');
    expect(first).toMatchObject({ allowed: false, firstRefusal: true });
    expect(first.retryAfterMs).toBeGreaterThan(0);
    expect((await limits.message('c1')).firstRefusal).toBe(false);
    const e = await limits.requireMessage('c1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitedError);
    expect((e as RateLimitedError).status).toBe(429);
    expect((e as RateLimitedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((e as RateLimitedError).retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  test('disabled: nothing is counted or refused', async () => {
    const limits = new TrafficLimits({ ...settings, enabled: false }, memoryCounters(), trustFunction({ kind: 'off' }));
    for (let i = 0; i < 5; i++) {
      await expect(limits.newConversation('192.0.2.1')).resolves.toBeUndefined();
      await expect(limits.requireMessage('c1')).resolves.toBeUndefined();
    }
  });
});
