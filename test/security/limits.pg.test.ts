/**
 * Rate-limit counters in PostgreSQL: two app instances on the same database (as behind a load balancer) count the
 * same hits, so a client cannot multiply its allowance by the number of instances.
 */
import type { StartedApp } from '../support/app';
import { freshPgDatabase } from '../support/postgres';
import { expectLimited, LOW, newWidgetConversation, say, start, type Conv } from './limits-support';

const opened: StartedApp[] = [];
let db: Awaited<ReturnType<typeof freshPgDatabase>>;
let one: StartedApp;
let two: StartedApp;

beforeAll(async () => {
  db = await freshPgDatabase('savbot_limits');
  one = await start({ ...LOW, DATABASE_URL: db.url }, opened);
  two = await start({ ...LOW, DATABASE_URL: db.url }, opened);
});

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await db?.drop();
});

test('new conversations: the second instance sees the first one’s count', async () => {
  for (let i = 0; i < 3; i++) expect((await newWidgetConversation(one.base)).status).toBe(201);
  expect(await expectLimited(await newWidgetConversation(two.base))).toMatch(/new conversations a minute/);
  await expectLimited(await newWidgetConversation(one.base));
});

test('messages of one conversation, posted to both instances, are counted together', async () => {
  const fresh = await start({ ...LOW, DATABASE_URL: db.url, TRUST_PROXY: 'loopback' }, opened);
  // Another client (behind the trusted proxy), since this one used its allowance of new conversations above.
  const res = await newWidgetConversation(fresh.base, { 'x-forwarded-for': '198.51.100.7' });
  expect(res.status).toBe(201);
  const c = (await res.json()) as Conv;
  expect((await say(one.base, c, { text: 'where is my repair?' })).status).toBe(200);
  expect((await say(two.base, c, { text: 'where is my repair?' })).status).toBe(200);
  expect((await say(fresh.base, c, { text: 'where is my repair?' })).status).toBe(200);
  await expectLimited(await say(two.base, c, { text: 'where is my repair?' }));
});
