import { join } from 'node:path';
import express, { Router } from 'express';

/** The admin page: static HTML, CSS and JavaScript from public/admin (no CDN, works offline). */
export function adminPage(publicDir: string): Router {
  const r = Router();
  const dir = join(publicDir, 'admin');
  // Only the page's own files: even if some text slipped into the page as HTML, no script could run or load.
  r.use('/admin', (_req, res, next) => {
    res.set(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    );
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  r.get('/admin', (_req, res) => res.sendFile(join(dir, 'index.html')));
  r.use('/admin', express.static(dir, { index: false, fallthrough: true }));
  return r;
}
