import { CloudAdapter, type TurnContext } from '@microsoft/agents-hosting';
import type { Activity } from '@microsoft/agents-activity';
import type { Router } from 'express';
import type { AttachmentService } from '../../attachments/service';
import { AppError, ConfigError } from '../../domain/errors';
import type { AttachmentRef, Lang, Reply } from '../../domain/types';
import type { Engine } from '../../engine/engine';
import type { ChannelRef, MessageRecord } from '../../domain/conversation';
import type { ChannelRefStore, OutboxStore } from '../../storage/ports';
import { buttonPolicy, incomingOf, recordActivity, replyActivity, type ActivityJson } from '../activity';
import type { Channel, ProactiveTarget } from '../channel';
import { SLOW_DOWN, type TrafficLimits } from '../limits';
import { langOfLocale } from '../locale';
import { ProactiveDelivery } from '../proactive';
import type { AttachmentLinks } from '../../handoff/attachmentLink';
import { ChannelFiles, fileSources, outgoingFiles, refusalText } from './files';
import { authConfiguration, type BotIdentity } from './identity';
import { conversationReference, refChanged, refOf } from './references';
import { botframeworkRoutes, type GatewayRequest, type GatewayResponse } from './routes';
import { refusedServiceUrl, type ServiceUrlPolicy } from './serviceUrl';

export type { BotAppType, BotIdentity } from './identity';

/**
 * The Bot Framework channel (Microsoft Teams, Web Chat through Azure Bot Service, the Bot Framework Emulator) through
 * the Microsoft 365 Agents SDK. The only module that imports the SDK: it authenticates requests, turns activities
 * into the engine's messages and the engine's replies into activities (src/channels/activity.ts), and writes to
 * customers proactively (agents' messages, queue updates) from the references stored in the database.
 */

interface Log {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface GatewayDeps {
  engine: Engine;
  /** References, and the ids of activities already received (redeliveries are answered once). */
  refs: ChannelRefStore & Pick<OutboxStore, 'rememberInbound' | 'getSetting' | 'setSetting' | 'swapSetting'>;
  identity: BotIdentity;
  log: Log;
  /** Refuse to run without an identity (production): anonymous requests would be accepted. */
  requireIdentity?: boolean;
  /** Shortest time between two queue updates to one customer. */
  queueUpdateMs: number;
  /** Delays before retrying a failed proactive send. */
  retryDelaysMs?: number[];
  /** Where replies may be posted (default: Microsoft's hosts, and loopback without an identity: the Emulator). */
  serviceUrls?: ServiceUrlPolicy;
  /** MAX_BODY_BYTES for POST /api/messages (activities may always be 256 KB). */
  maxBodyBytes?: number;
  /** Messages per conversation (none when absent); the requests per IP are counted in front of the route. */
  limits?: TrafficLimits;
  /** Files on incoming messages (Teams images and files) go through it; without it they are ignored. */
  attachments?: AttachmentService;
  /** Signed download URLs on PUBLIC_URL: agents' files sent to the customer (images shown, other files linked). */
  attachmentLinks?: AttachmentLinks;
  now?: () => Date;
}

const SORRY: Record<Lang, string> = {
  fr: 'Désolé, un problème technique m’empêche de répondre. Réessayez dans un instant.',
  ro: 'Ne pare rău, o problemă tehnică mă împiedică să răspund. Încercați din nou în câteva momente.',
  en: 'Sorry, a technical problem keeps me from answering. Please try again in a moment.',
};

/** The SDK's Activity as the plain JSON fields we read. */
function plain(a: Activity): ActivityJson {
  return JSON.parse(JSON.stringify({ ...a, channelId: a.channelId })) as ActivityJson;
}

/** Activities for the SDK; suggested actions name their recipient (`to`, required by the SDK's schema). */
const asActivities = (xs: ActivityJson[], userId: string) =>
  xs.map((x) =>
    x.suggestedActions ? { ...x, suggestedActions: { ...x.suggestedActions, to: [userId] } } : x,
  ) as unknown as Activity[];

/**
 * The Bot Framework channel: POST /api/messages (read before the JSON parser: activities may be larger), and
 * proactive delivery to the stored references while started.
 */
export class BotFrameworkGateway implements Channel, ProactiveTarget {
  readonly name = 'botframework';
  readonly limited = { paths: ['/api/messages'], limit: 'requests' } as const;
  readonly adapter: CloudAdapter;
  readonly rawBody: Router;
  private readonly now: () => Date;
  /** First contact of a channel conversation, per conversation: one of ours is created once. */
  private readonly opening = new Map<string, Promise<string>>();
  /** Agents' messages, typing and queue updates, written to customers outside their turns. */
  private readonly proactive: ProactiveDelivery;
  private readonly files?: ChannelFiles;

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
    this.proactive = new ProactiveDelivery({
      engine: deps.engine,
      target: this,
      queueUpdateMs: deps.queueUpdateMs,
      label: 'Bot Framework',
      log: deps.log,
      now: this.now,
      // Queue-update throttles shared by every instance on the database.
      shared: deps.refs,
    });
    if (deps.attachments) {
      const adapter = this.adapter;
      // The bot's token for the channel's hosts (Teams inline images), as the SDK gets it for replies.
      const token = deps.identity.appId
        ? () => adapter.connectionManager.getDefaultConnection().getAccessToken('https://api.botframework.com')
        : undefined;
      this.files = new ChannelFiles({
        service: deps.attachments,
        serviceUrls: deps.serviceUrls ?? { allow: [], emulator: !deps.identity.appId && !deps.requireIdentity },
        ...(token ? { token } : {}),
      });
    }
    // Without MAX_BODY_BYTES, the activity minimum (256 KB) applies.
    this.rawBody = botframeworkRoutes(this, deps.maxBodyBytes ?? 0);
  }

  /** Reject requests without a valid Bot Framework token (401) when an identity is configured; anonymous otherwise. */
  authorize(req: GatewayRequest, res: GatewayResponse, next: (err?: unknown) => void): Promise<void> {
    return this.adapter.authorizeRequest(req as Parameters<CloudAdapter['authorizeRequest']>[0], res, next);
  }

  refusedServiceUrl(serviceUrl: unknown): string | undefined {
    const { identity, requireIdentity } = this.deps;
    return refusedServiceUrl(
      serviceUrl,
      this.deps.serviceUrls ?? { allow: [], emulator: !identity.appId && !requireIdentity },
    );
  }

  /** One authorized request: the turn runs, its replies are posted to the channel, the HTTP answer follows. */
  process(req: GatewayRequest, res: GatewayResponse): Promise<void> {
    return this.adapter.process(req as Parameters<CloudAdapter['process']>[0], res, (context) => this.onTurn(context));
  }

  /** Listen to the engine: agents' messages and typing, queue changes. */
  start(): void {
    this.proactive.start();
  }

  /** Stop listening and wait for the sends under way. */
  stop(): Promise<void> {
    return this.proactive.stop();
  }

  /** Wait for the queue checks and proactive sends under way (shutdown, tests). */
  idle(): Promise<void> {
    return this.proactive.idle();
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
    // Teams shows no HTTP status: a refusal is said in the conversation (the limit's first refusal only).
    const allowed = await this.deps.limits?.message(conversationId);
    if (allowed && !allowed.allowed)
      return allowed.firstRefusal ? this.slowDown(context, a, conversationId) : undefined;
    // "Typing…" while the engine works; posted before the replies.
    const typing = context.sendActivity({ type: 'typing' } as unknown as Activity).catch(() => undefined);
    const attachments = await this.filesOf(context, a, conversationId);
    if (!attachments) return void (await typing);
    const replies = await this.handleWith(a, conversationId, attachments);
    await typing;
    await this.reply(context, a, replies);
    await this.proactive.noteTurn(conversationId, replies);
  }

  /**
   * The message's files, stored (an empty list when it has none); undefined when one is refused: the customer is
   * told why in the conversation and the message goes no further (a refusal stores nothing).
   */
  private async filesOf(context: TurnContext, a: ActivityJson, id: string): Promise<AttachmentRef[] | undefined> {
    if (!this.files || !fileSources(a).length) return [];
    try {
      return await this.files.accept(id, a);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      this.deps.log.warn({ code: err.code, reason: err.message, conversationId: id }, 'Bot Framework: file refused');
      const state = await this.deps.engine.getConversation(id);
      const lang = state?.lang ?? langOfLocale(a.locale) ?? this.deps.engine.options.defaultLang;
      const text = refusalText(err, lang);
      await context.sendActivity({ type: 'message', text, textFormat: 'plain' } as unknown as Activity);
      return undefined;
    }
  }

  /** The message to the engine with its files; if it cannot be handled, its files go. */
  private async handleWith(a: ActivityJson, conversationId: string, attachments: AttachmentRef[]): Promise<Reply[]> {
    try {
      return await this.deps.engine.handle({
        conversationId,
        channel: a.channelId!,
        ...(incomingOf(a) ?? { text: '' }),
        ...(attachments.length ? { attachments } : {}),
      });
    } catch (err) {
      await this.files?.discard(conversationId, attachments);
      throw err;
    }
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

  /** The messages limit's refusal, in the customer's language. */
  private async slowDown(context: TurnContext, a: ActivityJson, id: string): Promise<void> {
    const state = await this.deps.engine.getConversation(id);
    const lang = state?.lang ?? langOfLocale(a.locale) ?? this.deps.engine.options.defaultLang;
    await context.sendActivity({ type: 'message', text: SLOW_DOWN[lang], textFormat: 'plain' } as unknown as Activity);
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

  /** Messages written outside a customer's turn (agents joining, writing, closing; the CSAT question). */
  async messages(conversationId: string, records: MessageRecord[]): Promise<void> {
    const ref = await this.deps.refs.channelRef(conversationId);
    if (!ref) return; // not a Bot Framework conversation
    const shown = records.filter((m) => m.from !== 'customer');
    if (!shown.length) return;
    const lang = await this.langOf(conversationId, ref);
    const policy = buttonPolicy(ref.channelId, ref.conversation.conversationType);
    const links = this.deps.attachmentLinks;
    const now = this.now();
    await this.send(
      ref,
      shown.map((m) => {
        const a = recordActivity(m, lang, policy);
        return links && m.attachments?.length
          ? outgoingFiles(a, m.attachments, (f) => links.url(conversationId, f.id, now))
          : a;
      }),
    );
  }

  async typing(conversationId: string): Promise<void> {
    const ref = await this.deps.refs.channelRef(conversationId);
    if (ref) await this.send(ref, [{ type: 'typing' }]);
  }

  /** The customer's new place in the queue, as the engine words it. */
  async queue(conversationId: string): Promise<void> {
    const ref = await this.deps.refs.channelRef(conversationId);
    if (!ref) return;
    const reply = await this.deps.engine.queueReply(conversationId, await this.langOf(conversationId, ref));
    if (reply)
      await this.send(ref, [replyActivity(reply, buttonPolicy(ref.channelId, ref.conversation.conversationType))]);
  }

  private async langOf(conversationId: string, ref: ChannelRef): Promise<Lang> {
    const state = await this.deps.engine.getConversation(conversationId);
    return state?.lang ?? state?.handoff?.lang ?? langOfLocale(ref.locale) ?? this.deps.engine.options.defaultLang;
  }

  /** Post activities to a stored conversation (a new message, not a reply), retrying a failed attempt. */
  private async send(ref: ChannelRef, activities: ActivityJson[]): Promise<void> {
    // A reference stored before the allow list (or the list narrowed since): nothing is posted there.
    const refused = this.refusedServiceUrl(ref.serviceUrl);
    if (refused) {
      this.deps.log.warn(
        { serviceUrl: ref.serviceUrl, reason: refused },
        'Bot Framework: serviceUrl refused, not sent',
      );
      return;
    }
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
}
