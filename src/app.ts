import { join } from 'node:path';
import type { Router } from 'express';
import pino, { type Logger } from 'pino';
import type { Config } from './config';
import type { SourceIssue } from './domain/errors';
import type { KbEntry, KnowledgeBase, Lang } from './domain/types';
import { Engine, type EngineObserver } from './engine/engine';
import type { BuildOptions } from './content/build';
import { ContentSource } from './content/source';
import type { ClassifierOptions } from './matching/classifier';
import type { MatcherOptions } from './matching/matcher';
import { Analyzer } from './nlp/analyzer';
import { createHttpApp } from './server/http';
import { editorRoutes } from './editor/routes';
import { EditorService } from './editor/service';
import { watchContent } from './editor/watch';
import { MemoryConversationStore } from './storage/memory';
import type { ConversationStore, EditorStore, InsightsStore } from './storage/ports';
import { createStore } from './storage/sql/store';
import type { Connector } from './connectors/types';
import { FileConnector } from './connectors/file';
import { HttpConnector } from './connectors/http';
import { BusinessHours } from './handoff/policy';
import { DeliveryWorker } from './handoff/delivery';
import { TranscriptLinks } from './handoff/transcriptLink';
import { Insights, topicIndex } from './insights/service';
import { Metrics } from './metrics/metrics';
import { adminPage } from './editor/page';
import { insightsRoutes } from './insights/routes';
import { metricsRoute } from './metrics/routes';
import { startChannels, type Channel } from './channels/channel';
import { createAgentsChannel } from './channels/agents/channel';
import { createDirectLine } from './channels/directline/channel';
import { DirectLineTokens } from './channels/directline/tokens';
import { bundleWidget, type WidgetBundle } from './channels/widget/bundle';
import { createWidgetChannel } from './channels/widget/channel';
import { StreamLimits, type StreamSettings } from './channels/streams';
import { BotFrameworkGateway } from './channels/botframework/gateway';

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
  backoffice?: Config['backoffice'];
  handoff?: Pick<Config['handoff'], 'triggers' | 'hours'>;
  transcripts?: Config['transcripts'];
};

/** The back office the dialogs look records up in: a real one over HTTP, or the sample file (offline demo). */
export function createConnector(b: Config['backoffice']): Connector {
  if (b.url)
    return new HttpConnector({
      baseUrl: b.url,
      ...(b.token ? { token: b.token } : {}),
      timeoutMs: b.timeoutMs,
      retries: b.retries,
    });
  return new FileConnector(b.file);
}

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
        config.backoffice ?? { file: join(__dirname, '..', 'data', 'backoffice.json'), timeoutMs: 3000, retries: 2 },
      ),
    ...(now ? { now } : {}),
  };
  const source = new ContentSource({ kbDir: config.kbDir, dialogsDir: config.dialogsDir }, build);
  const { content, warnings } = source.load();
  const { kb, matcher, detector, dialogs } = content;
  const t = config.transcripts;
  const transcriptLinks = t && new TranscriptLinks({ publicUrl: t.publicUrl, key: t.urlKey, ttlMs: t.urlTtlMs });
  const engine = new Engine({
    kb,
    matcher,
    detector,
    store,
    dialogs,
    options: { ...config.matching, defaultLang: config.defaultLang },
    ...(now ? { now } : {}),
    ...(observer ? { observer } : {}),
    ...(config.handoff
      ? {
          handoff: {
            triggers: new Set(config.handoff.triggers),
            hours: new BusinessHours(config.handoff.hours),
            ...(transcriptLinks ? { transcriptLinks } : {}),
          },
        }
      : {}),
  });
  return {
    kb,
    engine,
    store,
    warnings,
    buildMs: performance.now() - t0,
    content: source,
    transcriptLinks,
  };
}

/**
 * Figures and the unanswered inbox over the store, grouping with the matcher's analysis of the text. `kb` returns
 * the knowledge base in use (a getter, so that a reloaded one is picked up: analyzer, titles and topics follow it).
 */
export function buildInsights(
  deps: { kb: () => KnowledgeBase; engine: Pick<Engine, 'match'>; store: InsightsStore },
  defaultLang: Lang,
  now?: () => Date,
): Insights {
  let cached:
    | {
        version: string;
        analyzer: Analyzer;
        titles: Map<string, KbEntry['title']>;
        topicOf: ReturnType<typeof topicIndex>;
      }
    | undefined;
  const current = () => {
    const kb = deps.kb();
    if (cached?.version !== kb.version)
      cached = {
        version: kb.version,
        analyzer: new Analyzer(kb.synonyms),
        titles: new Map(kb.entries.map((e) => [e.id, e.title])),
        topicOf: topicIndex(kb),
      };
    return cached;
  };
  return new Insights({
    store: deps.store,
    termsOf: (text, lang) => current().analyzer.analyze(text, lang).terms,
    guess: (text, lang) => {
      const m = deps.engine.match(text, lang);
      const c = m.candidates[0];
      return c
        ? {
            id: c.id,
            title: current().titles.get(c.id)?.[lang] ?? c.id,
            confidence: Math.round(m.confidence * 1000) / 1000,
          }
        : undefined;
    },
    topicOf: (source) => current().topicOf(source),
    defaultLang,
    ...(now ? { now } : {}),
  });
}

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
  const { channels, gateway, directLine, streams } = buildChannels(
    config,
    core.engine,
    store,
    widgetBundle,
    log,
    core.transcriptLinks,
  );
  // Listening to the engine at once, so that agents' replies reach Bot Framework customers proactively.
  startChannels(channels);
  const insights = buildInsights({ kb: () => core.engine.content.kb, engine: core.engine, store }, config.defaultLang);
  const publicDir = join(__dirname, '..', 'public');
  const routers = backOfficeRouters(config, { insights, metrics, editor: editing.editor }, publicDir);
  const http = createHttpApp({
    log,
    maxBodyBytes: config.http.maxBodyBytes,
    publicDir,
    health: () => ({ status: 'ok', kbVersion: core.engine.kbVersion }),
    channels,
    routers,
  });
  // Delivers handoff events to HANDOFF_WEBHOOK_URL (started by index.ts; tests drive it themselves).
  const delivery = new DeliveryWorker(store, {
    ...(config.handoff.webhookUrl ? { url: config.handoff.webhookUrl } : {}),
    secret: config.handoff.webhookSecret,
    ...(config.handoff.retryScheduleMs ? { schedule: config.handoff.retryScheduleMs } : {}),
    log: { warn: (o, m) => log.warn(o, m), error: (o, m) => log.error(o, m) },
    observer: metrics.deliveryObserver(),
  });
  return {
    ...core,
    store,
    http,
    log,
    delivery,
    metrics,
    insights,
    channels,
    directLine,
    streams,
    ...editing,
    gateway,
  };
}

/**
 * The channels, in the order their routes are mounted: one line each (a new channel is one more). Built, not
 * started: buildApp starts them; whoever listens attaches them to the server and stops them (index.ts).
 */
export function buildChannels(
  config: Config,
  engine: Engine,
  store: ConversationStore,
  widgetBundle: WidgetBundle | undefined,
  log: Logger,
  transcriptLinks?: TranscriptLinks,
) {
  const maxBodyBytes = config.http.maxBodyBytes;
  // One set of stream limits for every channel's live streams (per conversation, per client address).
  const streams: StreamSettings = {
    limits: new StreamLimits(config.streams),
    pageSize: config.streams.pageSize,
    stallMs: config.streams.stallMs,
  };
  const widget = createWidgetChannel({
    engine,
    bundle: widgetBundle,
    allowedOrigins: config.widget.allowedOrigins,
    streams,
  });
  const agents = createAgentsChannel({
    engine,
    secret: config.handoff.agentSecret,
    maxBodyBytes,
    ...(transcriptLinks ? { transcripts: { engine, links: transcriptLinks } } : {}),
  });
  // Teams / Web Chat through Azure Bot Service: answers in the turn, writes to customers proactively while started.
  const gateway = new BotFrameworkGateway({
    engine,
    refs: store,
    identity: config.botframework,
    requireIdentity: config.env === 'production',
    queueUpdateMs: config.botframework.queueUpdateMs,
    maxBodyBytes,
    log: { warn: (o, m) => log.warn(o, m), error: (o, m) => log.error(o, m) },
  });
  // Direct Line for Web Chat: REST routes, and its WebSocket stream once attached to the listening server.
  const directLine = createDirectLine({
    engine,
    tokens: new DirectLineTokens(config.directLine.tokenSecret),
    ...(config.directLine.secret ? { secret: config.directLine.secret } : {}),
    defaultLang: config.defaultLang,
    streams,
    demoPage: join(__dirname, '..', 'public', 'webchat.html'),
    webchatBundle: join(__dirname, '..', 'node_modules', 'botframework-webchat', 'dist', 'webchat.js'),
  });
  const channels: Channel[] = [widget, agents, gateway, directLine];
  return { channels, gateway, directLine, streams };
}

/**
 * Live knowledge-base updates and the editors' API over the engine's published content. `watchContentFiles` is
 * started by index.ts (tests call editor.checkDisk() themselves or start it).
 */
async function buildEditor(config: Config, core: Core, store: EditorStore, log: Logger) {
  const editor = new EditorService({
    engine: core.engine,
    store,
    source: core.content,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
  });
  await editor.init();
  const watchContentFiles = () =>
    config.kbWatchIntervalMs > 0
      ? watchContent(core.content.dirs, () => editor.checkDisk(), {
          intervalMs: config.kbWatchIntervalMs,
          onError: (err) => log.error({ err }, 'knowledge base check failed'),
        })
      : { close() {} };
  return { editor, watchContentFiles };
}

/** The back office's routes: figures and inbox, /metrics, the admin page and the editors' API. */
function backOfficeRouters(
  config: Config,
  deps: { insights: Insights; metrics: Metrics; editor: EditorService },
  publicDir: string,
): Router[] {
  return [
    insightsRoutes({ insights: deps.insights, users: config.admin.users }),
    metricsRoute(deps.metrics, config.metrics.token),
    adminPage(publicDir),
    editorRoutes(deps.editor, config.admin.users),
  ];
}
