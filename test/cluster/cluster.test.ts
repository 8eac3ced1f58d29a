/**
 * Three real instances (child processes) on one PostgreSQL behind a real HAProxy, on loopback: 20 widget clients
 * hold event streams through the balancer while agents' replies are posted to other instances than the streams',
 * and one instance is killed with SIGKILL in the middle. Every stored message reaches its stream exactly once (by
 * id), nothing is lost, the cut streams reconnect through the balancer with Last-Event-ID. No timing assertions:
 * the waits are bounds.
 */
import WebSocket from 'ws';
import {
  agentEvent,
  createConversation,
  say,
  startCluster,
  StreamClient,
  transcriptIds,
  until,
  type Cluster,
} from '../support/cluster';

jest.setTimeout(180_000);

const CLIENTS = 20;
const ROUNDS = 4;

let cluster: Cluster;

beforeAll(async () => {
  // Streams never poll during the test: what another instance writes can reach them only through the change feed.
  cluster = await startCluster(3, { STREAM_POLL_MS: '600000' });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

test('Direct Line: a WebSocket through HAProxy gets the answer to a message posted on another instance', async () => {
  const lb = cluster.balancer.base;
  const res = await fetch(`${lb}/v3/directline/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(201);
  const conv = (await res.json()) as { conversationId: string; token: string; streamUrl: string };
  // The stream URL names the balancer (the Host the client used), not the instance.
  expect(new URL(conv.streamUrl).host).toBe(new URL(lb).host);
  const texts: { from: string; text: string }[] = [];
  const ws = new WebSocket(conv.streamUrl);
  try {
    const servedBy = await new Promise<string>((ok, fail) => {
      ws.once('upgrade', (r) => ok(String(r.headers['x-served-by'])));
      ws.once('error', fail);
    });
    ws.on('message', (data) => {
      const set = JSON.parse(String(data)) as { activities: { from: { role?: string }; text?: string }[] };
      for (const a of set.activities) texts.push({ from: a.from.role ?? 'user', text: a.text ?? '' });
    });
    await until(() => texts.some((t) => t.from === 'bot'), 20_000, 'the welcome on the WebSocket');
    const other = cluster.alive().find((i) => i.name !== servedBy)!;
    const question = 'combien de temps dure la garantie ?';
    const posted = await fetch(`${other.base}/v3/directline/conversations/${conv.conversationId}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${conv.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: question, from: { id: 'u' } }),
    });
    expect(posted.status).toBe(200);
    // The echo of the customer's message, then the answer (after it: the welcome also says "garantie").
    const answers = () => texts.slice(texts.findIndex((t) => t.text === question) + 1).filter((t) => t.from === 'bot');
    await until(() => texts.some((t) => t.text === question) && answers().length > 0, 20_000, 'the answer');
    expect(texts.filter((t) => t.text === question)).toHaveLength(1);
    expect(texts.filter((t) => t.from === 'bot')[0]!.text).toMatch(/^Bonjour/); // the welcome, once
    expect(answers()[0]!.text).toMatch(/garantie/i);
  } finally {
    ws.close();
  }
});

test('20 streams through HAProxy, replies posted on other instances, one instance SIGKILLed: each message once', async () => {
  const lb = cluster.balancer.base;
  const byName = new Map(cluster.instances.map((i) => [i.name, i.base]));
  const convs = [];
  for (let i = 0; i < CLIENTS; i++) {
    const conv = await createConversation(lb);
    await say(lb, conv, 'je veux parler à un conseiller');
    convs.push(conv);
  }
  const streams = convs.map((c) => new StreamClient(lb, c));
  streams.forEach((s) => s.start());
  try {
    await until(() => streams.every((s) => s.connections > 0 && s.seen.size >= 2), 30_000, 'every stream open');
    // The balancer spreads the streams: more than one instance holds some.
    expect(new Set(streams.map((s) => s.servedBy)).size).toBeGreaterThan(1);
    // Another instance than the stream's (one still alive).
    const others = (s: StreamClient) => () => {
      const alive = cluster.alive().filter((i) => i.name !== s.servedBy);
      return (alive.length ? alive : cluster.alive()).map((i) => i.base);
    };
    await Promise.all(
      streams.map((s) =>
        agentEvent(others(s), { type: 'agent.joined', conversationId: s.conv.conversationId, agent: { name: 'Ana' } }),
      ),
    );
    // Typing is not stored: it crosses instances through the change feed.
    await agentEvent(others(streams[0]!), {
      type: 'agent.typing',
      conversationId: streams[0]!.conv.conversationId,
      agent: { name: 'Ana' },
    });
    const victim = streams[0]!.servedBy;
    const cut = streams.filter((s) => s.servedBy === victim);
    for (let round = 0; round < ROUNDS; round++) {
      const posts = streams.map((s) =>
        agentEvent(others(s), {
          type: 'agent.message',
          conversationId: s.conv.conversationId,
          text: `réponse ${round}`,
          agent: { name: 'Ana' },
        }),
      );
      // Mid-run: while the second round's replies are being posted.
      if (round === 1) await cluster.kill(victim);
      await Promise.all(posts);
    }
    const alive = cluster.alive()[0]!.base;
    const expected = await Promise.all(convs.map((c) => transcriptIds(alive, c)));
    await until(
      () => streams.every((s, i) => expected[i]!.every((id) => s.seen.has(id))),
      60_000,
      'every stored message on its stream',
    );
    for (const [i, s] of streams.entries()) {
      // Nothing lost, nothing twice, nothing that is not stored.
      expect([...s.seen.keys()].sort((a, b) => a - b)).toEqual(expected[i]);
      expect([...s.seen.values()].every((n) => n === 1)).toBe(true);
      // Each round's reply, in the transcript: the agent's messages were all stored once.
      expect(expected[i]!.length).toBe(expected[0]!.length);
    }
    expect(streams[0]!.typing).toContain('Ana');
    // The killed instance's streams came back through the balancer, on another instance.
    expect(cut.length).toBeGreaterThan(0);
    for (const s of cut) {
      expect(s.connections).toBeGreaterThan(1);
      expect(s.servedBy).not.toBe(victim);
      expect(byName.has(s.servedBy)).toBe(true);
    }
  } finally {
    streams.forEach((s) => s.close());
  }
});
