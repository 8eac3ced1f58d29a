import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { listItems, numberSetting, parsedSetting } from './settings';
import { ConfigError } from '../domain/errors';
import { LANGS, type Lang } from '../domain/types';
import type { AdminUser } from '../domain/admin';
import type { OpeningHours } from '../domain/hours';
import { DEFAULT_THRESHOLDS, type DecisionThresholds } from '../domain/thresholds';
import { parseAdminTokens } from './adminTokens';
import { lifetimeConfig, lifetimeEnv, type LifetimeConfig } from './lifetimes';
import { devSecrets, exposureEnv, type DevSecretsSource } from './exposure';
import { botframeworkConfig, botframeworkEnv, type BotframeworkConfig } from './botframework';
export { BOT_APP_TYPES, type BotAppType } from './botframework';
import { LIMITS_ENV, limitsConfig, type LimitsConfig, type QuotasConfig } from './limits';
import type { TrustProxy } from '../domain/limits';
import { attachmentsConfig, attachmentsEnv, type AttachmentsConfig } from './attachments';
import { mailConfig, mailEnv, type MailConfig } from './mail';
import { streamsConfig, streamsEnv, type StreamsConfig, type TranscriptsConfig } from './streams';
import { chatwootConfig, chatwootEnv } from './chatwoot';
import type { ChatwootSettings } from '../domain/chatwoot';
import { deskConfig, deskEnv, deskProblems, type DeskConfig } from './desk';
import { HANDOFF_REASONS, QUEUES, type HandoffReason, type QueueName } from '../domain/handoff';

const envSchema = z.object({
  PORT: numberSetting('PORT', 3978, 0, 65535),
  HOST: z.string().optional(), // default 127.0.0.1; 0.0.0.0 in production (a container, behind a proxy)
  NODE_ENV: z.string().optional().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  KB_DIR: z.string().optional().default('knowledge-base'),
  DIALOGS_DIR: z.string().optional().default('dialogs'),
  DEFAULT_LANG: z.enum(LANGS).optional().default('fr'),
  MATCH_ANSWER_THRESHOLD: numberSetting('MATCH_ANSWER_THRESHOLD', DEFAULT_THRESHOLDS.answerThreshold, 0, 1),
  MATCH_CLARIFY_THRESHOLD: numberSetting('MATCH_CLARIFY_THRESHOLD', DEFAULT_THRESHOLDS.clarifyThreshold, 0, 1),
  MATCH_CLARIFY_MARGIN: numberSetting('MATCH_CLARIFY_MARGIN', DEFAULT_THRESHOLDS.clarifyMargin, 0, 1),
  KB_WATCH_INTERVAL_MS: numberSetting('KB_WATCH_INTERVAL_MS', 1000, 0, 60_000),
  // Content part: versions published by other instances (database poll), and builds off the event loop.
  KB_SYNC_INTERVAL_MS: numberSetting('KB_SYNC_INTERVAL_MS', 1000, 0, 60_000),
  KB_BUILD_WORKER: z.enum(['auto', 'off']).optional().default('auto'),
  MAX_BODY_BYTES: numberSetting('MAX_BODY_BYTES', 16384, 1024, 10_485_760),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^postgres(ql)?:\/\//.test(v), {
      message: 'DATABASE_URL must start with postgres:// (leave it empty for the embedded SQLite file)',
    }),
  SQLITE_FILE: z.string().optional().default('data/savbot.db'),
  BACKOFFICE_FILE: z.string().optional().default('data/backoffice.json'),
  BACKOFFICE_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^https?:\/\//.test(v), { message: 'BACKOFFICE_URL must be an http(s) URL' }),
  BACKOFFICE_TOKEN: z.string().optional(),
  BACKOFFICE_TIMEOUT_MS: numberSetting('BACKOFFICE_TIMEOUT_MS', 3000, 1, 60_000),
  BACKOFFICE_RETRIES: numberSetting('BACKOFFICE_RETRIES', 2, 0, 10),
  HANDOFF_WEBHOOK_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^https?:\/\//.test(v), {
      message: 'HANDOFF_WEBHOOK_URL must be an http(s) URL (leave it empty to use the terminal agent desk only)',
    }),
  HANDOFF_WEBHOOK_SECRET: z
    .string()
    .optional()
    .refine((v) => !v || /^whsec_[A-Za-z0-9+/=]{16,}$/.test(v), {
      message: 'HANDOFF_WEBHOOK_SECRET must look like whsec_<base64>',
    }),
  AGENT_WEBHOOK_SECRET: z
    .string()
    .optional()
    .refine((v) => !v || /^whsec_[A-Za-z0-9+/=]{16,}$/.test(v), {
      message: 'AGENT_WEBHOOK_SECRET must look like whsec_<base64>',
    }),
  DELIVERY_INTERVAL_MS: numberSetting('DELIVERY_INTERVAL_MS', 1000, 20, 60_000),
  HANDOFF_RETRY_SCHEDULE_MS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const list = v.split(',').map((x) => Number(x.trim()));
      if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) {
        ctx.addIssue({
          code: 'custom',
          message: `HANDOFF_RETRY_SCHEDULE_MS="${v}" must be comma-separated delays in ms, like 5000,30000,120000`,
        });
        return z.NEVER;
      }
      return list;
    }),
  HANDOFF_TRIGGERS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return [...HANDOFF_REASONS];
      const list = listItems(v);
      const bad = list.filter((x) => !(HANDOFF_REASONS as readonly string[]).includes(x));
      if (bad.length) {
        ctx.addIssue({
          code: 'custom',
          message: `HANDOFF_TRIGGERS: unknown trigger(s) ${bad.join(', ')} (known: ${HANDOFF_REASONS.join(', ')})`,
        });
        return z.NEVER;
      }
      return list as HandoffReason[];
    }),
  // Open internet: data folder, Bot Framework service URLs, back-office answer size (./exposure.ts).
  ...exposureEnv,
  HANDOFF_HOURS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return {};
      try {
        return hoursSchema.parse(JSON.parse(v));
      } catch (e) {
        ctx.addIssue({
          code: 'custom',
          message: `HANDOFF_HOURS must be JSON like {"default":{"timeZone":"Europe/Paris","days":[1,2,3,4,5,6],"open":"09:00","close":"19:00"}}: ${(e as Error).message.split('\n')[0]}`,
        });
        return z.NEVER;
      }
    }),
  METRICS_TOKEN: z
    .string()
    .optional()
    .refine((v) => !v || v.length >= 16, {
      message: 'METRICS_TOKEN must be at least 16 characters (leave it empty for an open /metrics)',
    }),
  DIRECTLINE_TOKEN_SECRET: z
    .string()
    .optional()
    .refine((v) => !v || v.length >= 32, { message: 'DIRECTLINE_TOKEN_SECRET must be at least 32 characters' }),
  DIRECTLINE_SECRET: z
    .string()
    .optional()
    .refine((v) => !v || v.length >= 32, { message: 'DIRECTLINE_SECRET must be at least 32 characters' }),
  WIDGET_ALLOWED_ORIGINS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const list = listItems(v ?? '');
      const bad = list.filter((x) => !isOrigin(x));
      if (bad.length) {
        ctx.addIssue({
          code: 'custom',
          message: `WIDGET_ALLOWED_ORIGINS: "${bad[0]}" is not an origin (scheme://host[:port], no path), like https://shop.example`,
        });
        return z.NEVER;
      }
      return list;
    }),
  ...botframeworkEnv,
  ...streamsEnv,
  BOT_QUEUE_UPDATE_MS: numberSetting('BOT_QUEUE_UPDATE_MS', 60_000, 0, 86_400_000),
  // Privacy (storage limitation): days without activity before a conversation is erased; days a delivered
  // webhook body keeps its transcript and contact details.
  RETENTION_DAYS: numberSetting('RETENTION_DAYS', 365, 1, 36_500),
  OUTBOX_TRANSCRIPT_DAYS: numberSetting('OUTBOX_TRANSCRIPT_DAYS', 30, 1, 3650),
  ADMIN_TOKENS: parsedSetting('ADMIN_TOKENS', parseAdminTokens),
  ...lifetimeEnv,
  ...LIMITS_ENV,
  ...attachmentsEnv,
  ...chatwootEnv,
  ...deskEnv,
  ...mailEnv,
});

/** "https://shop.example" or "http://localhost:8080": what a browser sends in its Origin header. */
function isOrigin(x: string): boolean {
  try {
    const u = new URL(x);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === x;
  } catch {
    return false;
  }
}

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);
const openingHours = z
  .object({
    timeZone: z.string().refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'unknown time zone'),
    days: z.array(z.number().int().min(1).max(7)).min(1),
    open: hhmm,
    close: hhmm,
  })
  .strict();
const hoursSchema = z.partialRecord(z.enum(['default', ...QUEUES] as [string, ...string[]]), openingHours);

export interface Config extends LifetimeConfig {
  /** The agent desk at /agent (./desk.ts). */
  desk: DeskConfig;
  port: number;
  host: string;
  env: string;
  logLevel: string;
  kbDir: string;
  dialogsDir: string;
  /** Live updates: how often the content files are compared with the published ones (besides fs.watch); 0 = off. */
  kbWatchIntervalMs: number;
  content: {
    /** How often the database's latest published version is looked up (another instance's edit); 0 = never. */
    syncIntervalMs: number;
    /** 'auto': content builds run in a worker thread (in-process if none can start); 'off': always in-process. */
    buildWorker: 'auto' | 'off';
  };
  defaultLang: Lang;
  matching: DecisionThresholds;
  http: { maxBodyBytes: number };
  storage: { databaseUrl?: string; sqliteFile: string };
  dataDir: string; // per-installation files (dev-secrets.json)
  devSecrets?: DevSecretsSource; // where the development secrets in use come from; undefined: none in use
  backoffice: { file: string; url?: string; token?: string; timeoutMs: number; retries: number; maxBytes: number };
  handoff: {
    webhookUrl?: string;
    webhookSecret: string;
    agentSecret: string;
    /** True when the secrets are development ones (random per installation, see ./exposure.ts). */
    devSecrets: boolean;
    triggers: HandoffReason[];
    /** How often the worker looks for handoff events to deliver. */
    deliveryIntervalMs: number;
    /** Delays between delivery attempts (default: the worker's documented schedule). */
    retryScheduleMs?: number[];
    hours: Partial<Record<QueueName | 'default', OpeningHours>>;
  };
  /** GET /metrics: open when no token is set, else `Authorization: Bearer <token>`. */
  metrics: { token?: string };
  directLine: {
    /** Key of the HMAC that signs the per-conversation tokens. */
    tokenSecret: string;
    /** True when a development key is in use (random per installation). */
    devTokenSecret: boolean;
    /** Server-to-server secret for POST /v3/directline/tokens/generate (when set, required there). */
    secret?: string;
  };
  widget: {
    /** Other sites allowed to embed the widget (CORS on the widget API and event stream). */
    allowedOrigins: string[];
  };
  streams: StreamsConfig;
  transcripts: TranscriptsConfig;
  /** Bot Framework channel (Teams, Web Chat via Azure Bot Service) at POST /api/messages. */
  botframework: BotframeworkConfig;
  admin: {
    /** Who may use the admin API and page (/admin), with which role. */
    users: AdminUser[];
    /** True when a development token is in use (random per installation). */
    devToken: boolean;
  };
  /** Rate limits (RATE_LIMIT_*, RATE_LIMITS=off), quotas (MAX_MESSAGE*), proxies vouching for clients (TRUST_PROXY). */
  limits: LimitsConfig;
  quotas: QuotasConfig;
  trustProxy: TrustProxy;
  /** Retention: idle conversations erased after retentionDays; delivered webhook bodies stripped after outboxTranscriptDays. */
  privacy: { retentionDays: number; outboxTranscriptDays: number };
  /** Customers' files: sizes, quotas, pixel cap, signed URL lifetime (ATTACHMENT_*). */
  attachments: AttachmentsConfig;
  /** Chatwoot as the agents' helpdesk (CHATWOOT_*, ./chatwoot.ts); absent when not configured. */
  chatwoot?: ChatwootSettings;
  /** Email with customers (SMTP_URL, MAIL_FROM, HANDOFF_EMAIL_*): absent without SMTP_URL. */
  mail?: MailConfig;
}

/** Every missing production setting at once: an operator fixes them in one go. */
function productionProblems(e: z.infer<typeof envSchema>): string[] {
  const problems: string[] = [];
  if (e.NODE_ENV !== 'production') return problems;
  if (!e.HANDOFF_WEBHOOK_SECRET || !e.AGENT_WEBHOOK_SECRET)
    problems.push('HANDOFF_WEBHOOK_SECRET and AGENT_WEBHOOK_SECRET are required with NODE_ENV=production');
  if (!e.ADMIN_TOKENS) problems.push('ADMIN_TOKENS is required with NODE_ENV=production');
  if (!e.DIRECTLINE_TOKEN_SECRET) problems.push('DIRECTLINE_TOKEN_SECRET is required with NODE_ENV=production');
  return problems;
}

/** Read and validate configuration once (env, and .env via the caller); `devSecrets`: see ./exposure.ts. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  options: { devSecrets?: 'install' | 'process' } = {},
): Config {
  const r = envSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || 'env'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = r.data;
  const problems = productionProblems(e);
  const [bot, chatwoot] = [botframeworkConfig(e, deskProblems(e, problems)), chatwootConfig(e, problems)];
  if (problems.length) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  const sqliteFile = resolve(cwd, e.SQLITE_FILE);
  const dataDir = e.DATA_DIR ? resolve(cwd, e.DATA_DIR) : dirname(sqliteFile);
  const missing = !e.HANDOFF_WEBHOOK_SECRET || !e.AGENT_WEBHOOK_SECRET || !e.DIRECTLINE_TOKEN_SECRET || !e.ADMIN_TOKENS;
  const dev = missing || !e.AGENT_TOKENS ? devSecrets(options.devSecrets ?? 'process', dataDir) : undefined;
  return {
    port: e.PORT,
    host: e.HOST || (e.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    kbDir: resolve(cwd, e.KB_DIR),
    dialogsDir: resolve(cwd, e.DIALOGS_DIR),
    kbWatchIntervalMs: e.KB_WATCH_INTERVAL_MS,
    content: { syncIntervalMs: e.KB_SYNC_INTERVAL_MS, buildWorker: e.KB_BUILD_WORKER },
    defaultLang: e.DEFAULT_LANG,
    matching: {
      answerThreshold: e.MATCH_ANSWER_THRESHOLD,
      clarifyThreshold: e.MATCH_CLARIFY_THRESHOLD,
      clarifyMargin: e.MATCH_CLARIFY_MARGIN,
    },
    http: { maxBodyBytes: e.MAX_BODY_BYTES },
    storage: { ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}), sqliteFile },
    dataDir,
    ...(dev ? { devSecrets: dev.source } : {}),
    backoffice: {
      file: resolve(cwd, e.BACKOFFICE_FILE),
      ...(e.BACKOFFICE_URL ? { url: e.BACKOFFICE_URL } : {}),
      ...(e.BACKOFFICE_TOKEN ? { token: e.BACKOFFICE_TOKEN } : {}),
      timeoutMs: e.BACKOFFICE_TIMEOUT_MS,
      retries: e.BACKOFFICE_RETRIES,
      maxBytes: e.BACKOFFICE_MAX_BYTES,
    },
    handoff: {
      ...(e.HANDOFF_WEBHOOK_URL ? { webhookUrl: e.HANDOFF_WEBHOOK_URL } : {}),
      webhookSecret: e.HANDOFF_WEBHOOK_SECRET || dev!.secrets.handoffSecret,
      agentSecret: e.AGENT_WEBHOOK_SECRET || dev!.secrets.agentSecret,
      devSecrets: !e.HANDOFF_WEBHOOK_SECRET || !e.AGENT_WEBHOOK_SECRET,
      triggers: e.HANDOFF_TRIGGERS,
      deliveryIntervalMs: e.DELIVERY_INTERVAL_MS,
      ...(e.HANDOFF_RETRY_SCHEDULE_MS ? { retryScheduleMs: e.HANDOFF_RETRY_SCHEDULE_MS } : {}),
      hours: e.HANDOFF_HOURS as Partial<Record<QueueName | 'default', OpeningHours>>,
    },
    metrics: { ...(e.METRICS_TOKEN ? { token: e.METRICS_TOKEN } : {}) },
    directLine: {
      tokenSecret: e.DIRECTLINE_TOKEN_SECRET || dev!.secrets.directLineTokenSecret,
      devTokenSecret: !e.DIRECTLINE_TOKEN_SECRET,
      ...(e.DIRECTLINE_SECRET ? { secret: e.DIRECTLINE_SECRET } : {}),
    },
    widget: { allowedOrigins: e.WIDGET_ALLOWED_ORIGINS },
    ...streamsConfig(e, e.PORT, e.DIRECTLINE_TOKEN_SECRET || dev!.secrets.directLineTokenSecret),
    botframework: bot,
    admin: {
      users: e.ADMIN_TOKENS ?? [{ name: 'admin', role: 'admin', token: dev!.secrets.adminToken }],
      devToken: !e.ADMIN_TOKENS,
    },
    // The settings of their own files (./lifetimes.ts, ./limits.ts, ./attachments.ts, ./chatwoot.ts, ./desk.ts, ./mail.ts).
    ...{
      ...lifetimeConfig(e),
      ...limitsConfig(e),
      ...attachmentsConfig(e),
      ...chatwoot,
      ...deskConfig(e, dev?.secrets),
      ...mailConfig(e),
    },
    privacy: { retentionDays: e.RETENTION_DAYS, outboxTranscriptDays: e.OUTBOX_TRANSCRIPT_DAYS },
  };
}

/** Load `.env` from the working directory if there is one (optional: npm start works without it). */
export function loadDotEnv(file = '.env'): void {
  try {
    process.loadEnvFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`${file}: ${(e as Error).message}`);
  }
}
