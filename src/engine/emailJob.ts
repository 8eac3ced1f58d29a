/** How often the email offers due are looked for (the offer is due HANDOFF_EMAIL_AFTER_MS after the request). */
export const EMAIL_OFFER_INTERVAL_MS = 15_000;

export interface EmailOfferLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The offers job: every ~15 s, the offer to continue by email is posted to the customers waiting past
 * HANDOFF_EMAIL_AFTER_MS (or while agents are away) who were not offered it yet, also silent ones (a Web Chat
 * customer's stream does not ask for the queue status). Started by index.ts on every instance (each offer is made
 * once across them, engine.offerDueEmails); tests call runOnce. Runs never overlap.
 */
export class EmailOfferJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly engine: { offerDueEmails(): Promise<number> },
    private readonly log: EmailOfferLog,
  ) {}

  start(intervalMs = EMAIL_OFFER_INTERVAL_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), intervalMs);
    this.timer.unref();
  }

  /** One run: how many offers it made (errors are logged, not thrown: the next run tries again). */
  runOnce(): Promise<number> {
    this.running ??= this.engine
      .offerDueEmails()
      .then((n) => {
        if (n) this.log.info({ offers: n }, `email: ${n} offer(s) to continue by email posted`);
        return n;
      })
      .catch((err: unknown) => {
        this.log.error({ err }, 'email offers job failed');
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
