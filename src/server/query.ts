import { AppError } from '../domain/errors';

/** A `limit` query parameter: `def` when absent, else an integer from 1 to `max`; otherwise a 400 naming it. */
export function limitParam(raw: unknown, def: number, max: number): number {
  if (raw === undefined) return def;
  const n = typeof raw === 'string' && /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= max))
    throw new AppError(
      'INVALID_QUERY',
      `limit must be an integer between 1 and ${max}, not "${String(raw).slice(0, 40)}"`,
      400,
    );
  return n;
}
