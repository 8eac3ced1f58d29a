import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/domain/errors';
import { FileConnector, normalizeKey, ORDER_STATUSES, REPAIR_STATUSES } from '../../src/connectors/file';
import { HttpConnector } from '../../src/connectors/http';
import { ConnectorError } from '../../src/connectors/types';

const DATA = join(__dirname, '..', '..', 'data', 'backoffice.json');
const TODAY = '2026-11-25';

describe('FileConnector', () => {
  const c = new FileConnector(DATA);
  const raw = JSON.parse(readFileSync(DATA, 'utf8')) as Record<
    'repairs' | 'orders' | 'purchases',
    Record<string, string>[]
  >;

  it('loads the sample back office, covering every status', () => {
    expect(c.counts.repair).toBeGreaterThanOrEqual(8);
    expect(c.counts.order).toBeGreaterThanOrEqual(10);
    expect(c.counts.purchase).toBeGreaterThanOrEqual(8);
    expect(new Set(raw.orders.map((o) => o.status))).toEqual(new Set(ORDER_STATUSES));
    for (const r of raw.repairs) expect(REPAIR_STATUSES).toContain(r.status);
    // some orders are past the 30-day return window, some purchases out of warranty and some still covered
    expect(raw.orders.some((o) => o.deliveredAt && o.returnUntil < TODAY)).toBe(true);
    expect(raw.purchases.some((p) => p.warrantyEnd < TODAY && (p.extensionEnd ?? '') < TODAY)).toBe(true);
    expect(raw.purchases.some((p) => p.warrantyEnd >= TODAY)).toBe(true);
  });

  it('finds records by exact key and returns a copy', async () => {
    const o = await c.lookup('order', 'MV-4808871');
    expect(o).toMatchObject({ orderNumber: 'MV-4808871', status: 'delivered-relay', carrier: 'Mondial Relay' });
    expect(o!.relayPoint).toContain('Lyon');
    o!.status = 'cancelled';
    expect((await c.lookup('order', 'MV-4808871'))!.status).toBe('delivered-relay');
    expect(await c.lookup('repair', 'R-204518')).toMatchObject({ fileNumber: 'R-204518', status: 'received' });
    expect(await c.lookup('purchase', 'MV-4603345')).toMatchObject({
      extension: 'volta-plus-5',
      extensionEnd: '2030-03-08',
    });
  });

  it('compares keys case-insensitively, ignoring spaces and hyphen variants', async () => {
    expect(normalizeKey(' mv‑482 1937 ')).toBe('MV4821937');
    for (const k of ['r 204518', 'r204518', ' R-204518 ', 'R–204518', 'r‑204518']) {
      expect((await c.lookup('repair', k))?.fileNumber).toBe('R-204518');
    }
    for (const k of ['mv4821937', 'MV 4821937', 'mv-482-1937', 'Mv—4821937']) {
      expect((await c.lookup('order', k))?.orderNumber).toBe('MV-4821937');
    }
  });

  it('returns null for unknown keys and for a key of another kind', async () => {
    expect(await c.lookup('order', 'MV-0000000')).toBeNull();
    expect(await c.lookup('repair', 'MV-4821937')).toBeNull();
    expect(await c.lookup('purchase', 'MV-4821937')).toBeNull(); // an order without a registered purchase
    expect(await c.lookup('order', '')).toBeNull();
  });

  describe('invalid files', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'backoffice-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const write = (name: string, content: string) => {
      const file = join(dir, name);
      writeFileSync(file, content);
      return file;
    };
    const loadError = (file: string): Error => {
      try {
        new FileConnector(file);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected the file to be rejected');
    };
    const valid = () => JSON.parse(readFileSync(DATA, 'utf8')) as Record<string, Record<string, unknown>[]>;

    it('names the file and the offending item index and field', () => {
      const data = valid();
      data.orders[3]!.status = 'lost';
      data.repairs[1]!.expectedDate = '2026-13-40';
      const file = write('bad.json', JSON.stringify(data));
      const e = loadError(file);
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toContain(file);
      expect(e.message).toMatch(/orders\[3\] \(MV-\d{7}\)\.status: /);
      expect(e.message).toMatch(/repairs\[1\] \(R-\d{6}\)\.expectedDate: /);
    });

    it('rejects nested values, missing conditional fields and duplicate keys', () => {
      const data = valid();
      data.purchases[0]!.extra = { nested: true };
      const relay = data.orders.findIndex((o) => o.status === 'delivered-relay');
      delete data.orders[relay]!.relayPoint;
      data.repairs.push({ ...data.repairs[0]!, fileNumber: data.repairs[0]!.fileNumber });
      let e = loadError(write('nested.json', JSON.stringify(data)));
      expect(e.message).toMatch(/purchases\[0\] \(MV-\d{7}\)\.extra: /);
      expect(e.message).toContain(`orders[${relay}]`);
      expect(e.message).toContain('relayPoint');
      data.purchases[0]!.extra = 'fine';
      data.orders[relay]!.relayPoint = 'Relais';
      e = loadError(write('dup.json', JSON.stringify(data)));
      expect(e.message).toContain(
        `repairs[${data.repairs.length - 1}].fileNumber: duplicate key "R-204518" (already used by repairs[0])`,
      );
    });

    it('reports broken JSON and missing files with the file name', () => {
      const broken = write('broken.json', '{ "repairs": [ { "fileNumber": "R-204518", ');
      let e = loadError(broken);
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.message).toContain(broken);
      expect(e.message).toMatch(/invalid JSON/);
      const missing = join(dir, 'nope.json');
      e = loadError(missing);
      expect(e.message).toContain(missing);
      e = loadError(write('shape.json', JSON.stringify({ repairs: [], order: [] })));
      expect(e.message).toMatch(/orders/);
    });
  });
});

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface TestServer {
  url: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, port chosen by the system; n counts requests from 1. */
async function serve(handler: Handler): Promise<TestServer> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/** `p`, or a rejection naming the deadline if it has not settled within `ms` (a generous bound, not a timing). */
function withinDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves once `check()` holds (looked at on each turn of the event loop); fails after a generous deadline. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function rejection(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    return e as ConnectorError;
  }
  throw new Error('expected a ConnectorError');
}

describe('HttpConnector (real HTTP server on loopback)', () => {
  const TOKEN = 's3cr3t-t0ken-xyz';
  let srv: TestServer | undefined;
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
  });
  const connector = (extra: Partial<ConstructorParameters<typeof HttpConnector>[0]> = {}) =>
    new HttpConnector({
      baseUrl: srv!.url + '/api/',
      token: TOKEN,
      timeoutMs: 1000,
      retries: 2,
      retryDelayMs: 5,
      ...extra,
    });

  it('GETs /<kind>s/<key> with the token and Accept headers and converts scalar values to strings', async () => {
    srv = await serve((_req, res) =>
      json(res, 200, { orderNumber: 'MV-4821937', status: 'shipped', total: 649, returnable: true, relayPoint: null }),
    );
    const r = await connector().lookup('order', 'MV 48/21937');
    expect(r).toEqual({ orderNumber: 'MV-4821937', status: 'shipped', total: '649', returnable: 'true' });
    const [req] = srv.requests;
    expect(req!.method).toBe('GET');
    expect(req!.url).toBe('/api/orders/MV%2048%2F21937');
    expect(req!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req!.headers.accept).toBe('application/json');
  });

  it('sends no Authorization header without a token', async () => {
    srv = await serve((_req, res) => json(res, 200, { fileNumber: 'R-204518' }));
    expect(await connector({ token: undefined }).lookup('repair', 'R-204518')).toEqual({ fileNumber: 'R-204518' });
    expect(srv.requests[0]!.url).toBe('/api/repairs/R-204518');
    expect(srv.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('returns null on 404, without retrying', async () => {
    srv = await serve((_req, res) => json(res, 404, { error: 'not found' }));
    expect(await connector().lookup('purchase', 'MV-0000000')).toBeNull();
    expect(srv.requests).toHaveLength(1);
  });

  it('retries after a 500 and succeeds', async () => {
    srv = await serve((_req, res, n) =>
      n === 1 ? json(res, 500, { error: 'boom' }) : json(res, 200, { orderNumber: 'MV-1' }),
    );
    expect(await connector().lookup('order', 'MV-1')).toEqual({ orderNumber: 'MV-1' });
    expect(srv.requests).toHaveLength(2);
  });

  it('retries a 429 too', async () => {
    srv = await serve((_req, res, n) => (n < 3 ? json(res, 429, {}) : json(res, 200, { ok: 'yes' })));
    expect(await connector().lookup('order', 'MV-1')).toEqual({ ok: 'yes' });
    expect(srv.requests).toHaveLength(3);
  });

  it('gives up after retries+1 attempts on a server that always answers 503', async () => {
    srv = await serve((_req, res) => json(res, 503, { error: `unavailable ${TOKEN}` }));
    const e = await rejection(connector({ retries: 3 }).lookup('repair', 'R-204518'));
    expect(srv.requests).toHaveLength(4);
    expect(e.message).toMatch(/after 4 attempts: HTTP 503/);
    expect(e.message).not.toContain(TOKEN);
    expect(e.message).not.toContain('R-204518');
  });

  it('times out a slow server, retries, then reports the timeout', async () => {
    // The server never answers: only the connector's timeout can end each attempt, and the server sees the
    // connector hang up on it (the response still unsent) once per attempt.
    const abandoned: number[] = [];
    srv = await serve((_req, res, n) => res.on('close', () => !res.writableEnded && abandoned.push(n)));
    const e = await rejection(
      withinDeadline(connector({ timeoutMs: 100, retries: 1 }).lookup('order', 'MV-4821937'), 10_000),
    );
    expect(e.message).toMatch(/timed out after 100 ms/);
    expect(e.message).toMatch(/after 2 attempts/);
    expect(srv.requests).toHaveLength(2);
    await until(() => abandoned.length === 2, 'the server seeing both connections closed');
    expect(abandoned).toEqual([1, 2]);
  });

  it('times out a body that never finishes', async () => {
    srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"orderNumber":');
      const t = setTimeout(() => res.end('"MV-1"}'), 600);
      res.on('close', () => clearTimeout(t));
    });
    const e = await rejection(connector({ timeoutMs: 100, retries: 0 }).lookup('order', 'MV-1'));
    expect(e.message).toMatch(/after 1 attempt: timed out after 100 ms/);
  });

  it('retries network errors (connection refused) then fails with a clear message', async () => {
    srv = await serve((_req, res) => json(res, 200, {}));
    const url = srv.url;
    await srv.close();
    srv = undefined;
    const e = await rejection(
      new HttpConnector({ baseUrl: url, token: TOKEN, retries: 1, retryDelayMs: 5 }).lookup('order', 'MV-1'),
    );
    expect(e.message).toMatch(/after 2 attempts: network error \(ECONNREFUSED\)/);
    expect(e.message).not.toContain(TOKEN);
  });

  it.each([
    ['HTML', '<html><body>Maintenance</body></html>', /not JSON \(content-type application\/json\)/],
    ['a JSON array', '[{"orderNumber":"MV-1"}]', /got an array/],
    ['nested objects', '{"orderNumber":"MV-1","customer":{"name":"Ana"}}', /field "customer" is an object/],
    ['a nested array', '{"orderNumber":"MV-1","items":["a","b"]}', /field "items" is an array/],
    ['a JSON string', '"MV-1"', /got string/],
    ['an empty body', '', /not JSON/],
  ])('rejects a 200 with %s as an invalid response, without retrying', async (_name, body, why) => {
    srv = await serve((_req, res) => json(res, 200, body));
    const e = await rejection(connector().lookup('order', 'MV-1'));
    expect(e.message).toMatch(/^invalid response /);
    expect(e.message).toMatch(why);
    expect(srv.requests).toHaveLength(1);
  });

  it.each([401, 403, 400])('fails at once on %i, without retrying and without leaking the token', async (status) => {
    srv = await serve((req, res) => json(res, status, { error: `bad token ${req.headers.authorization}` }));
    const e = await rejection(connector().lookup('order', 'MV-1'));
    expect(e.message).toContain(`HTTP ${status}`);
    expect(e.message).not.toContain(TOKEN);
    expect(String(e.cause ?? '')).not.toContain(TOKEN);
    expect(srv.requests).toHaveLength(1);
    expect(srv.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('rejects invalid options at construction', () => {
    expect(() => new HttpConnector({ baseUrl: 'not a url' })).toThrow(ConfigError);
    expect(() => new HttpConnector({ baseUrl: 'ftp://example.test' })).toThrow(ConfigError);
    expect(() => new HttpConnector({ baseUrl: 'http://example.test', retries: -1 })).toThrow(ConfigError);
    expect(() => new HttpConnector({ baseUrl: 'http://example.test', timeoutMs: 0 })).toThrow(ConfigError);
  });

  it('uses the injected fetch', async () => {
    const calls: string[] = [];
    const fake = (async (input: string | URL | Request) => {
      calls.push(String(input));
      return new Response(JSON.stringify({ fileNumber: 'R-1' }), { status: 200 });
    }) as typeof fetch;
    const r = await new HttpConnector({ baseUrl: 'http://backoffice.test', fetch: fake }).lookup('repair', 'R-1');
    expect(r).toEqual({ fileNumber: 'R-1' });
    expect(calls).toEqual(['http://backoffice.test/repairs/R-1']);
  });
});
