import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildContent, type BuildOptions, type BuildResult } from './build';
import type { ContentDirs, ContentFiles } from './files';
import type { LanguageModelState } from '../matching/matcher';
import { fromTransfer, type BuildReply, type BuildRequest } from './transfer';

const WORKER_FILE = join(__dirname, 'buildWorker.ts');

/**
 * The worker's first lines: register tsx's require hook (the worker is TypeScript; the hooks of a `tsx` parent
 * do not reach a worker's main script, and jest's transform never does), then load the worker file.
 */
function bootstrap(): string {
  const tsx = require.resolve('tsx/cjs/api');
  return `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(WORKER_FILE)});`;
}

type FinalReply = Exclude<BuildReply, { model: unknown }>;

interface Pending {
  models: LanguageModelState[];
  resolve(r: FinalReply): void;
  reject(e: Error): void;
}

/** The worker could not start or died: the builder builds in-process from then on. */
class WorkerUnavailable extends Error {}

/** The worker stops when idle this long (it holds a copy of the models); the next build starts it again. */
const IDLE_MS = 30_000;

/**
 * Content builds in a worker thread, so that publishing does not stall the requests being served: the worker
 * parses, validates, trains and self-tests; this thread only reloads the search index and restores the classes.
 * The worker is TypeScript, loaded through tsx's require hook (under `npm start` and under jest alike). Where no
 * worker can start, builds run in-process (told once through `onFallback`).
 */
export class ContentBuilder {
  private worker: Worker | undefined;
  private unavailable: string | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly mode: 'auto' | 'off',
    private readonly onFallback: (why: string) => void = () => {},
  ) {}

  /** Why builds run in-process (undefined: they run in the worker, or have not been tried yet). */
  get fallbackReason(): string | undefined {
    return this.mode === 'off' ? 'KB_BUILD_WORKER=off' : this.unavailable;
  }

  async build(files: ContentFiles, dirs: ContentDirs, opts: BuildOptions): Promise<BuildResult> {
    if (this.mode === 'off' || this.unavailable) return buildContent(files, dirs, opts);
    const options = {
      ...(opts.matcher ? { matcher: opts.matcher } : {}),
      ...(opts.minQuestions ? { minQuestions: opts.minQuestions } : {}),
    };
    let reply: FinalReply;
    try {
      reply = await this.request({ id: this.nextId++, files, dirs, options });
    } catch (e) {
      if (!(e instanceof WorkerUnavailable)) throw e;
      return buildContent(files, dirs, opts);
    }
    if ('error' in reply) throw new Error(reply.error);
    return fromTransfer(reply.result, opts);
  }

  private request(req: BuildRequest): Promise<FinalReply> {
    const worker = this.worker ?? this.start();
    if (this.idle) clearTimeout(this.idle);
    return new Promise<FinalReply>((resolve, reject) => {
      this.pending.set(req.id, { models: [], resolve, reject });
      worker.postMessage(req);
    }).finally(() => {
      if (this.pending.size === 0) this.idleSoon();
    });
  }

  private start(): Worker {
    const worker = new Worker(bootstrap(), { eval: true });
    worker.unref();
    let ready = false;
    worker.on('message', (reply: BuildReply) => {
      ready = true;
      const p = this.pending.get(reply.id);
      if (!p) return;
      if ('model' in reply) return void p.models.push(reply.model);
      this.pending.delete(reply.id);
      if ('result' in reply && reply.result.parts) reply.result.parts.matcher.models = p.models;
      p.resolve(reply);
    });
    // A worker that fails before its first answer cannot load here: build in-process from now on.
    const fail = (why: string) => {
      if (this.worker !== worker) return; // one stopped by close(), another may be running
      this.worker = undefined;
      if (!ready && !this.unavailable) {
        this.unavailable = why;
        this.onFallback(why);
      }
      for (const p of this.pending.values()) p.reject(new WorkerUnavailable(why));
      this.pending.clear();
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => fail(`the build worker exited (code ${code})`));
    this.worker = worker;
    return worker;
  }

  private idleSoon(): void {
    this.idle = setTimeout(() => this.close(), IDLE_MS);
    this.idle.unref();
  }

  /** Stop the worker (the next build starts another). */
  close(): void {
    if (this.idle) clearTimeout(this.idle);
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
    for (const p of this.pending.values()) p.reject(new WorkerUnavailable('the build worker was stopped'));
    this.pending.clear();
  }
}
