/** A widget customer and a signed agent over HTTP, as the integration suites drive a running app. */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export interface Conv {
  conversationId: string;
  token: string;
}

/** POST /api/conversations: a new widget conversation (201 expected). */
export async function openConversation(base: string, lang = 'fr'): Promise<Conv> {
  const res = await fetch(`${base}/api/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lang }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Conv;
}

/** POST a customer message (text and/or a button's action), the response as it came. */
export const postMessage = (base: string, conv: Conv, body: { text?: string; action?: string }) =>
  fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
    body: JSON.stringify(body),
  });

/** A customer message that must be taken (200): the bot's replies. */
export async function sendMessage<R = unknown>(
  base: string,
  conv: Conv,
  body: { text?: string; action?: string },
): Promise<R[]> {
  const res = await postMessage(base, conv, body);
  expect(res.status).toBe(200);
  return ((await res.json()) as { replies: R[] }).replies;
}

/** An agent event signed with AGENT_WEBHOOK_SECRET (`secret`), which must be accepted (202). */
export async function agentEvent(base: string, secret: string, event: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify(event);
  const id = `msg_${randomBytes(12).toString('base64url')}`;
  const at = new Date();
  const res = await fetch(`${base}/api/agent/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    },
    body,
  });
  expect(res.status).toBe(202);
}

/** The agent "Marie" writes `text` to the customer. */
export const agentSays = (base: string, secret: string, conv: Conv, text: string) =>
  agentEvent(base, secret, {
    type: 'agent.message',
    conversationId: conv.conversationId,
    text,
    agent: { name: 'Marie' },
  });
