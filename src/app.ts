import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { Config } from './config';
import type { SourceIssue } from './domain/errors';
import { LANGS, type KnowledgeBase, type Lang } from './domain/types';
import { Engine } from './engine/engine';
import { loadKnowledgeBase } from './knowledge/loader';
import type { ClassifierOptions } from './matching/classifier';
import { Matcher, mergeMatcherOptions, type MatcherOptions } from './matching/matcher';
import { Analyzer } from './nlp/analyzer';
import { LanguageDetector } from './nlp/language';
import { createHttpApp } from './server/http';
import { MemoryConversationStore, type ConversationStore } from './storage/conversations';
import { createStore } from './storage/sql';
import type { Connector } from './connectors/types';
import { FileConnector } from './connectors/file';
import { HttpConnector } from './connectors/http';
import { loadDialogs } from './dialogs/loader';
import { DialogRunner } from './dialogs/runner';
import { BusinessHours } from './handoff/policy';
import { agentEventsRoute } from './handoff/inbound';
import { DeliveryWorker } from './handoff/delivery';
import { BotFrameworkGateway } from './channels/botframework/gateway';
import { botframeworkRoutes } from './channels/botframework/routes';

export interface Core {
  kb: KnowledgeBase;
  engine: Engine;
  store: ConversationStore;
  warnings: SourceIssue[];
  buildMs: number;
}

export type CoreConfig = Pick<Config, 'kbDir' | 'dialogsDir' | 'defaultLang' | 'matching'> & { backoffice?: Config['backoffice']; handoff?: Pick<Config['handoff'], 'triggers' | 'hours'> };

/** The back office the dialogs look records up in: a real one over HTTP, or the sample file (offline demo). */
export function createConnector(b: Config['backoffice']): Connector {
  if (b.url) return new HttpConnector({ baseUrl: b.url, ...(b.token ? { token: b.token } : {}), timeoutMs: b.timeoutMs, retries: b.retries });
  return new FileConnector(b.file);
}

/** The conversation core without HTTP: knowledge base, matcher, language detection, engine. */
export function buildCore(
  config: CoreConfig,
  store: ConversationStore = new MemoryConversationStore(),
  matcherOptions?: Partial<MatcherOptions> & { classifier?: Partial<ClassifierOptions> },
  connector?: Connector,
  now?: () => Date,
): Core {
  const t0 = performance.now();
  const { kb, warnings } = loadKnowledgeBase(config.kbDir);
  const analyzer = new Analyzer(kb.synonyms);
  const matcher = new Matcher(kb, analyzer, mergeMatcherOptions(matcherOptions));
  const samples: Partial<Record<Lang, string[]>> = {};
  for (const e of kb.entries) for (const l of LANGS) (samples[l] ??= []).push(...(e.questions[l] ?? []));
  const detector = new LanguageDetector(samples);
  const dialogSet = loadDialogs(config.dialogsDir, kb);
  const titles = new Map(kb.entries.map((e) => [e.id, e.title]));
  const dialogs = new DialogRunner(
    dialogSet,
    connector ?? createConnector(config.backoffice ?? { file: join(__dirname, '..', 'data', 'backoffice.json'), timeoutMs: 3000, retries: 2 }),
    now,
    (id, lang) => titles.get(id)?.[lang],
  );
  const engine = new Engine({
    kb,
    matcher,
    detector,
    store,
    dialogs,
    options: { ...config.matching, defaultLang: config.defaultLang },
    ...(now ? { now } : {}),
    ...(config.handoff ? { handoff: { triggers: new Set(config.handoff.triggers), hours: new BusinessHours(config.handoff.hours) } } : {}),
  });
  return { kb, engine, store, warnings, buildMs: performance.now() - t0 };
}

export function createLogger(config: Pick<Config, 'logLevel' | 'env'>): Logger {
  // Never log tokens or customer credentials.
  return pino({ level: config.logLevel, redact: ['req.headers.authorization', 'token', '*.token', 'headers.authorization'] });
}

/** Wire everything once: the only place that builds objects and passes dependencies through constructors. */
export async function buildApp(config: Config, log: Logger = createLogger(config)) {
  const store = await createStore(config.storage);
  let core: Core;
  try {
    core = buildCore(config, store);
  } catch (e) {
    await store.close();
    throw e;
  }
  const agentEvents = agentEventsRoute({ engine: core.engine, store, secret: config.handoff.agentSecret, maxBodyBytes: config.http.maxBodyBytes });
  // Teams / Web Chat: listens to the engine at once, so that agents' replies reach customers proactively.
  const gateway = new BotFrameworkGateway({
    engine: core.engine,
    refs: store,
    identity: config.botframework,
    requireIdentity: config.env === 'production',
    queueUpdateMs: config.botframework.queueUpdateMs,
    log: { warn: (o, m) => log.warn(o, m), error: (o, m) => log.error(o, m) },
  });
  gateway.start();
  const http = createHttpApp({
    engine: core.engine,
    log,
    maxBodyBytes: config.http.maxBodyBytes,
    publicDir: join(__dirname, '..', 'public'),
    agentEvents,
    botframework: botframeworkRoutes(gateway, config.http.maxBodyBytes),
  });
  // Delivers handoff events to HANDOFF_WEBHOOK_URL (started by index.ts; tests drive it themselves).
  const delivery = new DeliveryWorker(store, {
    ...(config.handoff.webhookUrl ? { url: config.handoff.webhookUrl } : {}),
    secret: config.handoff.webhookSecret,
    ...(config.handoff.retryScheduleMs ? { schedule: config.handoff.retryScheduleMs } : {}),
    log: { warn: (o, m) => log.warn(o, m), error: (o, m) => log.error(o, m) },
  });
  return { ...core, http, log, delivery, gateway };
}
