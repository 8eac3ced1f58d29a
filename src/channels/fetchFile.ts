import { tooLarge } from '../attachments/service';
import { AppError } from '../domain/errors';

export interface FetchFileOptions {
  /** At most this many bytes are read (ATTACHMENT_MAX_BYTES): more is a 413, the rest is not downloaded. */
  maxBytes: number;
  timeoutMs: number;
  /** Extra request headers (a channel's token, where its file host requires one). */
  headers?: Record<string, string>;
  /** Whether the URL's host may be fetched (a channel's own hosts); default any. */
  allowHost?: (host: string) => boolean;
}

const refused = (message: string) => new AppError('ATTACHMENT_FETCH_FAILED', message, 400);

/**
 * A file another system gives by URL (an agent's file, a Teams attachment's contentUrl): http(s) only, no redirect
 * followed (a redirect could lead anywhere), within a time limit and a size cap checked while reading. The bytes
 * then go through AttachmentService.accept like any upload.
 */
export async function fetchFile(
  url: string,
  o: FetchFileOptions,
): Promise<{ bytes: Buffer; contentType?: string; name?: string }> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw refused(`file URL "${url.slice(0, 200)}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw refused(`file URL "${url.slice(0, 200)}" is not http(s)`);
  if (o.allowHost && !o.allowHost(u.hostname)) throw refused(`file host "${u.hostname}" is not allowed`);
  let res: Response;
  try {
    res = await fetch(u, { redirect: 'manual', headers: o.headers ?? {}, signal: AbortSignal.timeout(o.timeoutMs) });
  } catch (e) {
    throw refused(`file URL "${u.origin}${u.pathname.slice(0, 100)}" could not be fetched: ${(e as Error).message}`);
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw refused(`file URL answered a redirect (${res.status}): redirects are not followed`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw refused(`file URL answered ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > o.maxBytes) {
    await res.body?.cancel();
    throw tooLarge('the file', o.maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > o.maxBytes) throw tooLarge('the file', o.maxBytes);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  const type = res.headers.get('content-type') ?? undefined;
  const last = u.pathname.split('/').pop() ?? '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // A malformed escape: the name as written.
  }
  return { bytes: Buffer.concat(chunks), ...(type ? { contentType: type } : {}), ...(name ? { name } : {}) };
}
