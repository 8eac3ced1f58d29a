import { z } from 'zod';
import { isIP } from 'node:net';
import { ConfigError } from '../domain/errors';
import type { SmtpSettings } from '../domain/mail';
import { intSetting } from './settings';

/**
 * Email with customers when nobody is online (SMTP_URL, MAIL_FROM, HANDOFF_EMAIL_AFTER_MS, HANDOFF_EMAIL_GRACE_MS).
 * Spread into the env schema of ./index.ts; without SMTP_URL nothing is mailed and the bot offers no email.
 */
export const mailEnv = {
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().optional(),
  // A queued handoff no agent has joined after this long gets the offer to continue by email (5 min).
  HANDOFF_EMAIL_AFTER_MS: intSetting('HANDOFF_EMAIL_AFTER_MS', 300_000, 0, 86_400_000),
  // An agent's reply is mailed this long after it arrives, unless the customer read it live meanwhile (under 30 s).
  HANDOFF_EMAIL_GRACE_MS: intSetting('HANDOFF_EMAIL_GRACE_MS', 10_000, 0, 25_000),
};

export interface MailConfig {
  smtp: SmtpSettings;
  /** MAIL_FROM as given ("Shop <sav@shop.example>" or an address). */
  from: string;
  /** The domain of MAIL_FROM's address: the right side of every Message-ID. */
  domain: string;
  afterMs: number;
  graceMs: number;
}

type MailEnv = {
  SMTP_URL?: string | undefined;
  MAIL_FROM?: string | undefined;
  HANDOFF_EMAIL_AFTER_MS: number;
  HANDOFF_EMAIL_GRACE_MS: number;
};

const FROM = /^(?:[^<>]*<([^\s<>@]+@[^\s<>@]+\.[A-Za-z]{2,})>|([^\s<>@]+@[^\s<>@]+\.[A-Za-z]{2,}))$/;

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** SMTP_URL read: smtp:// or smtps://; plain SMTP to another host than loopback only with STARTTLS required. */
function smtpOf(raw: string, problems: string[]): SmtpSettings | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    problems.push('SMTP_URL must be a URL like smtps://user:password@mail.example.com:465');
    return undefined;
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    problems.push(`SMTP_URL must start with smtp:// or smtps:// (got ${u.protocol})`);
    return undefined;
  }
  const secure = u.protocol === 'smtps:';
  const starttls = u.searchParams.get('starttls');
  if (starttls !== null && starttls !== 'required') {
    problems.push(`SMTP_URL: starttls="${starttls}" must be "required" (or left out)`);
    return undefined;
  }
  const requireTLS = starttls === 'required';
  if (!secure && !requireTLS && !isLoopback(u.hostname)) {
    problems.push(
      `SMTP_URL to ${u.hostname} must be smtps:// or end with ?starttls=required (plain SMTP only on loopback)`,
    );
    return undefined;
  }
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    requireTLS,
    ...(u.username ? { user: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { pass: decodeURIComponent(u.password) } : {}),
  };
}

/** The mail settings, or none without SMTP_URL; a ConfigError names each variable at fault. */
export function mailConfig(e: MailEnv): { mail?: MailConfig } {
  const problems: string[] = [];
  const mail = readMail(e, problems);
  if (problems.length) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return mail;
}

function readMail(e: MailEnv, problems: string[]): { mail?: MailConfig } {
  const url = e.SMTP_URL?.trim();
  if (!url) return {};
  const smtp = smtpOf(url, problems);
  const from = e.MAIL_FROM?.trim() ?? '';
  const m = FROM.exec(from);
  if (!m) problems.push(`MAIL_FROM="${from}" must be an address, like "Service client <sav@shop.example>"`);
  if (!smtp || !m) return {};
  const address = (m[1] ?? m[2])!;
  return {
    mail: {
      smtp,
      from,
      domain: address.slice(address.lastIndexOf('@') + 1).toLowerCase(),
      afterMs: e.HANDOFF_EMAIL_AFTER_MS,
      graceMs: e.HANDOFF_EMAIL_GRACE_MS,
    },
  };
}
