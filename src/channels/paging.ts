import { AppError } from '../domain/errors';
import type { MessageRecord } from '../domain/conversation';
import type { PageQuery } from '../storage/ports';
import { limitParam } from '../server/query';

/** Messages per page when the client does not say, and the most a client may ask for. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 500;

/** A client's page request: `after` pages forward (the default, from the start), `before` alone pages backward. */
export interface PageRequest {
  after?: number;
  before?: number;
  limit: number;
}

/** What a client needs besides the messages: whether there are more, and the parameters of the next page. */
export interface PageInfo {
  hasMore: boolean;
  next: { after: number; before?: number } | { before: number } | null;
}

function idParam(query: Record<string, unknown>, name: 'after' | 'before', min: number): number | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min))
    throw new AppError(
      'INVALID_QUERY',
      `${name} must be a message id (an integer >= ${min}), not "${String(raw).slice(0, 40)}"`,
      400,
    );
  return n;
}

/** `limit`, `after` and `before` of a query string; a bad value is a 400 naming the parameter. */
export function pageRequest(query: Record<string, unknown>, defaultLimit = DEFAULT_PAGE_LIMIT): PageRequest {
  const limit = limitParam(query.limit, Math.min(defaultLimit, MAX_PAGE_LIMIT), MAX_PAGE_LIMIT);
  const after = idParam(query, 'after', 0);
  const before = idParam(query, 'before', 1);
  return { limit, ...(after !== undefined ? { after } : {}), ...(before !== undefined ? { before } : {}) };
}

/**
 * Read one page (one more message than asked, to know whether there are more) and say how to get the next one:
 * forward pages continue after the last message, backward pages (before alone) before the first.
 */
export async function readPage(
  read: (q: PageQuery) => Promise<MessageRecord[]>,
  p: PageRequest,
): Promise<{ messages: MessageRecord[] } & PageInfo> {
  const backward = p.before !== undefined && p.after === undefined;
  const got = await read({ ...p, limit: p.limit + 1, newest: backward });
  const hasMore = got.length > p.limit;
  const messages = hasMore ? (backward ? got.slice(1) : got.slice(0, p.limit)) : got;
  let next: PageInfo['next'] = null;
  if (hasMore && messages.length)
    next = backward
      ? { before: messages[0]!.id }
      : { after: messages[messages.length - 1]!.id, ...(p.before !== undefined ? { before: p.before } : {}) };
  return { messages, hasMore, next };
}
