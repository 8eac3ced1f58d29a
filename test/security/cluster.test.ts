/**
 * The cluster tooling without a database: `npm run cluster`'s arguments and its refusal without PostgreSQL, and
 * the HAProxy configuration it writes (checked by HAProxy itself).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClusterArgs } from '../../scripts/cluster';
import { HAPROXY, haproxyConfig } from '../../scripts/haproxy';
import { ROOT, systemEnv, testConfig } from '../support/config';

test('cluster arguments: --instances N and --port P, each refusal naming the value at fault', () => {
  expect(parseClusterArgs(['--instances', '3'])).toEqual({ instances: 3, port: 8080 });
  expect(parseClusterArgs(['--port', '9000', '--instances', '2'])).toEqual({ instances: 2, port: 9000 });
  expect(() => parseClusterArgs([])).toThrow(/missing --instances N/);
  expect(() => parseClusterArgs(['--instances', 'three'])).toThrow(
    '--instances "three" is not a whole number from 1 to 32',
  );
  expect(() => parseClusterArgs(['--instances', '0'])).toThrow('--instances "0"');
  expect(() => parseClusterArgs(['--instances', '2', '--port', '70000'])).toThrow('--port "70000"');
  expect(() => parseClusterArgs(['--instances'])).toThrow('--instances ""');
  expect(() => parseClusterArgs(['--nodes', '2'])).toThrow('unknown argument "--nodes"');
});

test('npm run cluster without a PostgreSQL DATABASE_URL stops at once and says what to set', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'savbot-cluster-cli-')); // no .env there
  try {
    for (const url of [undefined, 'file:bot.db']) {
      const r = spawnSync(
        join(ROOT, 'node_modules', '.bin', 'tsx'),
        [join(ROOT, 'scripts', 'cluster.ts'), '--instances', '2'],
        {
          cwd,
          env: { ...systemEnv(), ...(url ? { DATABASE_URL: url } : {}) },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/npm run cluster needs DATABASE_URL=postgres:\/\/\.\.\./);
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('the HAProxy configuration: valid for HAProxy, one checked server per instance, streams and WebSocket kept', () => {
  const cfg = haproxyConfig('127.0.0.1:18999', [4101, 4102, 4103]);
  expect(cfg).not.toMatch(/\{\{/);
  expect(cfg.match(/^\s+server i\d 127\.0\.0\.1:\d+ check$/gm)).toEqual([
    '    server i1 127.0.0.1:4101 check',
    '    server i2 127.0.0.1:4102 check',
    '    server i3 127.0.0.1:4103 check',
  ]);
  for (const line of [
    'bind 127.0.0.1:18999',
    'option httpchk GET /ready',
    'option forwardfor',
    'option http-no-delay',
    'timeout tunnel 1h',
  ])
    expect(cfg).toContain(line);
  const dir = mkdtempSync(join(tmpdir(), 'savbot-haproxy-check-'));
  try {
    writeFileSync(join(dir, 'haproxy.cfg'), cfg);
    const r = spawnSync(HAPROXY, ['-c', '-f', join(dir, 'haproxy.cfg')], { encoding: 'utf8' });
    expect(`${r.status} ${r.stdout}${r.stderr}`).toMatch(/^0 .*Configuration file is valid/s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("STREAM_POLL_MS: the streams' fallback look at the store, 2000 ms by default, validated", () => {
  expect(testConfig().streams.pollMs).toBe(2000);
  expect(testConfig({ STREAM_POLL_MS: '10000' }).streams.pollMs).toBe(10_000);
  for (const bad of ['50', 'soon', '1.5']) expect(() => testConfig({ STREAM_POLL_MS: bad })).toThrow(/STREAM_POLL_MS/);
});
