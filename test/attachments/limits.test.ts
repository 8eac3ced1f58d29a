/** An upload is a message for the per-conversation rate limit (RATE_LIMIT_MESSAGES_PER_MINUTE), on a real app. */
import type { StartedApp } from '../support/app';
import { newCustomer, png, start, upload } from './scenario';

let running: StartedApp | undefined;

beforeAll(async () => {
  running = await start({ RATE_LIMITS: 'on', RATE_LIMIT_MESSAGES_PER_MINUTE: '2' });
});

afterAll(async () => {
  await running?.close();
});

test('uploads and texts share the message allowance; the refused upload stores nothing', async () => {
  const base = running!.base;
  const c = await newCustomer(base);
  expect((await upload(base, c, { bytes: await png(), name: 'a.png' })).status).toBe(201);
  const text = await fetch(`${base}/api/conversations/${c.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
    body: JSON.stringify({ text: 'bonjour' }),
  });
  expect(text.status).toBe(200);
  const third = await upload(base, c, { bytes: await png(), name: 'b.png' });
  expect(third.status).toBe(429);
  expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(((await third.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
  expect((await running!.app.attachments.list(c.conversationId)).map((f) => f.name)).toEqual(['a.png']);
});
