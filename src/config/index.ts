import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../domain/errors';
import { LANGS, type Lang } from '../domain/types';
import type { AdminUser } from '../domain/admin';
import type { OpeningHours } from '../domain/hours';
import { DEFAULT_THRESHOLDS, type DecisionThresholds } from '../domain/thresholds';
import { parseAdminTokens } from './adminTokens';
import { streamsConfig, streamsEnv, type StreamsConfig, type TranscriptsConfig } from './streams';
import { HANDOFF_REASONS, QUEUES, type HandoffReason, type QueueName } from '../domain/handoff';

const num = (name: string, def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name}="${v}" must be a number between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How the bot's identity is registered in Azure (the Azure Bot resource's "Type of App"). */
export const BOT_APP_TYPES = ['MultiTenant', 'SingleTenant', 'UserAssignedMSI'] as const;
export type BotAppType = (typeof BOT_APP_TYPES)[number];

const envSchema = z.object({
  PORT: num('PORT', 3978, 0, 65535),
  HOST: z.string().optional().default('0.0.0.0'),
  NODE_ENV: z.string().optional().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  KB_DIR: z.string().optional().default('knowledge-base'),
  DIALOGS_DIR: z.string().optional().default('dialogs'),
  DEFAULT_LANG: z.enum(LANGS).optional().default('fr'),
  MATCH_ANSWER_THRESHOLD: num('MATCH_ANSWER_THRESHOLD', DEFAULT_THRESHOLDS.answerThreshold, 0, 1),
  MATCH_CLARIFY_THRESHOLD: num('MATCH_CLARIFY_THRESHOLD', DEFAULT_THRESHOLDS.clarifyThreshold, 0, 1),
  MATCH_CLARIFY_MARGIN: num('MATCH_CLARIFY_MARGIN', DEFAULT_THRESHOLDS.clarifyMargin, 0, 1),
  KB_WATCH_INTERVAL_MS: num('KB_WATCH_INTERVAL_MS', 1000, 0, 60_000),
  MAX_BODY_BYTES: num('MAX_BODY_BYTES', 16384, 1024, 10_485_760),
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
  BACKOFFICE_TIMEOUT_MS: num('BACKOFFICE_TIMEOUT_MS', 3000, 1, 60_000),
  BACKOFFICE_RETRIES: num('BACKOFFICE_RETRIES', 2, 0, 10),
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
  DELIVERY_INTERVAL_MS: num('DELIVERY_INTERVAL_MS', 1000, 20, 60_000),
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
      const list = v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
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
      const list = (v ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
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
  ...streamsEnv,
  MICROSOFT_APP_ID: z
    .string()
    .optional()
    .refine((v) => !v || GUID.test(v.trim()), {
      message:
        "MICROSOFT_APP_ID must be the bot's Microsoft Entra application (client) id, a GUID like 00000000-0000-0000-0000-000000000000",
    }),
  MICROSOFT_APP_PASSWORD: z.string().optional(),
  MICROSOFT_APP_TENANT_ID: z
    .string()
    .optional()
    .refine((v) => !v || GUID.test(v.trim()), {
      message: 'MICROSOFT_APP_TENANT_ID must be a Microsoft Entra tenant id (a GUID)',
    }),
  MICROSOFT_APP_TYPE: z
    .string()
    .optional()
    .refine((v) => !v || (BOT_APP_TYPES as readonly string[]).includes(v), {
      message: `MICROSOFT_APP_TYPE must be one of ${BOT_APP_TYPES.join(', ')} (empty: SingleTenant when MICROSOFT_APP_TENANT_ID is set, MultiTenant otherwise)`,
    }),
  BOT_QUEUE_UPDATE_MS: num('BOT_QUEUE_UPDATE_MS', 60_000, 0, 86_400_000),
  ADMIN_TOKENS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      try {
        return parseAdminTokens(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `ADMIN_TOKENS: ${(e as Error).message}` });
        return z.NEVER;
      }
    }),
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

// Development secrets, so that `npm start` and `npm run agent-desk` work together with no .env. Refused in production.
const DEV_HANDOFF_SECRET = 'whsec_ZGV2LWhhbmRvZmYtc2VjcmV0LWNoYW5nZS1tZQ==';
const DEV_AGENT_SECRET = 'whsec_ZGV2LWFnZW50LXNlY3JldC1jaGFuZ2UtbWUtbm93';
// Development key for Direct Line tokens, so that Web Chat works after `npm start` with no .env. Refused in production.
const DEV_DIRECTLINE_TOKEN_SECRET = 'dev-directline-token-secret-change-me-now';
// Development admin token, so that /admin works after `npm start` with no .env. Refused in production.
export const DEV_ADMIN_TOKEN = 'dev-admin-token-change-me';

export interface Config {
  port: number;
  host: string;
  env: string;
  logLevel: string;
  kbDir: string;
  dialogsDir: string;
  /** Live updates: how often the content files are compared with the published ones (besides fs.watch); 0 = off. */
  kbWatchIntervalMs: number;
  defaultLang: Lang;
  matching: DecisionThresholds;
  http: { maxBodyBytes: number };
  storage: { databaseUrl?: string; sqliteFile: string };
  backoffice: { file: string; url?: string; token?: string; timeoutMs: number; retries: number };
  handoff: {
    webhookUrl?: string;
    webhookSecret: string;
    agentSecret: string;
    /** True when the secrets are the built-in development ones. */
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
    /** True when the built-in development key is in use. */
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
  botframework: {
    /** Without an app id: development (Bot Framework Emulator), requests accepted anonymously, replies sent without tokens. */
    appId?: string;
    appPassword?: string;
    tenantId?: string;
    appType: BotAppType;
    /** Shortest time between two proactive queue-position updates to one customer (0: every change). */
    queueUpdateMs: number;
  };
  admin: {
    /** Who may use the admin API and page (/admin), with which role. */
    users: AdminUser[];
    /** True when the built-in development token is in use. */
    devToken: boolean;
  };
}

/** Read and validate configuration once, from the environment (and .env when present, via the caller). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const r = envSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || 'env'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = r.data;
  // Every missing production setting at once: an operator fixes them in one go.
  const problems: string[] = [];
  if (e.NODE_ENV === 'production') {
    if (!e.HANDOFF_WEBHOOK_SECRET || !e.AGENT_WEBHOOK_SECRET)
      problems.push('HANDOFF_WEBHOOK_SECRET and AGENT_WEBHOOK_SECRET are required with NODE_ENV=production');
    if (!e.ADMIN_TOKENS) problems.push('ADMIN_TOKENS is required with NODE_ENV=production');
    if (!e.DIRECTLINE_TOKEN_SECRET) problems.push('DIRECTLINE_TOKEN_SECRET is required with NODE_ENV=production');
  }
  const bot = botframeworkConfig(e, problems);
  if (problems.length) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    port: e.PORT,
    host: e.HOST,
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    kbDir: resolve(cwd, e.KB_DIR),
    dialogsDir: resolve(cwd, e.DIALOGS_DIR),
    kbWatchIntervalMs: e.KB_WATCH_INTERVAL_MS,
    defaultLang: e.DEFAULT_LANG,
    matching: {
      answerThreshold: e.MATCH_ANSWER_THRESHOLD,
      clarifyThreshold: e.MATCH_CLARIFY_THRESHOLD,
      clarifyMargin: e.MATCH_CLARIFY_MARGIN,
    },
    http: { maxBodyBytes: e.MAX_BODY_BYTES },
    storage: { ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}), sqliteFile: resolve(cwd, e.SQLITE_FILE) },
    backoffice: {
      file: resolve(cwd, e.BACKOFFICE_FILE),
      ...(e.BACKOFFICE_URL ? { url: e.BACKOFFICE_URL } : {}),
      ...(e.BACKOFFICE_TOKEN ? { token: e.BACKOFFICE_TOKEN } : {}),
      timeoutMs: e.BACKOFFICE_TIMEOUT_MS,
      retries: e.BACKOFFICE_RETRIES,
    },
    handoff: {
      ...(e.HANDOFF_WEBHOOK_URL ? { webhookUrl: e.HANDOFF_WEBHOOK_URL } : {}),
      webhookSecret: e.HANDOFF_WEBHOOK_SECRET || DEV_HANDOFF_SECRET,
      agentSecret: e.AGENT_WEBHOOK_SECRET || DEV_AGENT_SECRET,
      devSecrets: !e.HANDOFF_WEBHOOK_SECRET || !e.AGENT_WEBHOOK_SECRET,
      triggers: e.HANDOFF_TRIGGERS,
      deliveryIntervalMs: e.DELIVERY_INTERVAL_MS,
      ...(e.HANDOFF_RETRY_SCHEDULE_MS ? { retryScheduleMs: e.HANDOFF_RETRY_SCHEDULE_MS } : {}),
      hours: e.HANDOFF_HOURS as Partial<Record<QueueName | 'default', OpeningHours>>,
    },
    metrics: { ...(e.METRICS_TOKEN ? { token: e.METRICS_TOKEN } : {}) },
    directLine: {
      tokenSecret: e.DIRECTLINE_TOKEN_SECRET || DEV_DIRECTLINE_TOKEN_SECRET,
      devTokenSecret: !e.DIRECTLINE_TOKEN_SECRET,
      ...(e.DIRECTLINE_SECRET ? { secret: e.DIRECTLINE_SECRET } : {}),
    },
    widget: { allowedOrigins: e.WIDGET_ALLOWED_ORIGINS },
    ...streamsConfig(e, e.PORT, e.DIRECTLINE_TOKEN_SECRET || DEV_DIRECTLINE_TOKEN_SECRET),
    botframework: bot,
    admin: {
      users: e.ADMIN_TOKENS ?? [{ name: 'admin', role: 'admin', token: DEV_ADMIN_TOKEN }],
      devToken: !e.ADMIN_TOKENS,
    },
  };
}

/** The bot's identity: all or nothing, and required in production (else /api/messages would accept anyone). */
function botframeworkConfig(e: z.infer<typeof envSchema>, problems: string[]): Config['botframework'] {
  const appId = e.MICROSOFT_APP_ID?.trim() || undefined;
  const appPassword = e.MICROSOFT_APP_PASSWORD || undefined;
  const tenantId = e.MICROSOFT_APP_TENANT_ID?.trim() || undefined;
  const appType = (e.MICROSOFT_APP_TYPE as BotAppType | undefined) || (tenantId ? 'SingleTenant' : 'MultiTenant');
  if (!appId) {
    if (e.NODE_ENV === 'production')
      problems.push(
        'MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (or MICROSOFT_APP_TYPE=UserAssignedMSI with MICROSOFT_APP_TENANT_ID) are required with NODE_ENV=production: without them POST /api/messages would accept unauthenticated requests',
      );
    else if (appPassword) problems.push('MICROSOFT_APP_PASSWORD is set but MICROSOFT_APP_ID is empty');
  } else {
    if (appType !== 'UserAssignedMSI' && !appPassword)
      problems.push(
        `MICROSOFT_APP_PASSWORD (the app registration's client secret) is required with MICROSOFT_APP_ID and MICROSOFT_APP_TYPE=${appType}`,
      );
    if (appType !== 'MultiTenant' && !tenantId)
      problems.push(`MICROSOFT_APP_TENANT_ID is required with MICROSOFT_APP_TYPE=${appType}`);
  }
  return {
    ...(appId ? { appId } : {}),
    ...(appPassword ? { appPassword } : {}),
    ...(tenantId ? { tenantId } : {}),
    appType,
    queueUpdateMs: e.BOT_QUEUE_UPDATE_MS,
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
