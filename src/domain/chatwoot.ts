/** Chatwoot as the agents' helpdesk: the CHATWOOT_* settings as config/chatwoot.ts read them. */
export interface ChatwootSettings {
  /** Base URL of the Chatwoot installation, without a trailing slash. */
  url: string;
  accountId: number;
  inboxId: number;
  /** An agent's (or an agent bot's) access token: the `api_access_token` header of the application API. */
  apiToken: string;
  /** The secret path segment of the inbox's webhook URL (/api/chatwoot/webhook/<token>). */
  webhookToken: string;
  /** When set, the HMAC signature newer Chatwoot versions send is required too. */
  webhookSecret?: string;
}
