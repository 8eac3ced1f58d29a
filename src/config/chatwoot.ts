import { z } from 'zod';
import type { ChatwootSettings } from '../domain/chatwoot';

/** Chatwoot as the agents' helpdesk, through an API-channel inbox (part of the env schema of ./index.ts). */
export const chatwootEnv = {
  CHATWOOT_URL: z.string().optional(),
  CHATWOOT_ACCOUNT_ID: z.string().optional(),
  CHATWOOT_INBOX_ID: z.string().optional(),
  CHATWOOT_API_TOKEN: z.string().optional(),
  CHATWOOT_WEBHOOK_TOKEN: z.string().optional(),
  CHATWOOT_WEBHOOK_SECRET: z.string().optional(),
};

type ChatwootEnv = { [K in keyof typeof chatwootEnv]?: string | undefined };

const REQUIRED = [
  'CHATWOOT_URL',
  'CHATWOOT_ACCOUNT_ID',
  'CHATWOOT_INBOX_ID',
  'CHATWOOT_API_TOKEN',
  'CHATWOOT_WEBHOOK_TOKEN',
] as const;

/** All five settings or none (then Chatwoot is off); each problem is pushed to `problems`, naming the variable. */
export function chatwootConfig(e: ChatwootEnv, problems: string[]): { chatwoot?: ChatwootSettings } {
  const v = (k: keyof ChatwootEnv) => e[k]?.trim() || undefined;
  const missing = REQUIRED.filter((k) => !v(k));
  if (missing.length === REQUIRED.length) {
    if (v('CHATWOOT_WEBHOOK_SECRET'))
      problems.push('CHATWOOT_WEBHOOK_SECRET is set but CHATWOOT_URL and the rest are not');
    return {};
  }
  if (missing.length) {
    problems.push(`Chatwoot needs all of ${REQUIRED.join(', ')}: missing ${missing.join(', ')}`);
    return {};
  }
  const before = problems.length;
  let url = v('CHATWOOT_URL')!;
  while (url.endsWith('/')) url = url.slice(0, -1);
  if (!isHttpUrl(url)) problems.push(`CHATWOOT_URL="${url}" must be an http(s) URL like https://desk.example.com`);
  const id = (k: 'CHATWOOT_ACCOUNT_ID' | 'CHATWOOT_INBOX_ID') => {
    const n = Number(v(k));
    if (!Number.isInteger(n) || n < 1) problems.push(`${k}="${v(k)}" must be a positive whole number`);
    return n;
  };
  const accountId = id('CHATWOOT_ACCOUNT_ID');
  const inboxId = id('CHATWOOT_INBOX_ID');
  const webhookToken = v('CHATWOOT_WEBHOOK_TOKEN')!;
  if (webhookToken.length < 16 || !/^[A-Za-z0-9_-]+$/.test(webhookToken))
    problems.push(
      `CHATWOOT_WEBHOOK_TOKEN must be at least 16 characters of A-Z, a-z, 0-9, _ and - (it is ${webhookToken.length} characters long)`,
    );
  const secret = v('CHATWOOT_WEBHOOK_SECRET');
  if (problems.length > before) return {};
  return {
    chatwoot: {
      url,
      accountId,
      inboxId,
      apiToken: v('CHATWOOT_API_TOKEN')!,
      webhookToken,
      ...(secret ? { webhookSecret: secret } : {}),
    },
  };
}

function isHttpUrl(x: string): boolean {
  try {
    const u = new URL(x);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
