import { DeliveryWorker, type DeliveryLog, type DeliveryObserver } from '../../handoff/delivery';
import type { ChatwootSettings } from '../../domain/chatwoot';
import type { Engine } from '../../engine/engine';
import type { OutboxStore } from '../../storage/ports';
import { ChatwootApi } from './api';
import { createChatwootChannel, type ChatwootChannel } from './channel';
import { ChatwootLinks } from './links';
import { ChatwootSender } from './sender';

export { CHATWOOT_WEBHOOK_PATH } from './channel';

/** The part of the app's Config read here: CHATWOOT_*, and HANDOFF_RETRY_SCHEDULE_MS for the retries. */
export interface ChatwootAppConfig {
  chatwoot?: ChatwootSettings | undefined;
  handoff: { retryScheduleMs?: number[] | undefined };
}

export interface ChatwootDeps {
  engine: Pick<Engine, 'agentEvent'>;
  store: OutboxStore;
  log: DeliveryLog;
  /** Told about each attempt (the metrics, under target "chatwoot"). */
  observer?: DeliveryObserver;
  fetch?: typeof fetch;
  now?: () => Date;
}

/**
 * Chatwoot as the agents' helpdesk: the webhook channel (agents -> customers) and the delivery worker of the
 * 'chatwoot' outbox events (customers -> agents), started by index.ts like the webhook worker. Undefined when
 * Chatwoot is not configured.
 */
export function createChatwoot(
  config: ChatwootAppConfig,
  deps: ChatwootDeps,
): { channel: ChatwootChannel; delivery: DeliveryWorker } | undefined {
  const s = config.chatwoot;
  if (!s) return undefined;
  const schedule = config.handoff.retryScheduleMs;
  const links = new ChatwootLinks(deps.store);
  const api = new ChatwootApi({
    url: s.url,
    accountId: s.accountId,
    apiToken: s.apiToken,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const sender = new ChatwootSender({
    api,
    links,
    inboxId: s.inboxId,
    endpoint: `chatwoot ${s.url} inbox ${s.inboxId}`,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const delivery = new DeliveryWorker(deps.store, {
    target: 'chatwoot',
    sender,
    ...(schedule ? { schedule } : {}),
    // A handoff is up to four API calls of at most 10 s each.
    timeoutMs: 40_000,
    leaseMs: 60_000,
    log: deps.log,
    ...(deps.observer ? { observer: deps.observer } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const channel = createChatwootChannel({
    engine: deps.engine,
    store: deps.store,
    inboxId: s.inboxId,
    webhookToken: s.webhookToken,
    ...(s.webhookSecret ? { webhookSecret: s.webhookSecret } : {}),
    log: deps.log,
    ...(deps.now ? { now: deps.now } : {}),
  });
  return { channel, delivery };
}
