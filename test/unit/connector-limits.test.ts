import { HttpConnector } from '../../src/connectors/http';
import { ConnectorError } from '../../src/connectors/types';

/** A fetch that answers `responses` in turn and records what it was asked. */
function fakeFetch(...responses: (() => Response)[]) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const f = (async (url: string, init?: RequestInit) => {
    calls.push({ url, ...(init ? { init } : {}) });
    return responses[Math.min(calls.length, responses.length) - 1]!();
  }) as unknown as typeof fetch;
  return { f, calls };
}

describe('HttpConnector limits', () => {
  it('asks fetch not to follow redirects, and a redirect is a failed lookup at once (no retry)', async () => {
    const { f, calls } = fakeFetch(
      () => new Response(null, { status: 302, headers: { location: 'http://10.0.0.1/' } }),
    );
    const c = new HttpConnector({ baseUrl: 'https://bo.example/api///', token: 't0k3n', retries: 2, fetch: f });
    await expect(c.lookup('order', 'MV-1')).rejects.toThrow(ConnectorError);
    await expect(c.lookup('order', 'MV-1')).rejects.toThrow(/redirect \(HTTP 302/);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.url).toBe('https://bo.example/api/orders/MV-1');
    expect(calls[0]!.init?.redirect).toBe('manual');
  });

  it('refuses a body over maxBytes, declared or not, and accepts one under it', async () => {
    const big = JSON.stringify({ note: 'x'.repeat(2000) });
    const { f } = fakeFetch(
      () => new Response(big, { headers: { 'content-length': String(big.length) } }),
      () => new Response(new Blob([big]).stream()),
      () => new Response(JSON.stringify({ status: 'ok' })),
    );
    const c = new HttpConnector({ baseUrl: 'https://bo.example', maxBytes: 1024, retries: 0, fetch: f });
    await expect(c.lookup('order', 'A')).rejects.toThrow(/body larger than 1024 bytes/);
    await expect(c.lookup('order', 'B')).rejects.toThrow(/body larger than 1024 bytes/);
    await expect(c.lookup('order', 'C')).resolves.toEqual({ status: 'ok' });
  });

  it('an impossible date is invalid data; a real one and a date-time pass', async () => {
    const { f } = fakeFetch(
      () => Response.json({ expectedDate: '2026-13-45' }),
      () => Response.json({ expectedDate: '2026-02-30' }),
      () => Response.json({ expectedDate: '2028-02-29', at: '2026-11-29T10:00:00Z' }),
    );
    const c = new HttpConnector({ baseUrl: 'https://bo.example', retries: 0, fetch: f });
    await expect(c.lookup('order', 'A')).rejects.toThrow(/field "expectedDate" is not a valid date: "2026-13-45"/);
    await expect(c.lookup('order', 'B')).rejects.toThrow(/not a valid date/);
    await expect(c.lookup('order', 'C')).resolves.toEqual({ expectedDate: '2028-02-29', at: '2026-11-29T10:00:00Z' });
  });
});
