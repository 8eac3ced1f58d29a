import { join } from 'node:path';
import express, { type Router } from 'express';
import pino, { type Logger } from 'pino';
import type { Config } from './config';
import type { SourceIssue } from './domain/errors';
import { Engine, type EngineObserver } from './engine/engine';
import type { BuildOptions } from './content/build';
import { ContentBuilder } from './content/builder';
import { ContentSource } from './content/source';
import type { ClassifierOptions } from './matching/classifier';
import type { MatcherOptions } from './matching/matcher';
import { createHttpApp } from './server/http';
import { isAdminToken } from './server/auth';
import { trustFunction } from './server/clientIp';
import { editorRoutes } from './editor/routes';
import { EditorService } from './editor/service';
import { pollStore, watchContent } from './editor/watch';
import { MemoryConversationStore } from './storage/memory';
import type { ConversationStore, EditorStore, RateCounters, Store } from './storage/ports';
import { createStore } from './storage/sql/store';
import type { Connector } from './connectors/types';
import { createConnector } from './connectors/create';
import { BusinessHours } from './handoff/policy';
import { DeliveryWorker } from './handoff/delivery';
import { TranscriptLinks } from './handoff/transcriptLink';
import type { KnowledgeBase } from './domain/types';
import { buildInsights } from './insights/build';
import type { Insights } from './insights/service';
import { Metrics } from './metrics/metrics';
import { adminPage } from './editor/page';
import { insightsRoutes } from './insights/routes';
import { metricsRoute } from './metrics/routes';
import { startChannels, type Channel } from './channels/channel';
import { channelLimits, TrafficLimits } from './channels/limits';
import { createAgentsChannel } from './channels/agents/channel';
import { createChatwoot } from './channels/chatwoot';
import { createDeskChannel } from './channels/desk/channel';
import { createDirectLine } from './channels/directline/channel';
import { DirectLineTokens } from './channels/directline/tokens';
import { bundleWidget, type WidgetBundle } from './channels/widget/bundle';
import { createWidgetChannel } from './channels/widget/channel';
import { StreamLimits, type StreamSettings } from './channels/streams';
import { SharedPresence } from './channels/presence';
import { BotFrameworkGateway } from './channels/botframework/gateway';
import { Privacy } from './privacy/service';
import { RetentionJob } from './privacy/job';
import { privacyRoutes } from './privacy/routes';
import { AttachmentService } from './attachments/service';
import { AttachmentLinks } from './handoff/attachmentLink';
import { ResumeLinks } from './handoff/resumeLink';
import { mailWorker } from './channels/email/worker';
import { EmailOfferJob } from './engine/emailJob';

export interface Core {
  kb: KnowledgeBase;
  engine: Engine;
  store: ConversationStore;
  warnings: SourceIssue[];
  buildMs: number;
  /** What the published content was built from, and how to build the next version (live updates). */
  content: ContentSource;
  /** Signs and checks the transcript URLs of handoff.requested (with a full Config). */
  transcriptLinks: TranscriptLinks | undefined;
}

export type CoreConfig = Pick<Config, 'kbDir' | 'dialogsDir' | 'defaultLang' | 'matching'> & {
  tokens?: Pick<Config['tokens'], 'widgetIdleMs'>;
  backoffice?: Config['backoffice'];
  handoff?: Pick<Config['handoff'], 'triggers' | 'hours'>;
  quotas?: Config['quotas'];
  transcripts?: Config['transcripts'];
  attachments?: Config['attachments'];
  chatwoot?: Config['chatwoot'];
  mail?: Config['mail'];
};

/** The conversation core without HTTP: knowledge base, matcher, language detection, engine. */
export function buildCore(
  config: CoreConfig,
  store: ConversationStore = new MemoryConversationStore(),
  matcherOptions?: Partial<MatcherOptions> & { classifier?: Partial<ClassifierOptions> },
  connector?: Connector,
  now?: () => Date,
  observer?: EngineObserver,
): Core {
  const t0 = performance.now();
  const build: BuildOptions = {
    ...(matcherOptions ? { matcher: matcherOptions } : {}),
    connector:
      connector ??
      createConnector(
        config.backoffice ?? {
          file: join(__dirname, '..', 'data', 'backoffice.json'),
          timeoutMs: 3000,
          retries: 2,
          maxBytes: 262_144,
        },
      ),
    ...(now ? { now } : {}),
  };
  const source = new ContentSource({ kbDir: config.kbDir, dialogsDir: config.dialogsDir }, build);
  const { content, warnings } = source.load();
  const { kb, matcher, detector, dialogs } = content;
  const t = config.transcripts;
  const transcriptLinks = t && new TranscriptLinks({ publicUrl: t.publicUrl, key: t.urlKey, ttlMs: t.urlTtlMs });
  const a = config.attachments;
  const attachmentLinks = t && a && new AttachmentLinks({ publicUrl: t.publicUrl, key: t.urlKey, ttlMs: a.urlTtlMs });
  const engine = new Engine({
    kb,
    matcher,
    detector,
    store,
    dialogs,
    options: {
      ...config.matching,
      defaultLang: config.defaultLang,
      ...(config.tokens ? { tokenIdleMs: config.tokens.widgetIdleMs } : {}),
      ...config.quotas,
    },
    ...(now ? { now } : {}),
    ...(observer ? { observer } : {}),
    ...(config.handoff
      ? {
          handoff: {
            triggers: new Set(config.handoff.triggers),
            hours: new BusinessHours(config.handoff.hours),
            ...(transcriptLinks ? { transcriptLinks } : {}),
            ...(attachmentLinks ? { attachmentLinks } : {}),
            ...(config.chatwoot ? { relays: ['chatwoot' as const] } : {}),
            ...(config.mail ? { email: { afterMs: config.mail.afterMs, graceMs: config.mail.graceMs } } : {}),
          },
        }
      : {}),
  });
  return { kb, engine, store, warnings, buildMs: performance.now() - t0, content: source, transcriptLinks };
}

export { buildInsights };
export function createLogger(config: Pick<Config, 'logLevel' | 'env'>): Logger {
  // Never log tokens or customer credentials.
  return pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'token', '*.token', 'headers.authorization'],
  });
}

/** Wire everything once: the only place that builds objects and passes dependencies through constructors. */
export async function buildApp(config: Config, log: Logger = createLogger(config)) {
  const widgetBundle = await bundleWidget();
  const store = await createStore(config.storage);
  const metrics = new Metrics(store);
  let core: Core;
  try {
    core = buildCore(config, store, undefined, undefined, undefined, metrics.engineObserver());
  } catch (e) {
    await store.close();
    throw e;
  }
  let editing: Awaited<ReturnType<typeof buildEditor>>;
  try {
    editing = await buildEditor(config, core, store.editorStore(), log);
  } catch (e) {
    await store.close();
    throw e;
  }
  const limits = buildLimits(config, store.rateCounters(), log);
  const files = buildAttachments(config, store);
  const { channels, gateway, directLine, streams, chatwootDelivery } = buildChannels(
    config,
    core.engine,
    store,
    widgetBundle,
    log,
    limits,
    core.transcriptLinks,
    files,
    metrics,
  );
  // Listening to the engine at once, so that agents' replies reach Bot Framework customers proactively.
  startChannels(channels);
  const insights = buildInsights({ kb: () => core.engine.content.kb, engine: core.engine, store }, config.defaultLang);
  // A customer's data (export, erasure) and its retention; the job is started by index.ts, tests call runOnce.
  const privacy = new Privacy(store, config.privacy);
  const retention = new RetentionJob(privacy, { info: (o, m) => log.info(o, m), error: (o, m) => log.error(o, m) });
  const publicDir = join(__dirname, '..', 'public');
  const routers = backOfficeRouters(config, { insights, metrics, editor: editing.editor, privacy }, publicDir, limits);
  const http = createHttpApp({
    log,
    maxBodyBytes: config.http.maxBodyBytes,
    publicDir,
    health: () => ({ status: 'ok', kbVersion: core.engine.kbVersion }),
    // Readiness: a real write (a heartbeat row in the settings table), the content, the handoff backlog.
    ready: {
      writeHeartbeat: () => store.setSetting('ready.heartbeat', new Date().toISOString()),
      contentVersion: () => core.engine.kbVersion,
      pendingOutbox: () => store.pendingCount(),
      maxOutbox: config.ready.maxOutbox,
    },
    // Requests per client IP on every channel's public paths, counted before the channels' own routes.
    channels: [channelLimits(channels, limits), ...channels],
    routers,
    trustProxy: trustFunction(config.trustProxy),
  });
  const workers = buildWorkers(config, store, { engine: core.engine, streams, metrics, log });
  return {
    ...core,
    store,
    http,
    log,
    ...workers,
    chatwootDelivery,
    metrics,
    insights,
    privacy,
    retention,
    attachments: files.service,
    attachmentLinks: files.links,
    channels,
    directLine,
    limits,
    streams,
    ...editing,
    gateway,
  };
}

/** Customers' files in the store's database, and their signed download links (the transcript links' key). */
function buildAttachments(config: Config, store: Store) {
  const { publicUrl, urlKey: key } = config.transcripts;
  const links = new AttachmentLinks({ publicUrl, key, ttlMs: config.attachments.urlTtlMs });
  return { service: new AttachmentService(store.attachmentStore(), config.attachments), links };
}

type WorkerDeps = { engine: Engine; streams: StreamSettings; metrics: Metrics; log: Logger };

/** The outbox's workers: to HANDOFF_WEBHOOK_URL, and mails with SMTP_URL (index.ts starts them, tests drive them). */
function buildWorkers(config: Config, store: Store & { rateCounters(): RateCounters }, d: WorkerDeps) {
  const log = { warn: (o: object, m: string) => d.log.warn(o, m), error: (o: object, m: string) => d.log.error(o, m) };
  const h = config.handoff;
  const observer = d.metrics.deliveryObserver();
  const delivery = new DeliveryWorker(store, {
    ...(h.webhookUrl ? { url: h.webhookUrl } : {}),
    secret: h.webhookSecret,
    ...(h.retryScheduleMs ? { schedule: h.retryScheduleMs } : {}),
    log,
    observer,
  });
  const mail = config.mail && mailWorker({ ...config, mail: config.mail }, { ...d, store, log, observer });
  // The offer to continue by email, also to silent customers (index.ts starts it, tests call runOnce).
  const emailOffers = config.mail && new EmailOfferJob(d.engine, { info: (o, m) => d.log.info(o, m), ...log });
  return { delivery, mail, emailOffers };
}

/** The channels in mount order, one line each; built, not started (buildApp starts them, index.ts attaches them). */
export function buildChannels(
  config: Config,
  engine: Engine,
  store: ConversationStore,
  widgetBundle: WidgetBundle | undefined,
  log: Logger,
  limits?: TrafficLimits,
  transcriptLinks?: TranscriptLinks,
  files?: ReturnType<typeof buildAttachments>,
  metrics?: Metrics,
) {
  const maxBodyBytes = config.http.maxBodyBytes;
  // One set of stream limits for every channel's live streams (per conversation, per client address); with mail,
  // customers' open streams are recorded where every instance's mail worker sees them.
  const presence = config.mail ? new SharedPresence(store, { log }) : undefined;
  const streams: StreamSettings = {
    limits: new StreamLimits(config.streams, presence),
    ...(presence ? { presence } : {}),
    pageSize: config.streams.pageSize,
    stallMs: config.streams.stallMs,
    ...(limits ? { clientIp: (req) => limits.ip(req) } : {}),
  };
  const widget = createWidgetChannel({
    engine,
    bundle: widgetBundle,
    allowedOrigins: config.widget.allowedOrigins,
    ...(limits ? { limits } : {}),
    streams,
    pollMs: config.streams.pollMs,
    ...(files ? { attachments: { ...files, maxTextChars: config.quotas.maxMessageChars } } : {}),
    // The mails' links back to the conversation (the mail worker signs them with the same key).
    ...(config.mail ? { resumeLinks: new ResumeLinks(config.transcripts) } : {}),
  });
  const agents = createAgentsChannel({
    engine,
    secret: config.handoff.agentSecret,
    maxBodyBytes,
    ...(files ? { files: { service: files.service } } : {}),
    ...(transcriptLinks ? { transcripts: { engine, links: transcriptLinks } } : {}),
  });
  // Teams / Web Chat through Azure Bot Service: answers in the turn, writes to customers proactively while started.
  const gateway = new BotFrameworkGateway({
    engine,
    refs: store,
    identity: config.botframework,
    requireIdentity: config.env === 'production',
    queueUpdateMs: config.botframework.queueUpdateMs,
    serviceUrls: {
      allow: config.botframework.serviceUrlAllow,
      emulator: !config.botframework.appId && config.env !== 'production',
    },
    maxBodyBytes,
    log: { warn: (o, m) => log.warn(o, m), error: (o, m) => log.error(o, m) },
    ...(limits ? { limits } : {}),
    ...(files ? { attachments: files.service, attachmentLinks: files.links } : {}),
  });
  // Direct Line for Web Chat: REST routes, and its WebSocket stream once attached to the listening server.
  const directLine = createDirectLine({
    engine,
    tokens: new DirectLineTokens(config.directLine.tokenSecret, {
      maxLifetimeSeconds: config.tokens.directLineMaxSeconds,
    }),
    ...(config.directLine.secret ? { secret: config.directLine.secret } : {}),
    defaultLang: config.defaultLang,
    streams,
    pollMs: config.streams.pollMs,
    demoPage: join(__dirname, '..', 'public', 'webchat.html'),
    ...(files ? { files: { ...files, publicUrl: config.transcripts.publicUrl } } : {}),
    webchatBundle: join(__dirname, '..', 'node_modules', 'botframework-webchat', 'dist', 'webchat.js'),
    ...(limits ? { limits } : {}),
  });
  const cw = createChatwoot(config, { engine, store, log, ...(metrics && { observer: metrics.deliveryObserver() }) });
  const desk = createDeskChannel({ engine, agents: config.desk.users, limits, streams, links: files?.links });
  const channels: Channel[] = [widget, agents, gateway, directLine, desk, ...(cw ? [cw.channel] : [])];
  return { channels, gateway, directLine, streams, chatwootDelivery: cw ? cw.delivery : undefined };
}

/** Live updates and the editors' API over the published content (index.ts starts `watchContentFiles`). */
async function buildEditor(config: Config, core: Core, store: EditorStore, log: Logger) {
  // Builds after the first one run in a worker thread: publishing does not stall the requests being served.
  core.content.useBuilder(
    new ContentBuilder(config.content.buildWorker, (why) =>
      log.warn(`knowledge base: content builds run on the main thread (no worker thread: ${why})`),
    ),
  );
  const editor = new EditorService({
    engine: core.engine,
    store,
    source: core.content,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
  });
  await editor.init();
  const watchContentFiles = () => {
    const disk =
      config.kbWatchIntervalMs > 0
        ? watchContent(core.content.dirs, () => editor.checkDisk(), {
            intervalMs: config.kbWatchIntervalMs,
            onError: (err) => log.error({ err }, 'knowledge base check failed'),
          })
        : { close() {} };
    // Versions published by other instances (same database): served here within about one interval.
    const peers =
      config.content.syncIntervalMs > 0
        ? pollStore(() => editor.syncFromStore(), {
            intervalMs: config.content.syncIntervalMs,
            onError: (err) => log.error({ err }, 'knowledge base sync from the database failed'),
          })
        : { close() {} };
    return { close: () => (disk.close(), peers.close()) };
  };
  return { editor, watchContentFiles };
}

/** The back office's routes: figures and inbox, /metrics, the admin page, the editors' API, the privacy API. */
function backOfficeRouters(
  config: Config,
  deps: { insights: Insights; metrics: Metrics; editor: EditorService; privacy: Privacy },
  publicDir: string,
  limits: TrafficLimits,
): Router[] {
  // Unknown admin tokens are counted per client IP; past the limit every admin request is refused (429).
  const signin = express.Router().use('/api/admin', limits.signinGuard(isAdminToken(config.admin.users)));
  return [
    signin,
    // Revealing a masked inbox message is audited with the privacy actions.
    insightsRoutes({
      insights: deps.insights,
      users: config.admin.users,
      revealed: (by, conversationId) => deps.privacy.revealed(by, conversationId),
    }),
    metricsRoute(deps.metrics, config.metrics.token),
    adminPage(publicDir),
    editorRoutes(deps.editor, config.admin.users),
    privacyRoutes(deps.privacy, config.admin.users),
  ];
}

/** The rate limits over the store's counters (RATE_LIMITS=off is said at start: nothing is limited then). */
function buildLimits(config: Config, counters: RateCounters, log: Logger): TrafficLimits {
  if (!config.limits.enabled)
    log.warn('RATE_LIMITS=off: no rate limit applies (load tests, or behind a gateway that limits already)');
  return new TrafficLimits(config.limits, counters, trustFunction(config.trustProxy));
}
