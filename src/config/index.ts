import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../domain/errors';
import { LANGS, type Lang } from '../domain/types';
import { DEFAULT_ENGINE_OPTIONS } from '../engine/engine';

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

const envSchema = z.object({
  PORT: num('PORT', 3978, 0, 65535),
  HOST: z.string().optional().default('0.0.0.0'),
  NODE_ENV: z.string().optional().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  KB_DIR: z.string().optional().default('knowledge-base'),
  DIALOGS_DIR: z.string().optional().default('dialogs'),
  DEFAULT_LANG: z.enum(LANGS).optional().default('fr'),
  MATCH_ANSWER_THRESHOLD: num('MATCH_ANSWER_THRESHOLD', DEFAULT_ENGINE_OPTIONS.answerThreshold, 0, 1),
  MATCH_CLARIFY_THRESHOLD: num('MATCH_CLARIFY_THRESHOLD', DEFAULT_ENGINE_OPTIONS.clarifyThreshold, 0, 1),
  MATCH_CLARIFY_MARGIN: num('MATCH_CLARIFY_MARGIN', DEFAULT_ENGINE_OPTIONS.clarifyMargin, 0, 1),
  MAX_BODY_BYTES: num('MAX_BODY_BYTES', 16384, 1024, 10_485_760),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^postgres(ql)?:\/\//.test(v), { message: 'DATABASE_URL must start with postgres:// (leave it empty for the embedded SQLite file)' }),
  SQLITE_FILE: z.string().optional().default('data/savbot.db'),
  BACKOFFICE_FILE: z.string().optional().default('data/backoffice.json'),
  BACKOFFICE_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^https?:\/\//.test(v), { message: 'BACKOFFICE_URL must be an http(s) URL' }),
  BACKOFFICE_TOKEN: z.string().optional(),
  BACKOFFICE_TIMEOUT_MS: num('BACKOFFICE_TIMEOUT_MS', 3000, 1, 60_000),
  BACKOFFICE_RETRIES: num('BACKOFFICE_RETRIES', 2, 0, 10),
});

export interface Config {
  port: number;
  host: string;
  env: string;
  logLevel: string;
  kbDir: string;
  dialogsDir: string;
  defaultLang: Lang;
  matching: { answerThreshold: number; clarifyThreshold: number; clarifyMargin: number };
  http: { maxBodyBytes: number };
  storage: { databaseUrl?: string; sqliteFile: string };
  backoffice: { file: string; url?: string; token?: string; timeoutMs: number; retries: number };
}

/** Read and validate configuration once, from the environment (and .env when present, via the caller). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const r = envSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || 'env'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = r.data;
  return {
    port: e.PORT,
    host: e.HOST,
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    kbDir: resolve(cwd, e.KB_DIR),
    dialogsDir: resolve(cwd, e.DIALOGS_DIR),
    defaultLang: e.DEFAULT_LANG,
    matching: { answerThreshold: e.MATCH_ANSWER_THRESHOLD, clarifyThreshold: e.MATCH_CLARIFY_THRESHOLD, clarifyMargin: e.MATCH_CLARIFY_MARGIN },
    http: { maxBodyBytes: e.MAX_BODY_BYTES },
    storage: { ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}), sqliteFile: resolve(cwd, e.SQLITE_FILE) },
    backoffice: {
      file: resolve(cwd, e.BACKOFFICE_FILE),
      ...(e.BACKOFFICE_URL ? { url: e.BACKOFFICE_URL } : {}),
      ...(e.BACKOFFICE_TOKEN ? { token: e.BACKOFFICE_TOKEN } : {}),
      timeoutMs: e.BACKOFFICE_TIMEOUT_MS,
      retries: e.BACKOFFICE_RETRIES,
    },
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
