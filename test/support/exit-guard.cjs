/**
 * jest reporter: a bounded safety net for handles a test left open (a server, a store, a child process). The
 * timer is unref'd: it fires only when something else keeps jest alive after the run, then names the problem and
 * exits with jest's own result. Never in watch mode, where staying alive is the point.
 */
/* global setTimeout */
const GRACE_MS = 10_000;

class ExitGuard {
  constructor(globalConfig) {
    this.watching = Boolean(globalConfig.watch || globalConfig.watchAll);
  }

  onRunComplete(_contexts, results) {
    if (this.watching) return;
    setTimeout(() => {
      process.stderr.write(
        `\njest: something is still open ${GRACE_MS / 1000} s after the run (a server, store or process not closed in afterAll): exiting. Find it with \`npx jest --detectOpenHandles <file>\`.\n`,
      );
      process.exit(results.success ? 0 : 1);
    }, GRACE_MS).unref();
  }
}

module.exports = ExitGuard;
