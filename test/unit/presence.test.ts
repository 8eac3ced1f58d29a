/**
 * The live-stream presence every instance reads (src/channels/presence.ts), through the real StreamLimits and the
 * memory store's settings: what is written when streams open, stay open and close, how often, and what it says.
 */
import { SharedPresence } from '../../src/channels/presence';
import { StreamLimits } from '../../src/channels/streams';
import { presenceKey } from '../../src/domain/handoff';
import { MemoryConversationStore } from '../../src/storage/memory';

function setup() {
  const store = new MemoryConversationStore();
  const writes: [string, string | null][] = [];
  const settings = {
    getSetting: (k: string) => store.getSetting(k),
    setSetting: (k: string, v: string | null) => (writes.push([k, v]), store.setSetting(k, v)),
  };
  let clock = 1_000_000;
  const presence = new SharedPresence(settings, { refreshMs: 3_000, now: () => clock });
  const limits = new StreamLimits({ perConversation: 2, perIp: 10 }, presence);
  const record = async (id: string) => JSON.parse((await store.getSetting(presenceKey(id))) ?? 'null') as unknown;
  return { store, writes, presence, limits, record, tick: (ms: number) => (clock += ms), now: () => clock };
}

test('opening writes once, reconnects within the refresh interval write nothing more, the last close writes', async () => {
  const { writes, presence, limits, record, tick, now } = setup();
  const opened = now();
  const first = limits.open('c1', '10.0.0.1', () => undefined);
  const second = limits.open('c1', '10.0.0.1', () => undefined);
  tick(1_000);
  second.release();
  const third = limits.open('c1', '10.0.0.1', () => undefined);
  await presence.stop();
  expect(writes).toEqual([[presenceKey('c1'), JSON.stringify({ open: true, at: opened })]]);
  first.release();
  third.release();
  await presence.stop();
  expect(writes).toHaveLength(2);
  expect(await record('c1')).toEqual({ open: false, at: now() });
});

test("while a stream stays open the record is rewritten at the timer's tick, not again right after, and not once closed", async () => {
  const { writes, presence, limits, record, tick, now } = setup();
  const slot = limits.open('c1', '10.0.0.1', () => undefined);
  tick(1_000);
  presence.refresh(); // too soon: nothing
  await presence.stop();
  expect(writes).toHaveLength(1);
  tick(2_000);
  presence.refresh();
  presence.refresh();
  await presence.stop();
  expect(writes).toHaveLength(2);
  expect(await record('c1')).toEqual({ open: true, at: now() });
  slot.release();
  await presence.stop();
  tick(10_000);
  presence.refresh(); // nothing open here any more
  await presence.stop();
  expect(writes.map(([k]) => k)).toEqual([presenceKey('c1'), presenceKey('c1'), presenceKey('c1')]);
});

test('seen since: open now, closed after the time asked, not after an old close or a stale open record', async () => {
  const { store, presence, limits, tick, now } = setup();
  const slot = limits.open('c1', '10.0.0.1', () => undefined);
  await presence.stop();
  tick(2_000);
  // Open (recorded two seconds ago): seen for a reply that came just now.
  expect(await presence.seenSince('c1', now())).toBe(true);
  slot.release();
  await presence.stop();
  const closedAt = now();
  expect(await presence.seenSince('c1', closedAt)).toBe(true);
  expect(await presence.seenSince('c1', closedAt + 1)).toBe(false);
  // An instance gone without closing: its "open" record counts only while it would still be refreshed.
  await store.setSetting(presenceKey('c2'), JSON.stringify({ open: true, at: now() }));
  tick(7_000);
  expect(await presence.seenSince('c2', now())).toBe(true);
  tick(1);
  expect(await presence.seenSince('c2', now())).toBe(false);
  expect(await presence.seenSince('never', 0)).toBe(false);
});

test("agents' desk streams are not customers: nothing is recorded for them", async () => {
  const { writes, presence, limits } = setup();
  limits.open('desk:list:anna', '10.0.0.1', () => undefined).release();
  limits.open('desk:conversation:anna', '10.0.0.1', () => undefined).release();
  await presence.stop();
  expect(writes).toEqual([]);
});

test('a stream replaced by a newer one of the same conversation keeps it open', async () => {
  const { writes, presence, limits, record } = setup();
  const ended: string[] = [];
  limits.open('c1', '10.0.0.1', (r) => ended.push(r));
  limits.open('c1', '10.0.0.2', (r) => ended.push(r));
  const last = limits.open('c1', '10.0.0.3', () => undefined); // over perConversation: the oldest is replaced
  expect(ended).toEqual(['replaced']);
  await presence.stop();
  expect(writes).toHaveLength(1);
  expect(await record('c1')).toMatchObject({ open: true });
  last.release();
  await presence.stop();
  expect(await record('c1')).toMatchObject({ open: true }); // one stream is still open
});
