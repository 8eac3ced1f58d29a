/**
 * Settings about being reachable from the open internet, and the per-installation development secrets.
 *
 * Development secrets: without HANDOFF_WEBHOOK_SECRET, AGENT_WEBHOOK_SECRET, DIRECTLINE_TOKEN_SECRET, ADMIN_TOKENS or
 * AGENT_TOKENS (refused in production), random ones are used, so that `npm start`, Web Chat, /admin, /agent and `npm run agent-desk` work
 * with no .env. `npm start` and the agent desk keep them in `<DATA_DIR>/dev-secrets.json` (mode 0600), created at
 * first start and reused afterwards; everything else (tests, scripts) gets random ones for the process, written
 * nowhere. No secret is written in the source: anyone could read it and sign tokens or webhooks.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../domain/errors';

const SERVICE_HOST = /^(https?:\/\/)?(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/i;

/** The environment variables of this part (spread into the env schema of ./index.ts). */
export const exposureEnv = {
  // Where the per-installation files go (dev-secrets.json); default: the SQLite file's folder.
  DATA_DIR: z.string().optional(),
  // More hosts the Bot Framework client may post replies to, besides Microsoft's: comma-separated https hosts
  // (*.example.com allowed) or exact origins (http://10.0.0.5:8080).
  BOT_SERVICE_URL_ALLOW: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const list = (v ?? '')
        .split(',')
        .map((x) => x.trim().toLowerCase())
        .filter(Boolean);
      const bad = list.find((x) => !SERVICE_HOST.test(x));
      if (bad) {
        ctx.addIssue({
          code: 'custom',
          message: `BOT_SERVICE_URL_ALLOW: "${bad}" is not a host (bots.example.com, *.example.com) nor an origin (https://bots.example.com:8443), no path`,
        });
        return z.NEVER;
      }
      return list;
    }),
  // The largest back-office answer read (bytes): a bigger one is a failed lookup, not memory for an attacker.
  BACKOFFICE_MAX_BYTES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return 262_144;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1024 || n > 10_485_760) {
        ctx.addIssue({
          code: 'custom',
          message: `BACKOFFICE_MAX_BYTES="${v}" must be an integer between 1024 and 10485760`,
        });
        return z.NEVER;
      }
      return n;
    }),
};

export interface DevSecrets {
  adminToken: string;
  directLineTokenSecret: string;
  handoffSecret: string;
  agentSecret: string;
  /** The development agent's sign-in token at /agent. */
  agentToken: string;
}

/** Where the development secrets came from: a file (`created` on this start) or this process only. */
export type DevSecretsSource = { file: string; created: boolean } | { file?: undefined; created: false };

const fileSchema = z
  .object({
    adminToken: z.string().min(16),
    directLineTokenSecret: z.string().min(32),
    handoffSecret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/),
    agentSecret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/),
    // Absent from files written before the agent desk: added to the file at the next start.
    agentToken: z.string().min(16).optional(),
  })
  .strict();

export function generateDevSecrets(): DevSecrets {
  return {
    adminToken: randomBytes(24).toString('base64url'),
    directLineTokenSecret: randomBytes(32).toString('base64url'),
    handoffSecret: `whsec_${randomBytes(32).toString('base64')}`,
    agentSecret: `whsec_${randomBytes(32).toString('base64')}`,
    agentToken: randomBytes(24).toString('base64url'),
  };
}

let processSecrets: DevSecrets | undefined;
/** Random for this process, written nowhere (tests, scripts). */
export function processDevSecrets(): DevSecrets {
  return (processSecrets ??= generateDevSecrets());
}

/** 'install': the installation's file (npm start, the agent desk); 'process': random for this process. */
export function devSecrets(
  mode: 'install' | 'process',
  dataDir: string,
): { secrets: DevSecrets; source: DevSecretsSource } {
  return mode === 'install' ? installDevSecrets(dataDir) : { secrets: processDevSecrets(), source: { created: false } };
}

export const devSecretsFile = (dataDir: string) => join(dataDir, 'dev-secrets.json');

/** The installation's development secrets: read from `<dataDir>/dev-secrets.json`, created (0600) the first time. */
export function installDevSecrets(dataDir: string): { secrets: DevSecrets; source: DevSecretsSource } {
  const file = devSecretsFile(dataDir);
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(generateDevSecrets(), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return { secrets: readDevSecrets(file), source: { file, created: true } };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new ConfigError(`cannot create the development secrets file ${file}: ${(e as Error).message}`);
  }
  // Someone widened its mode: secrets readable by other users are not secrets.
  if (statSync(file).mode & 0o077) chmodSync(file, 0o600);
  return { secrets: readDevSecrets(file), source: { file, created: false } };
}

function readDevSecrets(file: string): DevSecrets {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${file}: ${(e as Error).message} (delete it to generate new development secrets)`);
  }
  const r = fileSchema.safeParse(parsed);
  if (!r.success)
    throw new ConfigError(
      `${file}: ${r.error.issues[0]?.path.join('.') ?? 'file'}: ${r.error.issues[0]?.message} (delete it to generate new development secrets)`,
    );
  if (r.data.agentToken) return { ...r.data, agentToken: r.data.agentToken };
  const secrets = { ...r.data, agentToken: randomBytes(24).toString('base64url') };
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
