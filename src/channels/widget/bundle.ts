import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { Router } from 'express';

export interface WidgetBundle {
  code: string;
  gzipped: Buffer;
  etag: string;
  rawBytes: number;
  gzipBytes: number;
}

export const WIDGET_ENTRY = join(__dirname, 'client', 'widget.ts');

/** Bundle the browser widget once (at startup): `npm start` needs no build step and tests never see a stale file. */
export async function bundleWidget(): Promise<WidgetBundle> {
  const r = await build({
    entryPoints: [WIDGET_ENTRY],
    tsconfig: join(__dirname, 'client', 'tsconfig.json'),
    bundle: true,
    minify: true,
    write: false,
    format: 'iife',
    target: ['es2020'],
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = r.outputFiles[0]!.text;
  const gzipped = gzipSync(code, { level: 9 });
  return {
    code,
    gzipped,
    etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`,
    rawBytes: Buffer.byteLength(code),
    gzipBytes: gzipped.length,
  };
}

/** GET /widget.js: cached 5 minutes by browsers and proxies, then revalidated with its ETag (the URL has no version). */
export function widgetScriptRoute(bundle: WidgetBundle): Router {
  const r = Router();
  r.get('/widget.js', (req, res) => {
    res.set({
      'cache-control': 'public, max-age=300',
      etag: bundle.etag,
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
      // Shops' pages load it with a <script> tag (no CORS): allowed despite the default same-origin CORP.
      'cross-origin-resource-policy': 'cross-origin',
    });
    res.type('application/javascript; charset=utf-8');
    if (req.headers['if-none-match'] === bundle.etag) {
      res.status(304).end();
      return;
    }
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      res.set('content-encoding', 'gzip').send(bundle.gzipped);
      return;
    }
    res.send(bundle.code);
  });
  return r;
}
