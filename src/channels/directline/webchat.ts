import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Router, type Request, type Response } from 'express';
import { AppError } from '../../domain/errors';
import { cspHash, pageCsp } from '../../server/headers';

const gzipAsync = promisify(gzip);

/**
 * Web Chat's own bundle, from node_modules (no CDN), at /webchat/webchat.js: reused for an hour, then revalidated
 * by ETag; gzipped once, off the event loop, on first demand (3.9 MB -> about 1 MB). And the demo page.
 */
export function webchatRoutes(files: { demoPage: string; webchatBundle: string; imageOrigin?: string }): Router {
  const bundle = files.webchatBundle;
  let gzipped: Promise<{ body: Buffer; etag: string }> | undefined;
  const compressed = () => {
    gzipped ??= readFile(bundle).then(async (raw) => ({
      body: await gzipAsync(raw, { level: 9 }),
      etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 22)}-gz"`,
    }));
    return gzipped.catch((e: unknown) => {
      gzipped = undefined; // try again next time
      throw e;
    });
  };
  const r = Router();
  r.get('/webchat/webchat.js', async (req: Request, res: Response) => {
    if (!existsSync(bundle))
      throw new AppError('NOT_FOUND', `Web Chat bundle not installed (${bundle}): install botframework-webchat`, 404);
    res.setHeader('vary', 'accept-encoding');
    // Other sites load the bundle with a <script> tag (no CORS): allowed despite the default same-origin CORP.
    res.setHeader('cross-origin-resource-policy', 'cross-origin');
    if (!req.acceptsEncodings('gzip')) {
      res.sendFile(bundle, { maxAge: 3_600_000, headers: { 'content-type': 'application/javascript; charset=utf-8' } });
      return;
    }
    const { body, etag } = await compressed();
    res.setHeader('cache-control', 'public, max-age=3600');
    res.setHeader('etag', etag);
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.setHeader('content-type', 'application/javascript; charset=utf-8');
    res.setHeader('content-encoding', 'gzip');
    res.end(body);
  });
  const demo = readFileSync(files.demoPage, 'utf8');
  r.get('/webchat.html', (_req, res) => {
    // A nonce per response for the page's inline script and style and the <style> elements Web Chat adds.
    const nonce = randomBytes(16).toString('base64');
    // One of Web Chat's libraries adds an empty <style> without the nonce and fills it through the CSSOM: the
    // hash of the empty text allows that element and nothing else.
    const style = [`'nonce-${nonce}'`, cspHash('')];
    // Files: Web Chat reads a chosen file through a blob: URL before uploading it, and shows images from PUBLIC_URL.
    const img = ['blob:', ...(files.imageOrigin ? [files.imageOrigin] : [])];
    // Web Chat makes the thumbnail of a chosen image in a worker it starts from a blob: URL.
    const csp = pageCsp({ script: [`'nonce-${nonce}'`], style, img, connect: ['blob:'], worker: ['blob:'] });
    res.set('Content-Security-Policy', csp);
    res.type('html').send(demo.replace(/<(script|style)>/g, `<$1 nonce="${nonce}">`));
  });
  return r;
}
