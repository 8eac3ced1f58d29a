/**
 * /metrics and the figures and inbox admin API over real HTTP on loopback (the app built by buildApp, a temp
 * SQLite file, the global fetch), after real conversations through the widget API and real webhook deliveries to
 * a receiver on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type App, type StartedApp } from '../support/app';

const EDITOR = 'editor-token-0123456789';
const ADMIN = 'admin-token-0123456789ab';
const METRICS = 'metrics-token-0123456789';

let app: App;
let base: string;
let running: StartedApp | undefined;
let receiver: Server;
/** Status codes the webhook receiver answers with, in order (then 200). */
const answers: number[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'savbot-insights-http-'));

const settings = (extra: Record<string, string>) => ({
  HANDOFF_TRIGGERS: '',
  ADMIN_TOKENS: `eve:editor:${EDITOR},ada:admin:${ADMIN}`,
  METRICS_TOKEN: '',
  ...extra,
});

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(answers.shift() ?? 200).end());
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  running = await startApp(
    settings({
      SQLITE_FILE: join(dataDir, 'bot.db'),
      HANDOFF_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      HANDOFF_RETRY_SCHEDULE_MS: '1',
    }),
  );
  ({ app, base } = running);
});

afterAll(async () => {
  await running?.close();
  if (receiver) await new Promise((ok) => receiver.close(ok));
  rmSync(dataDir, { recursive: true, force: true });
});

async function say(
  conv: { conversationId: string; token: string },
  text: string,
): Promise<{ source: { kind: string } }[]> {
  const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
    body: JSON.stringify({ text }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { replies: { source: { kind: string } }[] }).replies;
}

async function newConversation(): Promise<{ conversationId: string; token: string }> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lang: 'fr' }),
  });
  return (await res.json()) as { conversationId: string; token: string };
}

const get = (path: string, token?: string) =>
  fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
const post = (path: string, token?: string) =>
  fetch(`${base}${path}`, { method: 'POST', ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });

/** The value of one sample in the Prometheus text (0 when absent). */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('after real traffic', () => {
  let before: string;
  beforeAll(async () => {
    before = await (await get('/metrics')).text();
    const conv = await newConversation();
    expect((await say(conv, 'Quelle est la durée de la garantie ?'))[0]!.source.kind).toBe('faq');
    expect((await say(conv, 'zorglub frobnique le quux')).map((r) => r.source.kind)).toEqual(['fallback']);
    // Not understood twice: handed to a person (reason misunderstood, queue general).
    expect((await say(conv, 'wibble wobble plonk')).map((r) => r.source.kind)).toEqual(['handoff', 'handoff']);
    answers.push(500); // the first delivery attempt fails, the retry (1 ms later) succeeds
    expect(await app.delivery.runOnce()).toEqual({ delivered: 0, failed: 1 });
    // Wait for the retry to be due (the time the store gives it), not for a fixed while.
    const retry = (await app.store.events(conv.conversationId)).find((e) => e.status === 'pending');
    expect(retry).toMatchObject({ type: 'handoff.requested', attempts: 1 });
    const due = Date.parse(retry!.nextAttemptAt);
    const deadline = Date.now() + 10_000;
    while (Date.now() <= due && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(await app.delivery.runOnce()).toEqual({ delivered: 1, failed: 0 });
  });

  test('/metrics: counters moved, the matching histogram and the queue gauge are there', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const after = await res.text();
    const moved = (name: string, labels = '') => sample(after, name, labels) - sample(before, name, labels);
    expect(moved('savbot_messages_total', 'channel="widget"')).toBe(3);
    expect(moved('savbot_replies_total', 'kind="faq"')).toBe(1);
    expect(moved('savbot_replies_total', 'kind="fallback"')).toBe(1);
    expect(moved('savbot_replies_total', 'kind="handoff"')).toBe(2);
    expect(moved('savbot_handoffs_total', 'reason="misunderstood",queue="general"')).toBe(1);
    expect(moved('savbot_webhook_deliveries_total')).toBe(1);
    expect(moved('savbot_webhook_failures_total', 'kind="retry"')).toBe(1);
    expect(sample(after, 'savbot_handoff_queue_length', 'queue="general"')).toBe(1);
    expect(sample(after, 'savbot_webhook_pending')).toBe(0);
    // Each text matched at least once (a language switch check may match twice).
    expect(moved('savbot_match_duration_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(after).toMatch(/^savbot_match_duration_seconds_bucket\{le="0.001"\} \d+$/m);
    expect(after).toMatch(/^savbot_process_cpu_seconds_total /m);
  });

  test('figures and inbox over the admin API', async () => {
    const fig = (await (await get('/api/admin/figures?since=1d', EDITOR)).json()) as {
      conversations: number;
      handoffs: { byReason: Record<string, number> };
      resolved: { byBot: number };
    };
    expect(fig.conversations).toBe(1);
    expect(fig.handoffs.byReason).toEqual({ misunderstood: 1 });
    expect(fig.resolved.byBot).toBe(0); // a handoff was requested
    const inbox = (await (await get('/api/admin/inbox?since=1d&lang=fr', EDITOR)).json()) as {
      groups: { key: string; count: number; reasons: Record<string, number>; examples: { text: string }[] }[];
    };
    // Both messages not understood (the second one's fallback was replaced by the handoff notice), newest first;
    // and the answered question, since the next message, right after, fell back (a rephrasing, as far as the bot
    // can tell): answered, probably wrong.
    expect(inbox.groups.map((g) => [g.examples[0]!.text, g.count, g.reasons])).toEqual([
      ['wibble wobble plonk', 1, { fallback: 1 }],
      ['zorglub frobnique le quux', 1, { fallback: 1 }],
      ['Quelle est la durée de la garantie ?', 1, { 'probably-wrong': 1 }],
    ]);
    const [wibble, zorglub, warranty] = inbox.groups.map((g) => g.key);
    expect((await post(`/api/admin/inbox/${warranty}/dismiss`, EDITOR)).status).toBe(200);
    const dismissed = await post(`/api/admin/inbox/${zorglub}/dismiss`, EDITOR);
    expect([dismissed.status, await dismissed.json()]).toEqual([200, { key: zorglub, state: 'dismissed' }]);
    const after = (await (await get('/api/admin/inbox?since=1d', ADMIN)).json()) as { groups: { key: string }[] };
    expect(after.groups.map((g) => g.key)).toEqual([wibble]);
    expect((await post(`/api/admin/inbox/${wibble}/handled`, ADMIN)).status).toBe(200);
    expect(((await (await get('/api/admin/inbox?since=1d', ADMIN)).json()) as { groups: unknown[] }).groups).toEqual(
      [],
    );
  });

  test('bad queries are refused with the value at fault', async () => {
    const res = await get('/api/admin/figures?since=yesterday', EDITOR);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('since="yesterday"');
    expect((await get('/api/admin/inbox?lang=de', EDITOR)).status).toBe(400);
    expect((await post('/api/admin/inbox/%20nope/handled', EDITOR)).status).toBe(400);
  });
});

describe('auth', () => {
  test.each([
    ['GET', '/api/admin/figures'],
    ['GET', '/api/admin/inbox'],
    ['POST', '/api/admin/inbox/Ymxh/dismiss'],
    ['POST', '/api/admin/inbox/Ymxh/handled'],
  ])('%s %s: 401 without a token or with an unknown one, allowed to editors and admins', async (method, path) => {
    const call = (token?: string) =>
      fetch(`${base}${path}`, { method, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
    const none = await call();
    expect([none.status, ((await none.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      'UNAUTHORIZED',
    ]);
    expect((await call('not-a-known-token-at-all')).status).toBe(401);
    expect((await call(EDITOR)).status).toBe(200);
    expect((await call(ADMIN)).status).toBe(200);
  });

  test('/metrics with METRICS_TOKEN: 401 without it, 200 with it', async () => {
    const l = await startApp(
      settings({ SQLITE_FILE: join(dataDir, 'other.db'), METRICS_TOKEN: METRICS, HANDOFF_WEBHOOK_URL: '' }),
    );
    try {
      expect((await fetch(`${l.base}/metrics`)).status).toBe(401);
      expect((await fetch(`${l.base}/metrics`, { headers: { authorization: `Bearer ${EDITOR}` } })).status).toBe(401);
      const ok = await fetch(`${l.base}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE savbot_messages_total counter');
    } finally {
      await l.close();
    }
  });
});
