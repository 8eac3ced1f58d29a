import { accessSync, constants } from 'node:fs';

/** Debian's Chromium (a browser is never downloaded); CHROMIUM_PATH points elsewhere, e.g. to test a missing one. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The one message shown when the browser tests cannot run: what is missing and the command that fixes it. */
export const CHROMIUM_MISSING =
  CHROMIUM === '/usr/bin/chromium'
    ? 'Chromium is missing: run `apt-get install -y chromium` (as root)'
    : `Chromium is missing: CHROMIUM_PATH=${CHROMIUM} is not an executable file (unset CHROMIUM_PATH to use Debian's, installed by \`apt-get install -y chromium\` as root)`;

export function chromiumInstalled(): boolean {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
