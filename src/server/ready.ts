/** One readiness check's outcome: ok, or why not. */
export interface CheckResult {
  ok: boolean;
  reason?: string;
}

export interface ReadinessDeps {
  /** A real write to the database (a heartbeat row through the storage port): proves it is open and writable. */
  writeHeartbeat: () => Promise<void>;
  /** The published content's version (undefined: nothing published). */
  contentVersion: () => string | undefined;
  /** Handoff events waiting for delivery. */
  pendingOutbox: () => Promise<number>;
  /** Above this many pending events the instance reports not ready (READY_MAX_OUTBOX). */
  maxOutbox: number;
  /** A check that does not answer in this time fails (a hung database must not hang the probe). */
  timeoutMs?: number;
}

export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; content: CheckResult; outbox: CheckResult & { pending?: number } };
}

const reasonOf = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** GET /ready's checks: database writable, content published, outbox backlog under its bound. */
export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const ms = deps.timeoutMs ?? 3000;
  const database: CheckResult = await withTimeout(deps.writeHeartbeat(), ms, 'the database')
    .then(() => ({ ok: true }))
    .catch((e: unknown) => ({ ok: false, reason: `database not writable: ${reasonOf(e)}` }));
  const version = deps.contentVersion();
  const content: CheckResult = version ? { ok: true } : { ok: false, reason: 'no content published' };
  let outbox: Readiness['checks']['outbox'];
  try {
    const pending = await withTimeout(deps.pendingOutbox(), ms, 'the outbox count');
    outbox =
      pending > deps.maxOutbox
        ? {
            ok: false,
            pending,
            reason: `${pending} handoff events wait for delivery (more than READY_MAX_OUTBOX=${deps.maxOutbox})`,
          }
        : { ok: true, pending };
  } catch (e) {
    outbox = { ok: false, reason: `cannot count the outbox: ${reasonOf(e)}` };
  }
  return { ready: database.ok && content.ok && outbox.ok, checks: { database, content, outbox } };
}
