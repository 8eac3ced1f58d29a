import { ConfigError } from '../domain/errors';

/** Settings of `npm run tune`, read and checked like the server's. */
export interface TuneSettings {
  /** MATCHER_OPTIONS: matcher options to tune the thresholds with (a JSON object, merged over the defaults). */
  matcherOptions?: Record<string, unknown>;
}

export function loadTuneSettings(env: NodeJS.ProcessEnv = process.env): TuneSettings {
  const raw = env.MATCHER_OPTIONS;
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(`invalid configuration:\n  MATCHER_OPTIONS is not JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(
      `invalid configuration:\n  MATCHER_OPTIONS must be a JSON object like {"fuzzy":1}, not ${JSON.stringify(value)}`,
    );
  return { matcherOptions: value as Record<string, unknown> };
}
