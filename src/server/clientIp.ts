import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { TRUST_PROXY_NAMES, type TrustProxy } from '../domain/limits';

/** Whether the hop at `addr` (0 = the socket's peer) is a proxy we trust to tell the address before it. */
export type TrustFn = (addr: string, hop: number) => boolean;

/** ::ffff:10.0.0.1 (an IPv4 peer on a dual-stack socket) is 10.0.0.1. */
const plain = (addr: string) => (addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr);

/** The trust function of a TRUST_PROXY setting, the one express is given ('trust proxy') and clientIp uses. */
export function trustFunction(trust: TrustProxy): TrustFn {
  if (trust.kind === 'off') return () => false;
  if (trust.kind === 'hops') return (_addr, hop) => hop < trust.hops;
  const list = new BlockList();
  for (const entry of trust.entries.flatMap((e) => TRUST_PROXY_NAMES[e] ?? [e])) {
    const [ip, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return (addr) => {
    const a = plain(addr);
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * The client's address for limits and logs: the socket's peer, or, through the proxies `trust` accepts, the
 * last address of X-Forwarded-For they vouch for (as express' req.ip). Takes a plain IncomingMessage, so that the
 * Direct Line WebSocket upgrade uses it too.
 */
export function clientIp(req: Pick<IncomingMessage, 'headers' | 'socket'>, trust: TrustFn): string {
  let addr = plain(req.socket.remoteAddress ?? '');
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .reverse();
  for (let hop = 0; hop < forwarded.length && trust(addr, hop); hop++) addr = plain(forwarded[hop]!);
  return addr || 'unknown';
}
