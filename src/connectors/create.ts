import { FileConnector } from './file';
import { HttpConnector } from './http';
import type { Connector } from './types';

/** BACKOFFICE_* as config/index.ts reads them. */
export interface BackOfficeSettings {
  file: string;
  url?: string;
  token?: string;
  timeoutMs: number;
  retries: number;
  maxBytes: number;
}

/** The back office the dialogs look records up in: a real one over HTTP, or the sample file (offline demo). */
export function createConnector(b: BackOfficeSettings): Connector {
  if (b.url)
    return new HttpConnector({
      baseUrl: b.url,
      ...(b.token ? { token: b.token } : {}),
      timeoutMs: b.timeoutMs,
      retries: b.retries,
      maxBytes: b.maxBytes,
    });
  return new FileConnector(b.file);
}
