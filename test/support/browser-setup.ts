import { CHROMIUM_MISSING, chromiumInstalled } from './chromium';

/**
 * jest globalSetup of the browser project (run only when a browser suite is selected): without Chromium, stop
 * before any suite starts, with one message instead of a launch error in every test.
 */
export default function checkChromium(): void {
  if (chromiumInstalled()) return;
  const error = new Error(CHROMIUM_MISSING);
  error.stack = CHROMIUM_MISSING; // the message is the whole story: no stack trace under it
  throw error;
}
