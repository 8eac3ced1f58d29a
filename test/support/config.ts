import { join, resolve } from 'node:path';
import { loadConfig, type Config } from '../../src/config';

export const ROOT = resolve(__dirname, '..', '..');

/** Settings given to an app under test: only these and the test defaults, never the developer's environment. */
export type TestEnv = Record<string, string>;

/**
 * What every app under test starts from. The same values the loader would pick in the project folder, spelled
 * out, so that nothing from the shell (a developer's MATCH_*, HANDOFF_*, DATABASE_URL...) reaches the app.
 */
export function testDefaults(): TestEnv {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL || 'silent',
    KB_DIR: join(ROOT, 'knowledge-base'),
    DIALOGS_DIR: join(ROOT, 'dialogs'),
    BACKOFFICE_FILE: join(ROOT, 'data', 'backoffice.json'),
    DATABASE_URL: '',
    // The suites create many conversations quickly from one address; test/security/limits*.test.ts turn them on.
    RATE_LIMITS: 'off',
  };
}

/** The app's settings for a test: the test defaults, then `env`. */
export function testEnv(env: TestEnv = {}): TestEnv {
  return { ...testDefaults(), ...env };
}

/** The config loader fed with a clean environment (test defaults plus `env`), relative paths from the project. */
export function testConfig(env: TestEnv = {}): Config {
  return loadConfig(testEnv(env), ROOT);
}

/** The variables a child process needs to run node and find its tools, none of the app's own settings. */
const SYSTEM_VARS = /^(PATH|HOME|USER|LOGNAME|SHELL|TMPDIR|TMP|TEMP|TZ|LANG|LANGUAGE|LC_[A-Z_]+|SYSTEMROOT)$/;

export function systemEnv(): TestEnv {
  const env: TestEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && SYSTEM_VARS.test(k)) env[k] = v;
  return env;
}

/**
 * Opening hours fixed relative to the moment the tests run, so that the result never depends on the time of day:
 * in a time zone where it is now between 12:00 and 13:00, agents work there every day 06:00-18:00 (open: for hours
 * either side of now) or 00:00-01:00 (closed now, open again in about 11 hours).
 */
export function hoursAroundNow(open: boolean): string {
  const offset = 12 - new Date().getUTCHours(); // local time = UTC + offset, from -11 to +12 hours
  // POSIX-style zone names: Etc/GMT-2 is two hours ahead of UTC.
  const timeZone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
  const days = [1, 2, 3, 4, 5, 6, 7];
  const hours = open ? { open: '06:00', close: '18:00' } : { open: '00:00', close: '01:00' };
  return JSON.stringify({ default: { timeZone, days, ...hours } });
}
