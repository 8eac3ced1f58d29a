import { AuthType, CloudAdapter, type AuthConfiguration, type TurnContext } from '@microsoft/agents-hosting';
import type { Activity } from '@microsoft/agents-activity';
import type { BotAppType } from '../../config';
import { ConfigError } from '../../domain/errors';
import type { Lang, Reply } from '../../domain/types';
import type { Engine, QueueStatus } from '../../engine/engine';
import type { ChannelRef, MessageRecord } from '../../domain/conversation';
import type { ChannelRefStore, OutboxStore } from '../../storage/ports';
import { buttonPolicy, incomingOf, recordActivity, replyActivity, type ActivityJson } from '../activity';
import { conversationReference, langOfLocale, refChanged, refOf } from './references';

/**
 * The Bot Framework channel (Microsoft Teams, Web Chat through Azure Bot Service, the Bot Framework Emulator) through
 * the Microsoft 365 Agents SDK. The only module that imports the SDK: it authenticates requests, turns activities
 * into the engine's messages and the engine's replies into activities (src/channels/activity.ts), and writes to
 * customers proactively (agents' messages, queue updates) from the references stored in the database.
 */

export interface BotIdentity {
  appId?: string;
  appPassword?: string;
  tenantId?: string;
  appType: BotAppType;
}

interface Log {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface GatewayDeps {
  engine: Engine;
  /** References, and the ids of activities already received (redeliveries are answered once). */
  refs: ChannelRefStore & Pick<OutboxStore, 'rememberInbound'>;
  identity: BotIdentity;
  log: Log;
  /** Refuse to run without an identity (production): anonymous requests would be accepted. */
  requireIdentity?: boolean;
  /** Shortest time between two queue updates to one customer. */
  queueUpdateMs: number;
  /** Delays before retrying a failed proactive send. */
  retryDelaysMs?: number[];
  now?: () => Date;
}

/** Minimal request/response shapes (express' satisfy them) so that routes need not import the SDK. */
export interface GatewayRequest {
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  method?: string;
}
export interface GatewayResponse {
  status(code: number): this;
  setHeader(name: string, value: string): this;
  send(body?: unknown): this;
  end(): this;
  headersSent: boolean;
  writableEnded: boolean;
}

const SORRY: Record<Lang, string> = {
  fr: 'Désolé, un problème technique m’empêche de répondre. Réessayez dans un instant.',
  ro: 'Ne pare rău, o problemă tehnică mă împiedică să răspund. Încercați din nou în câteva momente.',
  en: 'Sorry, a technical problem keeps me from answering. Please try again in a moment.',
};

/** The SDK's authentication settings for our identity; empty (anonymous, development) without an app id. */
function authConfiguration(id: BotIdentity): AuthConfiguration {
  if (!id.appId) return {};
  // Tokens must come from Azure Bot Service or our tenant: Entra signing keys are shared by all tenants, so without
  // this a token another tenant obtains for our app id would pass (the SDK leaves it off for compatibility).
  const validateIssuer = true;
  if (id.appType === 'UserAssignedMSI')
    return { clientId: id.appId, tenantId: id.tenantId, authType: AuthType.UserManagedIdentity, validateIssuer };
  // MultiTenant: no tenant, the SDK uses botframework.com (the Azure Bot "MultiTenant" type).
  return {
    clientId: id.appId,
    clientSecret: id.appPassword,
    ...(id.appType === 'SingleTenant' ? { tenantId: id.tenantId } : {}),
    authType: AuthType.ClientSecret,
    validateIssuer,
  };
}

/** The SDK's Activity as the plain JSON fields we read. */
function plain(a: Activity): ActivityJson {
  return JSON.parse(JSON.stringify({ ...a, channelId: a.channelId })) as ActivityJson;
}

/** Activities for the SDK; suggested actions name their recipient (`to`, required by the SDK's schema). */
const asActivities = (xs: ActivityJson[], userId: string) =>
  xs.map((x) =>
    x.suggestedActions ? { ...x, suggestedActions: { ...x.suggestedActions, to: [userId] } } : x,
  ) as unknown as Activity[];

export class BotFrameworkGateway {
  readonly adapter: CloudAdapter;
  private readonly now: () => Date;
  /** First contact of a channel conversation, per conversation: one of ours is created once. */
  private readonly opening = new Map<string, Promise<string>>();
  /** Proactive sends, in order per conversation. */
  private readonly outgoing = new Map<string, Promise<void>>();
  /** Channel customers waiting for a person (handled here): the queue status they were last told, and when. */
  private readonly waiting = new Map<string, { key: string; at: number }>();
  private queueCheck: Promise<void> = Promise.resolve();
  private queueCheckPending = false;
  private queueTimer: NodeJS.Timeout | undefined;
  private queuePoll: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly deps: GatewayDeps) {
    if (deps.requireIdentity && !deps.identity.appId)
      throw new ConfigError(
        'invalid configuration:\n  MICROSOFT_APP_ID is required with NODE_ENV=production (POST /api/messages would accept unauthenticated requests)',
      );
    this.now = deps.now ?? (() => new Date());
    // With an identity, the service URL of an activity must match the one in its token (no forged reply addresses).
    this.adapter = new CloudAdapter(
      authConfiguration(deps.identity),
      undefined,
      undefined,
      deps.identity.appId ? { validateServiceUrl: true } : {},
    );
    this.adapter.onTurnError = async (context, error) => {
      deps.log.error(
        { err: error, channelId: context.activity.channelId, type: context.activity.type },
        'Bot Framework turn failed',
      );
      if (context.activity.type !== 'message') return;
      const lang = langOfLocale(context.activity.locale) ?? deps.engine.options.defaultLang;
      await context
        .sendActivity({ type: 'message', text: SORRY[lang], textFormat: 'plain' } as unknown as Activity)
        .catch(() => undefined);
    };
  }

  /** Reject requests without a valid Bot Framework token (401) when an identity is configured; anonymous otherwise. */
  authorize(req: GatewayRequest, res: GatewayResponse, next: (err?: unknown) => void): Promise<void> {
    return this.adapter.authorizeRequest(req as Parameters<CloudAdapter['authorizeRequest']>[0], res, next);
  }

  /** One authorized request: the turn runs, its replies are posted to the channel, the HTTP answer follows. */
  process(req: GatewayRequest, res: GatewayResponse): Promise<void> {
    return this.adapter.process(req as Parameters<CloudAdapter['process']>[0], res, (context) => this.onTurn(context));
  }

  /** Listen to the engine: agents' messages and typing, queue changes. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.deps.engine.events.on('message', this.onEngineMessage);
    this.deps.engine.events.on('typing', this.onEngineTyping);
    // Queue moves caused on other instances emit nothing here: look again now and then.
    this.queuePoll = setInterval(() => this.scheduleQueueCheck(), Math.max(this.deps.queueUpdateMs, 10_000));
    this.queuePoll.unref();
  }

  /** Stop listening and wait for the sends under way. */
  async stop(): Promise<void> {
    this.started = false;
    this.deps.engine.events.off('message', this.onEngineMessage);
    this.deps.engine.events.off('typing', this.onEngineTyping);
    clearTimeout(this.queueTimer);
    clearInterval(this.queuePoll);
    await this.idle();
  }

  /** Wait for the queue checks and proactive sends under way (shutdown, tests). */
  async idle(): Promise<void> {
    await this.queueCheck;
    await Promise.allSettled([...this.outgoing.values()]);
  }

  private async onTurn(context: TurnContext): Promise<void> {
    const a = plain(context.activity);
    if (a.type === 'message') return this.onMessage(context, a);
    if (a.type === 'conversationUpdate') return this.onMembersAdded(context, a);
    // Teams sends invokes (card actions, app events...); answering 200 keeps it from showing an error.
    if (a.type === 'invoke') {
      await context.sendActivity({ type: 'invokeResponse', value: { status: 200 } } as unknown as Activity);
      return;
    }
    // typing, messageReaction, installationUpdate, events: nothing to answer.
  }

  private async onMessage(context: TurnContext, a: ActivityJson): Promise<void> {
    // The channel sends a message again when our answer was slow: answer it once (on any instance).
    if (a.id && !(await this.deps.refs.rememberInbound(`bf:${a.channelId}:${a.conversation!.id}:${a.id}`, this.now())))
      return;
    const conversationId = await this.conversationFor(a);
    // "Typing…" while the engine works; posted before the replies.
    const typing = context.sendActivity({ type: 'typing' } as unknown as Activity).catch(() => undefined);
    const replies = await this.deps.engine.handle({
      conversationId,
      channel: a.channelId!,
      ...(incomingOf(a) ?? { text: '' }),
    });
    await typing;
    await this.reply(context, a, replies);
    await this.noteQueue(conversationId, replies);
  }

  private async onMembersAdded(context: TurnContext, a: ActivityJson): Promise<void> {
    const added = a.membersAdded ?? [];
    if (!added.length) return;
    // In Teams teams and group chats, greet when the bot is added, not each time a person joins.
    const personal =
      a.channelId !== 'msteams' || !a.conversation?.conversationType || a.conversation.conversationType === 'personal';
    if (!personal && !added.some((m) => m.id === a.recipient?.id)) return;
    const conversationId = await this.conversationFor(a, langOfLocale(a.locale));
    await this.reply(context, a, await this.deps.engine.welcome(conversationId));
  }

  private async reply(context: TurnContext, a: ActivityJson, replies: Reply[]): Promise<void> {
    if (!replies.length) return;
    const policy = buttonPolicy(a.channelId, a.conversation?.conversationType);
    await context.sendActivities(
      asActivities(
        replies.map((r) => replyActivity(r, policy)),
        a.from?.id ?? '',
      ),
    );
  }

  /**
   * Our conversation for a channel conversation, created on first contact (in `lang` when known: the locale of a
   * join; a first message leaves it to the engine's detection). The stored reference follows the address.
   */
  private conversationFor(a: ActivityJson, lang?: Lang): Promise<string> {
    const key = `${a.channelId}\n${a.conversation!.id}`;
    const previous = this.opening.get(key) ?? Promise.resolve('');
    const next = previous
      .catch(() => '')
      .then(async () => {
        const stored = await this.deps.refs.channelRefByExternal(a.channelId!, a.conversation!.id);
        if (stored) {
          const ref = refOf(a, stored.conversationId, this.now());
          if (refChanged(stored, ref)) await this.deps.refs.linkChannel(ref);
          return stored.conversationId;
        }
        const state = await this.deps.engine.createConversation({ channel: a.channelId!, ...(lang ? { lang } : {}) });
        return (await this.deps.refs.linkChannel(refOf(a, state.id, this.now()))).conversationId;
      });
    this.opening.set(key, next);
    void next.finally(() => this.opening.get(key) === next && this.opening.delete(key)).catch(() => undefined);
    return next;
  }

  private readonly onEngineMessage = (conversationId: string, records: MessageRecord[], origin: 'turn' | 'agent') => {
    // The customer's own turn was answered in the turn; agents' events reach the customer only this way.
    if (origin === 'agent') this.enqueue(conversationId, () => this.push(conversationId, records));
    // Any join, cancellation or completion may move the others in the queue.
    this.scheduleQueueCheck();
  };

  private readonly onEngineTyping = (conversationId: string) => {
    this.enqueue(conversationId, async () => {
      const ref = await this.deps.refs.channelRef(conversationId);
      if (ref) await this.send(ref, [{ type: 'typing' }]);
    });
  };

  private enqueue(conversationId: string, job: () => Promise<void>): void {
    const previous = this.outgoing.get(conversationId) ?? Promise.resolve();
    const next = previous
      .then(job)
      .catch((err: unknown) =>
        this.deps.log.warn({ err, conversationId }, 'proactive Bot Framework message not delivered'),
      );
    this.outgoing.set(conversationId, next);
    void next.finally(() => this.outgoing.get(conversationId) === next && this.outgoing.delete(conversationId));
  }

  private async langOf(conversationId: string, ref: ChannelRef): Promise<Lang> {
    const state = await this.deps.engine.getConversation(conversationId);
    return state?.lang ?? state?.handoff?.lang ?? langOfLocale(ref.locale) ?? this.deps.engine.options.defaultLang;
  }

  /** Messages written outside a customer's turn (agents joining, writing, closing; the CSAT question). */
  private async push(conversationId: string, records: MessageRecord[]): Promise<void> {
    const ref = await this.deps.refs.channelRef(conversationId);
    if (!ref) return; // not a Bot Framework conversation
    const shown = records.filter((m) => m.from !== 'customer');
    if (!shown.length) return;
    const lang = await this.langOf(conversationId, ref);
    const policy = buttonPolicy(ref.channelId, ref.conversation.conversationType);
    await this.send(
      ref,
      shown.map((m) => recordActivity(m, lang, policy)),
    );
  }

  /** Post activities to a stored conversation (a new message, not a reply), retrying a failed attempt. */
  private async send(ref: ChannelRef, activities: ActivityJson[]): Promise<void> {
    // Anonymous (development): an identity without audience makes the SDK post without a token.
    const identity =
      this.deps.identity.appId ?? ({} as Exclude<Parameters<CloudAdapter['continueConversation']>[0], string>);
    const delays = this.deps.retryDelaysMs ?? [1000, 5000];
    for (let attempt = 0; ; attempt++) {
      try {
        await this.adapter.continueConversation(identity, conversationReference(ref), async (context) => {
          // Proactive messages start a new message in the conversation: POST /v3/conversations/{id}/activities.
          context.onSendActivities(async (_c, acts, next) => {
            for (const x of acts) delete x.replyToId;
            return next();
          });
          await context.sendActivities(
            asActivities(
              activities.map(({ id: _id, ...x }) => x),
              ref.user.id,
            ),
          );
        });
        return;
      } catch (err) {
        if (attempt >= delays.length) throw err;
        await new Promise((ok) => setTimeout(ok, delays[attempt]));
      }
    }
  }

  /** Remember what a customer was told about the queue in their turn (the baseline for later updates). */
  private async noteQueue(conversationId: string, replies: Reply[]): Promise<void> {
    if (!replies.some((r) => r.source.kind === 'handoff' && r.source.id === 'queue')) return;
    const st = await this.deps.engine.queueStatus(conversationId);
    if (st?.status === 'queued') this.waiting.set(conversationId, { key: queueKey(st), at: this.now().getTime() });
    else this.waiting.delete(conversationId);
  }

  private scheduleQueueCheck(): void {
    if (this.queueCheckPending || !this.waiting.size) return;
    this.queueCheckPending = true;
    this.queueCheck = this.queueCheck.then(async () => {
      this.queueCheckPending = false;
      await this.checkQueue().catch((err: unknown) => this.deps.log.warn({ err }, 'queue updates failed'));
    });
  }

  /** Tell waiting customers whose place or estimated wait changed, at most once per queueUpdateMs each. */
  private async checkQueue(): Promise<void> {
    let soonest = Infinity;
    for (const [conversationId, told] of [...this.waiting]) {
      const st = await this.deps.engine.queueStatus(conversationId);
      if (!st || st.status !== 'queued') {
        this.waiting.delete(conversationId);
        continue;
      }
      const key = queueKey(st);
      if (key === told.key) continue;
      const due = told.at + this.deps.queueUpdateMs;
      const now = this.now().getTime();
      if (now < due) {
        soonest = Math.min(soonest, due - now);
        continue;
      }
      this.waiting.set(conversationId, { key, at: now });
      this.enqueue(conversationId, async () => {
        const ref = await this.deps.refs.channelRef(conversationId);
        if (!ref) return;
        const reply = await this.deps.engine.queueReply(conversationId, await this.langOf(conversationId, ref));
        if (reply)
          await this.send(ref, [replyActivity(reply, buttonPolicy(ref.channelId, ref.conversation.conversationType))]);
      });
    }
    if (soonest < Infinity && this.started) {
      clearTimeout(this.queueTimer);
      this.queueTimer = setTimeout(() => this.scheduleQueueCheck(), soonest);
      this.queueTimer.unref();
    }
  }
}

/** What a queue update says: the place and the wait in whole minutes. */
function queueKey(st: QueueStatus): string {
  return `${st.position}/${Math.ceil(st.estimatedWaitMs / 60_000)}`;
}
