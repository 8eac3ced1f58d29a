import { buildApp, createLogger } from './app';
import { attachChannels, stopChannels } from './channels/channel';
import { loadConfig, loadDotEnv, type Config } from './config';
import { AppError, ConfigError, ContentError, formatIssue } from './domain/errors';

async function main(): Promise<void> {
  let config;
  try {
    loadDotEnv();
    // Missing development secrets: the installation's, from (or created in) <DATA_DIR>/dev-secrets.json.
    config = loadConfig(undefined, undefined, { devSecrets: 'install' });
  } catch (e) {
    process.stderr.write(`${e instanceof ConfigError ? e.message : String(e)}\n`);
    process.exit(1);
  }
  const log = createLogger(config);
  let app;
  try {
    app = await buildApp(config, log);
  } catch (e) {
    if (e instanceof ContentError)
      process.stderr.write(`The content has errors; not starting.\n${e.issues.map(formatIssue).join('\n')}\n`);
    else if (e instanceof AppError) process.stderr.write(`Not starting: ${e.message}\n`);
    else throw e;
    process.exit(1);
  }
  const ready = app;
  for (const w of ready.warnings) log.warn(`knowledge base: ${formatIssue(w)}`);
  warnDevSecrets(config, log);
  if (!config.botframework.appId)
    log.warn(
      'no MICROSOFT_APP_ID: POST /api/messages accepts unauthenticated requests (Bot Framework Emulator); set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD for Teams and Azure Bot Service',
    );
  if (config.handoff.webhookUrl) log.info(`handoff events are delivered to ${config.handoff.webhookUrl}`);
  else
    log.info(
      'no HANDOFF_WEBHOOK_URL: handoffs are queued, not delivered; to answer them from a terminal run `npm run agent-desk` and restart with the HANDOFF_WEBHOOK_URL it prints',
    );
  startWorkers(ready, config, log);
  ready.retention.start();
  const watcher = ready.watchContentFiles();
  if (config.kbWatchIntervalMs > 0)
    log.info(
      `live updates: changes to ${config.kbDir} and ${config.dialogsDir} are validated and published without a restart`,
    );
  const server = ready.http.listen(config.port, config.host, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    log.info(
      { entries: ready.kb.entries.length, kbVersion: ready.kb.version, buildMs: Math.round(ready.buildMs), port },
      `bot ready on http://localhost:${port} (${ready.kb.entries.length} entries, version ${ready.kb.version})`,
    );
  });
  const attached = attachChannels(ready.channels, server);
  server.on('error', (err: Error) => {
    log.fatal({ err }, `cannot listen on ${config.host}:${config.port}: ${err.message}`);
    process.exit(1);
  });
  const stop = () => {
    attached.close();
    watcher.close();
    server.closeIdleConnections?.();
    server.close(
      () =>
        void Promise.all([
          ready.delivery.stop(),
          ready.chatwootDelivery?.stop(),
          ready.mail?.stop(),
          ready.emailOffers?.stop(),
          ready.retention.stop(),
          // The streams' last presence writes land before the store closes.
          stopChannels(ready.channels).then(() => ready.streams.presence?.stop()),
        ])
          .then(() => ready.store.close())
          .finally(() => process.exit(0)),
    );
    // Open event streams keep connections alive: do not wait for them forever.
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** The outbox's workers (webhook, Chatwoot, mail) and the email offers job; stopped on SIGTERM/SIGINT. */
function startWorkers(
  ready: Awaited<ReturnType<typeof buildApp>>,
  config: Config,
  log: ReturnType<typeof createLogger>,
) {
  ready.delivery.start(config.handoff.deliveryIntervalMs);
  if (config.chatwoot)
    log.info(`handoffs are also relayed to Chatwoot ${config.chatwoot.url}, inbox ${config.chatwoot.inboxId}`);
  ready.chatwootDelivery?.start(config.handoff.deliveryIntervalMs);
  if (config.mail) log.info(`email: agents' replies and transcripts are mailed through ${config.mail.smtp.host}`);
  ready.mail?.start(config.handoff.deliveryIntervalMs);
  ready.emailOffers?.start();
}

/** Development secrets in use: where they are (and, the first time, the admin and agent tokens to sign in with). */
function warnDevSecrets(config: Config, log: ReturnType<typeof createLogger>): void {
  const file = config.devSecrets?.file;
  if (!file) return;
  const missing = [
    config.handoff.devSecrets && 'HANDOFF_WEBHOOK_SECRET, AGENT_WEBHOOK_SECRET',
    config.directLine.devTokenSecret && 'DIRECTLINE_TOKEN_SECRET',
    config.admin.devToken && 'ADMIN_TOKENS',
    config.desk.devToken && 'AGENT_TOKENS',
  ].filter(Boolean);
  const live = `set ${missing.join(', ')} before going live`;
  if (config.devSecrets?.created)
    log.warn(
      { file },
      `generated development secrets (random for this installation) in ${file}, mode 0600, reused at each start${config.admin.devToken ? `; /admin token: ${config.admin.users[0]!.token}` : ''}${config.desk.devToken ? `; /agent token: ${config.desk.users[0]!.token}` : ''}; ${live}`,
    );
  else log.warn({ file }, `using the development secrets of ${file}; ${live}`);
}

void main();
