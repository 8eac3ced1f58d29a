/**
 * Back-office lookups used by dialogs (repair files, orders, purchases). A connector returns a flat record of
 * strings for a key, or null when nothing has that key; it throws ConnectorError when the back office cannot
 * answer (timeout, network, garbage), which the dialog turns into an apology and an offer of a person.
 */
export type LookupKind = 'repair' | 'order' | 'purchase';

export type LookupRecord = Record<string, string>;

export interface Connector {
  lookup(kind: LookupKind, key: string): Promise<LookupRecord | null>;
}

/** A string that looks like a date (YYYY-MM-DD, maybe with a time) must be one: 2026-13-45 is garbage. */
const DATE_LIKE = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/;
export function impossibleDate(v: string): boolean {
  const m = DATE_LIKE.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d;
}

export class ConnectorError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}
