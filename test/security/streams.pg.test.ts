/**
 * The paged reads of the streams part on PostgreSQL (the back end of several instances): a reconnect replays the
 * rest a page at a time with nothing lost or twice, GET messages pages forward and back, and the signed transcript
 * URL of handoff.requested pages the whole transcript.
 */
import { startApp, type App, type StartedApp } from '../support/app';
import { freshPgDatabase } from '../support/postgres';
import { streamHelpers, until } from './streams-support';

const PUBLIC_URL = 'http://bot.example';
let db: Awaited<ReturnType<typeof freshPgDatabase>> | undefined;
let running: StartedApp | undefined;
let app: App;
let base: string;

beforeAll(async () => {
  db = await freshPgDatabase('savbot_streams');
  running = await startApp({ DATABASE_URL: db.url, STREAM_PAGE_SIZE: '100', PUBLIC_URL, HANDOFF_WEBHOOK_URL: '' });
  ({ app, base } = running);
});
afterAll(async () => {
  await running?.close();
  await db?.drop();
});

const { conversation, fill, sse, closeAll } = streamHelpers(() => ({ app, base }));
afterEach(async () => {
  await closeAll();
  jest.restoreAllMocks();
});

test('PostgreSQL: a reconnect with Last-Event-ID replays the rest in pages, nothing lost, nothing twice', async () => {
  const conv = await conversation();
  const ids = await fill(conv, 420);
  const reads = jest.spyOn(app.store, 'messagesPage');
  const s = sse(conv, { 'last-event-id': String(ids[49]) });
  await until(() => s.messageIds().at(-1) === ids.at(-1), 'the replay to the end');
  expect(s.messageIds()).toEqual(ids.slice(50));
  for (const [, q] of reads.mock.calls) expect(q.limit).toBeLessThanOrEqual(100);
});

test('PostgreSQL: GET messages pages forward and back; the transcript URL pages the whole transcript', async () => {
  const conv = await conversation();
  const ids = await fill(conv, 260, 100);
  const get = async (q: string) =>
    (await (
      await fetch(`${base}/api/conversations/${conv.conversationId}/messages${q}`, {
        headers: { authorization: `Bearer ${conv.token}` },
      })
    ).json()) as { messages: { id: number }[]; hasMore: boolean };
  expect((await get('')).messages.map((m) => m.id)).toEqual(ids.slice(0, 100));
  expect((await get(`?before=${ids[200]}&limit=30`)).messages.map((m) => m.id)).toEqual(ids.slice(170, 200));

  const res = await fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
    body: JSON.stringify({ text: 'je veux parler à un conseiller' }),
  });
  expect(res.status).toBe(200);
  const [event] = (await app.store.events(conv.conversationId)).filter((e) => e.type === 'handoff.requested');
  const data = (
    JSON.parse(event!.body) as { data: { transcript: unknown[]; transcriptTotal: number; transcriptUrl: string } }
  ).data;
  const stored = (await app.store.transcript(conv.conversationId)).map((m) => m.id);
  expect(data.transcript).toHaveLength(50);
  expect(data.transcriptTotal).toBe(stored.length);
  const fetched: number[] = [];
  for (let url: string | null = `${data.transcriptUrl}&limit=100`; url;) {
    const page = (await (await fetch(url.replace(PUBLIC_URL, base))).json()) as {
      messages: { id: number }[];
      nextUrl: string | null;
    };
    fetched.push(...page.messages.map((m) => m.id));
    url = page.nextUrl;
  }
  expect(fetched).toEqual(stored);
});
