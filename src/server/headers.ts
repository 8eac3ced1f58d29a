import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** The CSP of every response that sets no other: nothing may load, nothing may frame it (JSON APIs, errors). */
const DEFAULT_CSP = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/** One HSTS value: six months, sent only over TLS (a browser ignores it over plain HTTP, and it breaks local dev). */
const HSTS = 'max-age=15552000; includeSubDomains';

/**
 * Security headers on every response (helmet): a restrictive default CSP (pages set their own, see pageCsp),
 * nosniff, no framing (X-Frame-Options DENY and frame-ancestors 'none'), no Referer, COOP and CORP same-origin
 * (the two scripts other sites load, /widget.js and Web Chat's bundle, allow cross-origin themselves; the widget's
 * API is called cross-origin with CORS, which CORP does not restrict). HSTS only when the request came over TLS
 * (req.secure: express's trust proxy setting decides whether X-Forwarded-Proto counts).
 */
export function securityHeaders(): RequestHandler[] {
  return [
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: DEFAULT_CSP },
      strictTransportSecurity: false,
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
    (req, res, next) => {
      if (req.secure) res.setHeader('Strict-Transport-Security', HSTS);
      next();
    },
  ];
}

/** CSP source for an inline block (style or script), by hash: the exact text, nothing else. */
export const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Hashes of the inline <style> and <script> blocks of an HTML page (scripts with a src are not inline). */
export function inlineHashes(html: string): { styles: string[]; scripts: string[] } {
  const blocks = (tag: string) => inlineBlocks(html, tag);
  return {
    styles: blocks('style').map((b) => cspHash(b.body)),
    scripts: blocks('script')
      .filter((b) => !/\bsrc=/i.test(b.attributes))
      .map((b) => cspHash(b.body)),
  };
}

/** The <tag ...>body</tag> blocks of a page, found with indexOf (a scan, linear in the page's length). */
function inlineBlocks(html: string, tag: string): { attributes: string; body: string }[] {
  const lower = html.toLowerCase();
  const open = `<${tag}`;
  const close = `</${tag}>`;
  const out: { attributes: string; body: string }[] = [];
  for (let at = lower.indexOf(open); at >= 0; at = lower.indexOf(open, at + 1)) {
    const next = lower[at + open.length];
    if (next !== '>' && next !== ' ' && next !== '\n' && next !== '\t') continue; // <scripts>, <styled-x>
    const gt = lower.indexOf('>', at);
    const end = gt < 0 ? -1 : lower.indexOf(close, gt);
    if (end < 0) break;
    out.push({ attributes: html.slice(at + open.length, gt), body: html.slice(gt + 1, end) });
    at = end;
  }
  return out;
}

/**
 * The CSP of one of our pages: its own origin's scripts, styles, API calls (fetch, EventSource, WebSocket) and
 * images, plus the given inline sources (hashes or a nonce); no plugins, no framing, forms only to itself.
 */
export function pageCsp(
  extra: { script?: string[]; style?: string[]; img?: string[]; connect?: string[]; worker?: string[] } = {},
): string {
  const d: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'", ...(extra.script ?? [])],
    'style-src': ["'self'", ...(extra.style ?? [])],
    'img-src': ["'self'", 'data:', ...(extra.img ?? [])],
    'connect-src': ["'self'", ...(extra.connect ?? [])],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    ...(extra.worker ? { 'worker-src': ["'self'", ...extra.worker] } : {}),
  };
  return Object.entries(d)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');
}
