import { z } from 'zod';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How the bot's identity is registered in Azure (the Azure Bot resource's "Type of App"). */
export const BOT_APP_TYPES = ['MultiTenant', 'SingleTenant', 'UserAssignedMSI'] as const;
export type BotAppType = (typeof BOT_APP_TYPES)[number];

/** The Bot Framework identity's settings (part of the env schema of ./index.ts). */
export const botframeworkEnv = {
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
};

/** Bot Framework channel (Teams, Web Chat via Azure Bot Service) at POST /api/messages. */
export interface BotframeworkConfig {
  /** Without an app id: development (Bot Framework Emulator), requests accepted anonymously, replies sent without tokens. */
  appId?: string;
  appPassword?: string;
  tenantId?: string;
  appType: BotAppType;
  /** Shortest time between two proactive queue-position updates to one customer (0: every change). */
  queueUpdateMs: number;
  /** Hosts replies may be posted to besides Microsoft's (BOT_SERVICE_URL_ALLOW). */
  serviceUrlAllow: string[];
}

/** The bot's identity: all or nothing, and required in production (else /api/messages would accept anyone). */
export function botframeworkConfig(
  e: {
    NODE_ENV: string;
    MICROSOFT_APP_ID?: string | undefined;
    MICROSOFT_APP_PASSWORD?: string | undefined;
    MICROSOFT_APP_TENANT_ID?: string | undefined;
    MICROSOFT_APP_TYPE?: string | undefined;
    BOT_QUEUE_UPDATE_MS: number;
    BOT_SERVICE_URL_ALLOW: string[];
  },
  problems: string[],
): BotframeworkConfig {
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
    serviceUrlAllow: e.BOT_SERVICE_URL_ALLOW,
  };
}
