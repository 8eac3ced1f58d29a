/**
 * /ready on PostgreSQL: ready with a live database; 503 naming the reason once the database is gone (dropped, its
 * connections cut), while /health (liveness) still answers.
 */
import { startApp, type StartedApp } from '../support/app';
import { freshPgDatabase } from '../support/postgres';

test('GET /ready: 200 on a live PostgreSQL, 503 with the reason once the database is dropped', async () => {
  const db = await freshPgDatabase('savbot_ready');
  let s: StartedApp | undefined;
  try {
    s = await startApp({ DATABASE_URL: db.url });
    const ready = await fetch(`${s.base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true } } });
    // DROP DATABASE ... WITH (FORCE) ends the app's connections too.
    await db.drop();
    const gone = await fetch(`${s.base}/ready`);
    expect(gone.status).toBe(503);
    const body = (await gone.json()) as { status: string; reasons: string[] };
    expect(body.status).toBe('unavailable');
    expect(body.reasons[0]).toMatch(/^database not writable: /);
    expect((await fetch(`${s.base}/health`)).status).toBe(200);
  } finally {
    await s?.close().catch(() => {});
    await db.drop();
  }
});
