import { z } from 'zod';

/**
 * A number setting: `def` when unset or empty, else a number in [min, max] (`whole`: an integer, for counts and
 * durations where a fraction would be a typo). The error names the variable and the value.
 */
export const numberSetting = (name: string, def: number, min: number, max: number, whole = false) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const n = Number(v);
      if (!(whole ? Number.isInteger(n) : Number.isFinite(n)) || n < min || n > max) {
        const what = whole ? 'a whole number' : 'a number';
        ctx.addIssue({ code: 'custom', message: `${name}="${v}" must be ${what} between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

/** A whole-number setting (see numberSetting). */
export const intSetting = (name: string, def: number, min: number, max: number) =>
  numberSetting(name, def, min, max, true);

/**
 * A list setting read by `parse` (which throws a message naming the bad item, never a secret): undefined when unset
 * or empty. The error names the variable.
 */
export const parsedSetting = <T>(name: string, parse: (v: string) => T) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      try {
        return parse(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `${name}: ${(e as Error).message}` });
        return z.NEVER;
      }
    });

/** The comma-separated items of a list setting, trimmed, empty ones left out. */
export const listItems = (v: string): string[] =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
