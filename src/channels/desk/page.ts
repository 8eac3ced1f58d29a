import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Router } from 'express';
import { pageCsp } from '../../server/headers';

const CLIENT = join(__dirname, 'client');

/** The desk's page, style and script: bundled once at startup (no build step, no CDN). */
export interface DeskPage {
  html: string;
  css: string;
  js: string;
}

export async function bundleDesk(): Promise<DeskPage> {
  const r = await build({
    entryPoints: [join(CLIENT, 'desk.ts')],
    tsconfig: join(CLIENT, 'tsconfig.json'),
    bundle: true,
    minify: true,
    write: false,
    format: 'iife',
    target: ['es2022'],
    legalComments: 'none',
    logLevel: 'silent',
  });
  return {
    html: readFileSync(join(CLIENT, 'desk.html'), 'utf8'),
    css: readFileSync(join(CLIENT, 'desk.css'), 'utf8'),
    js: r.outputFiles[0]!.text,
  };
}

/**
 * GET /agent and its two files, under a CSP that allows only them: no inline script, no other origin. Bundled at
 * the first request (buildChannels is synchronous; a failed bundle is tried again at the next request).
 */
export function deskPageRoutes(): Router {
  const r = Router();
  let bundled: Promise<DeskPage> | undefined;
  const page = () => (bundled ??= bundleDesk().catch((e: unknown) => ((bundled = undefined), Promise.reject(e))));
  r.use('/agent', (_req, res, next) => {
    res.set('Content-Security-Policy', pageCsp());
    res.set('Cache-Control', 'no-cache');
    next();
  });
  r.get('/agent', async (_req, res) => void res.type('html').send((await page()).html));
  r.get('/agent/desk.css', async (_req, res) => void res.type('text/css; charset=utf-8').send((await page()).css));
  r.get(
    '/agent/desk.js',
    async (_req, res) => void res.type('application/javascript; charset=utf-8').send((await page()).js),
  );
  return r;
}
