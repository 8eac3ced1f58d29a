/**
 * Where the Bot Framework client may post replies: an activity's `serviceUrl` says where, and without this list
 * anyone reaching POST /api/messages (anonymous in Emulator mode) could make the server POST to any address, an
 * internal service included. Microsoft's channel hosts, the hosts of BOT_SERVICE_URL_ALLOW, and loopback http only
 * in Emulator mode (no MICROSOFT_APP_ID, not production).
 */

/**
 * Microsoft's service URLs: Teams (smba.trafficmanager.net/<region>/, smba.infra.*.teams.microsoft.com|us for the
 * government clouds), Azure Bot Service channels (*.botframework.com: Web Chat, Direct Line, Slack...; the US
 * government and China clouds), used by the Agents SDK as by the Bot Framework SDK.
 */
export const MICROSOFT_SERVICE_HOSTS = [
  'smba.trafficmanager.net',
  '*.botframework.com',
  '*.teams.microsoft.com',
  '*.teams.microsoft.us',
  '*.botframework.azure.us',
  '*.botframework.azure.cn',
] as const;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface ServiceUrlPolicy {
  /**
   * Extra entries (BOT_SERVICE_URL_ALLOW): a host for https ("bots.example.com", "*.example.com", a port when not
   * 443), or an exact origin ("http://10.0.0.5:8080": http only when written so).
   */
  allow: readonly string[];
  /** Bot Framework Emulator: loopback http(s) allowed too. */
  emulator: boolean;
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

/** Why a serviceUrl is refused, or undefined when replies may be posted there. */
export function refusedServiceUrl(serviceUrl: unknown, policy: ServiceUrlPolicy): string | undefined {
  if (typeof serviceUrl !== 'string' || !serviceUrl) return 'no serviceUrl';
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    return 'not a URL';
  }
  if (url.username || url.password) return 'credentials in the URL';
  const host = url.hostname.toLowerCase();
  const web = url.protocol === 'https:' || url.protocol === 'http:';
  if (!web) return 'not http(s)';
  if (policy.emulator && (LOOPBACK.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))) return undefined;
  if (policy.allow.some((entry) => entry.includes('://') && entry === url.origin)) return undefined;
  if (url.protocol !== 'https:') return 'not https';
  // url.host carries the port only when it is not 443.
  const withPort = url.host.toLowerCase();
  const patterns = [...MICROSOFT_SERVICE_HOSTS, ...policy.allow.filter((entry) => !entry.includes('://'))];
  if (patterns.some((p) => (p.includes(':') ? hostMatches(p, withPort) : !url.port && hostMatches(p, host))))
    return undefined;
  return 'host not on the allow list (Microsoft channels, BOT_SERVICE_URL_ALLOW)';
}
