/**
 * TRUST_PROXY, parsed: off (the socket's address is the client), a number of proxy hops in front of us, or the
 * addresses/CIDRs of the proxies (with the names below, as express spells them).
 */
export type TrustProxy = { kind: 'off' } | { kind: 'hops'; hops: number } | { kind: 'list'; entries: string[] };

/** Address ranges by name, for TRUST_PROXY lists. */
export const TRUST_PROXY_NAMES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};
