import { AuthType, type AuthConfiguration } from '@microsoft/agents-hosting';

/** How the bot's identity is registered in Azure (the Azure Bot resource's "Type of App", MICROSOFT_APP_TYPE). */
export type BotAppType = 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';

export interface BotIdentity {
  appId?: string;
  appPassword?: string;
  tenantId?: string;
  appType: BotAppType;
}

/** The SDK's authentication settings for our identity; empty (anonymous, development) without an app id. */
export function authConfiguration(id: BotIdentity): AuthConfiguration {
  if (!id.appId) return {};
  // Tokens must come from Azure Bot Service or our tenant: Entra signing keys are shared by all tenants, so without
  // this a token another tenant obtains for our app id would pass (the SDK leaves it off for compatibility).
  const validateIssuer = true;
  if (id.appType === 'UserAssignedMSI')
    return { clientId: id.appId, tenantId: id.tenantId, authType: AuthType.UserManagedIdentity, validateIssuer };
  // MultiTenant: no tenant, the SDK uses botframework.com (the Azure Bot "MultiTenant" type).
  return {
    clientId: id.appId,
    clientSecret: id.appPassword,
    ...(id.appType === 'SingleTenant' ? { tenantId: id.tenantId } : {}),
    authType: AuthType.ClientSecret,
    validateIssuer,
  };
}
