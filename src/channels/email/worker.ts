import type { Lang } from '../../domain/types';
import type { Engine } from '../../engine/engine';
import { ResumeLinks } from '../../handoff/resumeLink';
import { DeliveryWorker, type DeliveryLog, type DeliveryObserver } from '../../handoff/delivery';
import type { OutboxStore, RateCounters } from '../../storage/ports';
import type { SmtpSettings } from '../../domain/mail';
import { smtpMailer, type Mailer } from './mailer';
import { EmailSender, TRANSCRIPTS_PER_RECIPIENT_PER_DAY } from './sender';

/** MAIL_FROM, SMTP_URL as read by config/mail.ts. */
export interface MailSettings {
  smtp: SmtpSettings;
  from: string;
  domain: string;
}

/** The mail worker and its SMTP transport (closed with it). */
export class MailWorker {
  constructor(
    readonly delivery: DeliveryWorker,
    private readonly mailer: Mailer,
  ) {}

  runOnce(): ReturnType<DeliveryWorker['runOnce']> {
    return this.delivery.runOnce();
  }

  start(intervalMs: number): void {
    this.delivery.start(intervalMs);
  }

  async stop(): Promise<void> {
    await this.delivery.stop();
    this.mailer.close();
  }
}

/** What the mail worker reads of the configuration (config/index.ts: mail, PUBLIC_URL, the retry schedule). */
export interface MailWorkerConfig {
  mail: MailSettings;
  /** PUBLIC_URL and the links' key: the signed link back to the conversation in every mail. */
  transcripts: { publicUrl: string; urlKey: string };
  defaultLang: Lang;
  handoff: { retryScheduleMs?: number[] };
}

/**
 * The worker of the outbox's 'email' target: the webhook worker's claims, order per conversation, retries and dead
 * letters, with the mail sender. Started and stopped by index.ts; tests call runOnce.
 */
export function mailWorker(
  config: MailWorkerConfig,
  deps: {
    store: OutboxStore & { rateCounters(): RateCounters };
    engine: Pick<Engine, 'messagesPage'>;
    /**
     * Live streams: this process's (their limits know which conversations have one open) and, when recorded, every
     * instance's (`presence`, in the store).
     */
    streams: {
      limits: { seenSince(conversationId: string, since: number): boolean };
      presence?: { seenSince(conversationId: string, since: number): Promise<boolean> };
    };
    log: DeliveryLog;
    /** Told about each attempt (the metrics, under target "email"). */
    observer?: DeliveryObserver;
  },
): MailWorker {
  const mailer = smtpMailer(config.mail.smtp, config.mail.from);
  const sender = new EmailSender({
    mailer,
    engine: deps.engine,
    settings: deps.store,
    presence: {
      seenSince: async (id, since) =>
        deps.streams.limits.seenSince(id, since) || ((await deps.streams.presence?.seenSince(id, since)) ?? false),
    },
    links: new ResumeLinks(config.transcripts),
    domain: config.mail.domain,
    defaultLang: config.defaultLang,
    perRecipient: deps.store.rateCounters().counter('mail-transcripts', TRANSCRIPTS_PER_RECIPIENT_PER_DAY, 86_400),
  });
  const schedule = config.handoff.retryScheduleMs;
  const worker = new DeliveryWorker(deps.store, {
    target: 'email',
    sender,
    ...(schedule ? { schedule } : {}),
    // Longer than nodemailer's own waits (connection, greeting, socket), so a lease never runs out mid-mail.
    timeoutMs: 20_000,
    leaseMs: 60_000,
    log: deps.log,
    ...(deps.observer ? { observer: deps.observer } : {}),
  });
  return new MailWorker(worker, mailer);
}
