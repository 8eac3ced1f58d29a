import { buildApp, createLogger } from './app';
import { loadConfig, loadDotEnv } from './config';
import { ConfigError, ContentError, formatIssue } from './domain/errors';

function main(): void {
  let config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`${e instanceof ConfigError ? e.message : String(e)}\n`);
    process.exit(1);
  }
  const log = createLogger(config);
  let app;
  try {
    app = buildApp(config, log);
  } catch (e) {
    if (e instanceof ContentError) {
      process.stderr.write(`The knowledge base has errors; not starting.\n${e.issues.map(formatIssue).join('\n')}\n`);
      process.exit(1);
    }
    throw e;
  }
  for (const w of app.warnings) log.warn(`knowledge base: ${formatIssue(w)}`);
  const server = app.http.listen(config.port, config.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    log.info(
      { entries: app.kb.entries.length, kbVersion: app.kb.version, buildMs: Math.round(app.buildMs) },
      `bot ready on http://localhost:${port} (${app.kb.entries.length} entries, version ${app.kb.version})`,
    );
  });
  server.on('error', (err) => {
    log.fatal({ err }, `cannot listen on ${config.host}:${config.port}: ${err.message}`);
    process.exit(1);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
