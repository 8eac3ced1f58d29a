import { impossibleDate } from '../connectors/types';
import type { Lang } from '../domain/types';
import type { DialogState } from '../domain/conversation';
import type { Condition } from './schema';
import { addToDate } from './slots';

type Records = Record<string, Record<string, string>>;

/** A slot ("reason") or a looked-up record's field ("order.status"). */
function lookupName(name: string, s: DialogState): string | undefined {
  const [head, field] = name.split('.');
  if (field === undefined) return s.slots[head!];
  return (s.records as Records | undefined)?.[head!]?.[field];
}

/** Does a `when` condition hold for the slots and records collected so far (`today` as YYYY-MM-DD)? */
export function holds(cond: Condition, s: DialogState, today: string): boolean {
  const resolveDate = (ref: string): string => {
    if (ref === 'today') return today;
    const m = /^([+-]\d+)([dmy])$/.exec(ref);
    if (!m) return ref;
    const n = Number(m[1]);
    if (m[2] === 'd') return addToDate(today, n);
    const d = new Date(`${today}T00:00:00Z`);
    if (m[2] === 'm') d.setUTCMonth(d.getUTCMonth() + n);
    else d.setUTCFullYear(d.getUTCFullYear() + n);
    return d.toISOString().slice(0, 10);
  };
  return Object.entries(cond).every(([name, expected]) => {
    const value = lookupName(name, s);
    if (typeof expected === 'string') return value !== undefined && value.toLowerCase() === expected.toLowerCase();
    if (Array.isArray(expected))
      return value !== undefined && expected.some((e) => e.toLowerCase() === value.toLowerCase());
    if ('empty' in expected) return (value === undefined || value === '') === expected.empty;
    if (value === undefined || !/^\d{4}-\d{2}-\d{2}/.test(value)) return false;
    const v = value.slice(0, 10);
    return 'before' in expected ? v < resolveDate(expected.before) : v > resolveDate(expected.after);
  });
}

/** A message template with its `{slot}`, `{record.field}` and `{record.field|date}` filled in. */
export function render(template: string, s: DialogState, lang: Lang): string {
  return template.replace(
    /\{([a-zA-Z][a-zA-Z0-9_]*)(?:\.([a-zA-Z][a-zA-Z0-9_]*))?(?:\|([a-z]+))?\}/g,
    (_all, head: string, field?: string, filter?: string) => {
      const v = lookupName(field ? `${head}.${field}` : head, s) ?? '';
      if (filter === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !impossibleDate(v)) {
        const locale = lang === 'en' ? 'en-GB' : lang === 'ro' ? 'ro-RO' : 'fr-FR';
        return new Intl.DateTimeFormat(locale, {
          day: 'numeric',
          month: 'long',
          year: 'numeric',
          timeZone: 'UTC',
        }).format(new Date(`${v}T00:00:00Z`));
      }
      return v;
    },
  );
}
