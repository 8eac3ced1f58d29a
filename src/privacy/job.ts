import type { Privacy } from './service';

export interface RetentionLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Once a day: conversations past RETENTION_DAYS are erased, old delivered webhook bodies stripped. */
export const RETENTION_INTERVAL_MS = 86_400_000;

/**
 * The retention job, started by index.ts like the delivery worker (a first run soon after start, then daily);
 * tests call `runOnce` with the service's injected clock. Runs never overlap.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly privacy: Privacy,
    private readonly log: RetentionLog,
  ) {}

  start(intervalMs = RETENTION_INTERVAL_MS, firstRunMs = 60_000): void {
    if (this.timer) return;
    const schedule = (ms: number) => {
      this.timer = setTimeout(() => {
        void this.runOnce();
        schedule(intervalMs);
      }, ms).unref();
    };
    schedule(firstRunMs);
  }

  /** One run (errors are logged, not thrown: the next day tries again). */
  runOnce(): Promise<void> {
    this.running ??= this.privacy
      .retention()
      .then((r) => {
        if (r.erased.length || r.strippedEvents)
          this.log.info(
            { erased: r.erased.length, strippedEvents: r.strippedEvents },
            `retention: ${r.erased.length} conversation(s) erased, ${r.strippedEvents} webhook body(ies) stripped`,
          );
      })
      .catch((err: unknown) => this.log.error({ err }, 'retention job failed'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
