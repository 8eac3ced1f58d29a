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

export class ConnectorError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }
}
