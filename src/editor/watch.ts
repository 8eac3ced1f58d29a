import { existsSync, watch, type FSWatcher } from 'node:fs';
import type { ContentDirs } from '../content/files';

/**
 * Calls `check` soon after a file changes in the content folders (fs.watch, debounced: editors' tools write a file
 * in several steps) and every `intervalMs` anyway, since fs.watch misses changes on some filesystems (network
 * and container mounts). `check` compares content hashes, so extra calls cost one read of the files.
 */
export function watchContent(
  dirs: ContentDirs,
  check: () => Promise<void>,
  opts: { intervalMs: number; debounceMs?: number; onError?: (e: unknown) => void },
): { close(): void } {
  const debounceMs = opts.debounceMs ?? 100;
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    check().catch((e: unknown) => opts.onError?.(e));
  };
  const soon = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, debounceMs);
  };
  const watchers: FSWatcher[] = [];
  for (const dir of [dirs.kbDir, dirs.dialogsDir]) {
    if (!existsSync(dir)) continue;
    try {
      const w = watch(dir, { persistent: false }, soon);
      w.on('error', () => w.close()); // the periodic check goes on
      watchers.push(w);
    } catch {
      /* not supported here: the periodic check is enough */
    }
  }
  const interval = setInterval(run, opts.intervalMs);
  interval.unref();
  return {
    close() {
      clearInterval(interval);
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

/**
 * Calls `sync` every `intervalMs`: how an instance learns that another one published a version (the database's
 * latest version id, one cheap query). `sync` is the one "a new version is published" hook, so a database
 * notification can call it too, sooner.
 */
export function pollStore(
  sync: () => Promise<void>,
  opts: { intervalMs: number; onError?: (e: unknown) => void },
): { close(): void } {
  let running = false;
  const interval = setInterval(() => {
    if (running) return; // a slow database: never pile polls up
    running = true;
    sync()
      .catch((e: unknown) => opts.onError?.(e))
      .finally(() => (running = false));
  }, opts.intervalMs);
  interval.unref();
  return { close: () => clearInterval(interval) };
}
