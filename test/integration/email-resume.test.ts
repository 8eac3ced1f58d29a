/**
 * The mail's link back to the conversation, over real HTTP on loopback (test/support/app.ts, a temp SQLite file) and
 * a real SMTP server whose mails are read back: the signed, expiring link traded for a widget token on another
 * device (POST /api/conversations/:id/resume), and every refusal (tampered, expired, another conversation's, a
 * transcript's signature, unknown, over the rate limit) leaving the conversation as it was.
 */
import { randomBytes } from 'node:crypto';
import { ResumeLinks } from '../../src/handoff/resumeLink';
import { TranscriptLinks } from '../../src/handoff/transcriptLink';
import { hoursAroundNow } from '../support/config';
import { freshPgDatabase } from '../support/postgres';
import { startApp, type App, type StartedApp } from '../support/app';
import { Inbox } from '../support/smtp';
import {
  agentSays as sayAsAgent,
  openConversation,
  postMessage as postCustomerMessage,
  sendMessage,
  type Conv,
} from '../support/customer';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const PUBLIC_URL = 'https://bot.shop.example';

const inbox = new Inbox();
let running: StartedApp | undefined;
let app: App;
let base: string;

const env = () => ({
  AGENT_WEBHOOK_SECRET: SECRET,
  HANDOFF_WEBHOOK_URL: '',
  HANDOFF_TRIGGERS: '',
  HANDOFF_HOURS: hoursAroundNow(false),
  SMTP_URL: `smtp://127.0.0.1:${inbox.port}`,
  MAIL_FROM: 'Service client <sav@shop.example>',
  HANDOFF_EMAIL_GRACE_MS: '0',
  PUBLIC_URL,
});

beforeAll(async () => {
  await inbox.start();
  running = await startApp(env());
  ({ app, base } = running);
});

afterAll(async () => {
  await running?.close();
  await inbox.stop();
});

beforeEach(() => {
  inbox.raw.length = 0;
});

const createConversation = (at = base) => openConversation(at);
const postMessage = (conv: Conv, text: string, at = base, action?: string) =>
  postCustomerMessage(at, conv, action ? { action, text } : { text });
async function say(conv: Conv, text: string): Promise<void> {
  await sendMessage(base, conv, { text });
}
const agentSays = (conv: Conv, text: string) => sayAsAgent(base, SECRET, conv, text);

const resume = (conversationId: string, body: unknown, at = base) =>
  fetch(`${at}/api/conversations/${encodeURIComponent(conversationId)}/resume`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const messages = (conv: Conv) =>
  fetch(`${base}/api/conversations/${conv.conversationId}/messages`, {
    headers: { authorization: `Bearer ${conv.token}` },
  });

/** The link's parts as the widget reads them from the page's address. */
function linkParts(link: string): { id: string; expires: string; sig: string } {
  const u = new URL(link);
  return {
    id: u.searchParams.get('conversation')!,
    expires: u.searchParams.get('expires')!,
    sig: u.searchParams.get('sig')!,
  };
}

/** A French after-hours handoff continuing by email; an agent's reply mailed; the link read back from the mail. */
async function mailedLink(address: string): Promise<{ conv: Conv; link: string }> {
  const conv = await createConversation();
  await say(conv, 'je veux parler à un conseiller');
  expect((await postMessage(conv, 'Continuer par e-mail', base, 'email:continue')).status).toBe(200);
  await say(conv, `C'est ${address} merci`);
  expect((await app.engine.getConversation(conv.conversationId))?.email).toMatchObject({ address, replies: true });
  await agentSays(conv, 'Votre remboursement est parti.');
  expect(await app.mail!.runOnce()).toEqual({ delivered: 1, failed: 0 });
  const [mail] = await inbox.mails();
  const link = /https:\/\/bot\.shop\.example\/\?\S+/.exec(mail!.text ?? '')?.[0];
  expect(link).toBeDefined();
  expect(mail!.html).toContain(`href="${link!.replaceAll('&', '&#38;')}"`);
  return { conv, link: link! };
}

test('the mail link, on another device: a new token that reads the transcript and posts; the old one is refused', async () => {
  const { conv, link } = await mailedLink('lea.martin@exemple.fr');
  const { id, expires, sig } = linkParts(link);
  expect(id).toBe(conv.conversationId);
  // About 7 days from now (the link's lifetime).
  expect(Number(expires) * 1000 - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
  expect(Number(expires) * 1000 - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);

  const res = await resume(id, { expires, sig });
  expect(res.status).toBe(200);
  const phone = (await res.json()) as Conv & { lang?: string };
  expect(phone).toMatchObject({ conversationId: conv.conversationId, lang: 'fr' });
  expect(phone.token).not.toBe(conv.token);

  const page = (await (await messages(phone)).json()) as { messages: { from: string; text: string }[] };
  expect(page.messages).toContainEqual(
    expect.objectContaining({ from: 'agent', text: 'Votre remboursement est parti.' }),
  );
  const answer = await postMessage(phone, 'Merci, bien reçu');
  expect(answer.status).toBe(200);
  const transcript = await app.engine.transcript(conv.conversationId);
  expect(transcript.filter((m) => m.from === 'customer').at(-1)).toMatchObject({ text: 'Merci, bien reçu' });

  // The device that had the conversation is refused: its widget forgets it and starts afresh.
  expect((await messages(conv)).status).toBe(401);
  expect((await postMessage(conv, 'encore moi')).status).toBe(401);
  // The link works again until it expires (the customer clicks it twice, or on a third device).
  const again = await resume(id, { expires: Number(expires), sig });
  expect(again.status).toBe(200);
  expect((await messages(phone)).status).toBe(401);
  expect((await messages((await again.json()) as Conv)).status).toBe(200);
});

describe('refused links change nothing', () => {
  let conv: Conv;
  let links: ResumeLinks;
  beforeAll(async () => {
    conv = await createConversation();
    links = new ResumeLinks(running!.config.transcripts);
  });
  afterEach(async () => {
    // The conversation's own token still works: nothing was rotated.
    expect((await messages(conv)).status).toBe(200);
  });

  test('a tampered signature or expiry: 403', async () => {
    const { expires, sig } = linkParts(links.url(conv.conversationId, new Date()));
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
    expect((await resume(conv.conversationId, { expires, sig: flipped })).status).toBe(403);
    const later = String(Number(expires) + 86_400);
    const res = await resume(conv.conversationId, { expires: later, sig });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
  });

  test('an expired link: 401 LINK_EXPIRED', async () => {
    const old = new ResumeLinks({ ...running!.config.transcripts, ttlMs: -60_000 });
    const { expires, sig } = linkParts(old.url(conv.conversationId, new Date()));
    const res = await resume(conv.conversationId, { expires, sig });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('LINK_EXPIRED');
  });

  test("another conversation's signature, or a transcript link's: 403", async () => {
    const other = await createConversation();
    const { expires, sig } = linkParts(links.url(other.conversationId, new Date()));
    expect((await resume(conv.conversationId, { expires, sig })).status).toBe(403);
    const t = running!.config.transcripts;
    const transcript = new TranscriptLinks({ publicUrl: t.publicUrl, key: t.urlKey, ttlMs: t.urlTtlMs });
    const g = transcript.grant(conv.conversationId, new Date());
    expect((await resume(conv.conversationId, { expires: g.expires, sig: g.signature })).status).toBe(403);
  });

  test('a well-signed link to an erased conversation, or one never created: 404', async () => {
    const erased = await createConversation();
    expect(await app.store.eraseConversation(erased.conversationId, new Date())).toBeDefined();
    for (const id of [erased.conversationId, '00000000-0000-4000-8000-000000000000']) {
      const { expires, sig } = linkParts(links.url(id, new Date()));
      expect((await resume(id, { expires, sig })).status).toBe(404);
    }
  });

  test('a malformed body: 400 naming the field', async () => {
    const res = await resume(conv.conversationId, { expires: '1', sig: 'x'.repeat(101) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('sig');
    expect((await resume(conv.conversationId, { sig: 'x' })).status).toBe(400);
    expect((await resume(conv.conversationId, { expires: '1', sig: 'x', token: 'y' })).status).toBe(400);
  });
});

test('resuming is counted like new conversations: over the limit, 429 and the token unchanged', async () => {
  const limited = await startApp({
    ...env(),
    RATE_LIMITS: 'on',
    RATE_LIMIT_NEW_CONVERSATIONS_PER_MINUTE: '2',
    RATE_LIMIT_NEW_CONVERSATIONS_BURST: '2',
  });
  try {
    const conv = await createConversation(limited.base);
    const { expires, sig } = linkParts(
      new ResumeLinks(limited.config.transcripts).url(conv.conversationId, new Date()),
    );
    const first = await resume(conv.conversationId, { expires, sig }, limited.base);
    expect(first.status).toBe(200);
    const fresh = (await first.json()) as Conv;
    expect((await resume(conv.conversationId, { expires, sig }, limited.base)).status).toBe(429);
    expect((await postMessage(fresh, 'bonjour', limited.base)).status).toBe(200);
  } finally {
    await limited.close();
  }
});

test('two instances on one PostgreSQL: a link signed by one resumes on the other, whose token both accept', async () => {
  const db = await freshPgDatabase('savbot_resume');
  const shared = { ...env(), DATABASE_URL: db.url, DIRECTLINE_TOKEN_SECRET: randomBytes(32).toString('base64url') };
  let a: StartedApp | undefined;
  let b: StartedApp | undefined;
  try {
    // The first alone: it migrates the database.
    a = await startApp(shared);
    b = await startApp(shared);
    const conv = await createConversation(a.base);
    const { expires, sig } = linkParts(new ResumeLinks(a.config.transcripts).url(conv.conversationId, new Date()));
    const res = await resume(conv.conversationId, { expires, sig }, b.base);
    expect(res.status).toBe(200);
    const phone = (await res.json()) as Conv;
    expect((await postMessage(phone, 'bonjour', a.base)).status).toBe(200);
    expect((await postMessage(phone, 'toujours là', b.base)).status).toBe(200);
    expect((await postMessage(conv, 'ancien appareil', a.base)).status).toBe(401);
  } finally {
    await b?.close();
    await a?.close();
    await db.drop();
  }
});
