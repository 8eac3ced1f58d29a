import { loadConfig } from '../../src/config';
import { pageRequest } from '../../src/channels/paging';
import { StreamLimits } from '../../src/channels/streams';
import { TranscriptLinks } from '../../src/handoff/transcriptLink';

describe('StreamLimits', () => {
  test('a conversation keeps its newest streams; the oldest is told "replaced" and frees its address slot', () => {
    const limits = new StreamLimits({ perConversation: 2, perIp: 3 });
    const ended: string[] = [];
    const open = (conv: string, ip: string, name: string) => limits.open(conv, ip, (r) => ended.push(`${name}:${r}`));
    const a = open('c1', 'ip1', 'a');
    open('c1', 'ip1', 'b');
    open('c1', 'ip1', 'c');
    expect(ended).toEqual(['a:replaced']);
    expect(limits.count('c1')).toBe(2);
    a.release(); // released twice (evicted, then closed): counted once
    open('c2', 'ip1', 'd');
    expect(() => open('c3', 'ip1', 'e')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED', status: 429 }));
    expect(() => open('c3', 'ip2', 'f')).not.toThrow();
    expect(limits.count()).toBe(4);
  });

  test('release frees the conversation and the address', () => {
    const limits = new StreamLimits({ perConversation: 3, perIp: 1 });
    const s = limits.open('c', 'ip', () => undefined);
    expect(() => limits.open('d', 'ip', () => undefined)).toThrow(/at most 1/);
    s.release();
    s.release();
    expect(limits.count()).toBe(0);
    expect(() => limits.open('d', 'ip', () => undefined)).not.toThrow();
  });
});

describe('TranscriptLinks', () => {
  const links = new TranscriptLinks({ publicUrl: 'https://bot.example', key: 'k'.repeat(32), ttlMs: 60_000 });
  const now = new Date('2026-03-01T10:00:00Z');

  test('a link names the conversation and its expiry, and checks only for that conversation until it expires', () => {
    const url = new URL(links.url('conv-1', now));
    expect(url.origin + url.pathname).toBe('https://bot.example/api/handoff/transcripts/conv-1');
    const exp = url.searchParams.get('expires')!;
    const sig = url.searchParams.get('signature')!;
    expect(Number(exp)).toBe(now.getTime() / 1000 + 60);
    expect(links.check('conv-1', exp, sig, now)).toBe('ok');
    expect(links.check('conv-1', exp, sig, new Date(now.getTime() + 61_000))).toBe('expired');
    expect(links.check('conv-2', exp, sig, now)).toBe('bad');
    expect(links.check('conv-1', String(Number(exp) + 1), sig, now)).toBe('bad');
    expect(links.check('conv-1', exp, undefined, now)).toBe('bad');
    expect(links.check('conv-1', ['1', '2'], sig, now)).toBe('bad');
    const other = new TranscriptLinks({ publicUrl: 'https://bot.example', key: 'x'.repeat(32), ttlMs: 60_000 });
    expect(other.check('conv-1', exp, sig, now)).toBe('bad');
  });
});

describe('pageRequest', () => {
  test('defaults and bounds', () => {
    expect(pageRequest({})).toEqual({ limit: 100 });
    expect(pageRequest({ limit: '500', after: '0', before: '9' })).toEqual({ limit: 500, after: 0, before: 9 });
    expect(() => pageRequest({ limit: '1e2' })).toThrow(/^limit must be an integer between 1 and 500, not "1e2"/);
    expect(() => pageRequest({ before: '-3' })).toThrow(/^before must be a message id/);
  });
});

describe('stream and transcript settings', () => {
  test('defaults, and bad values refused naming the variable', () => {
    const c = loadConfig({ PORT: '4000' });
    expect(c.streams).toEqual({ perConversation: 3, perIp: 20, pageSize: 100, stallMs: 30_000, pollMs: 2000 });
    expect(c.transcripts).toMatchObject({ publicUrl: 'http://localhost:4000', urlTtlMs: 7 * 86_400_000 });
    expect(c.transcripts.urlKey).not.toBe(c.directLine.tokenSecret);
    expect(loadConfig({ PUBLIC_URL: 'https://bot.example/sav/' }).transcripts.publicUrl).toBe(
      'https://bot.example/sav',
    );
    expect(() => loadConfig({ STREAMS_PER_IP: '0' })).toThrow(/STREAMS_PER_IP="0" must be a whole number/);
    expect(() => loadConfig({ STREAMS_PER_CONVERSATION: '2.5' })).toThrow(/STREAMS_PER_CONVERSATION="2.5"/);
    expect(() => loadConfig({ STREAM_PAGE_SIZE: '501' })).toThrow(/STREAM_PAGE_SIZE/);
    expect(() => loadConfig({ PUBLIC_URL: 'bot.example' })).toThrow(/PUBLIC_URL must be an http\(s\) base URL/);
    expect(() => loadConfig({ PUBLIC_URL: 'https://bot.example/?a=1' })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ TRANSCRIPT_URL_SECRET: 'short' })).toThrow(/TRANSCRIPT_URL_SECRET/);
  });
});
