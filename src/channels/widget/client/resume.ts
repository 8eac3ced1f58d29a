/**
 * The link of a mail back to a conversation (`?conversation=<id>&expires=<unix s>&sig=<hmac>`): read once at boot,
 * taken off the address bar, traded for a token (POST .../resume), so the conversation continues on any device.
 */
import { keepSaved, loadSaved } from './saved';
import type { Conversation } from './types';

export interface ResumeLink {
  id: string;
  expires: string;
  sig: string;
}

const PARAMS = ['conversation', 'expires', 'sig'];

/** The link's parameters, removed from the page's address (not left in its history, a bookmark or a shared URL). */
export function takeResumeLink(): ResumeLink | undefined {
  const url = new URL(location.href);
  const q = url.searchParams;
  const [id, expires, sig] = PARAMS.map((k) => q.get(k));
  if (!id || !expires || !sig) return undefined;
  for (const k of PARAMS) q.delete(k);
  const rest = q.toString();
  history.replaceState(history.state, '', `${url.pathname}${rest ? `?${rest}` : ''}${url.hash}`);
  return { id, expires, sig };
}

/** The conversation and its new token; undefined when refused (expired, tampered, unknown) or unreachable. */
export async function resume(api: string, link: ResumeLink): Promise<Conversation | undefined> {
  try {
    const res = await fetch(`${api}/api/conversations/${encodeURIComponent(link.id)}/resume`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ expires: link.expires, sig: link.sig }),
    });
    if (!res.ok) return undefined;
    const c = (await res.json()) as Partial<Conversation>;
    return c.conversationId && c.token ? { conversationId: c.conversationId, token: c.token } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The conversation to continue at boot: a mail link's (then kept, replacing the saved one), else the one kept from an
 * earlier page. `link`: whether the page came from a mail's link, and whether it worked.
 */
export async function startingConversation(
  api: string,
  storageKey: string,
): Promise<{ saved?: Conversation; link?: 'ok' | 'failed' }> {
  const link = takeResumeLink();
  const resumed = link && (await resume(api, link));
  if (resumed) keepSaved(storageKey, resumed);
  const saved = resumed || loadSaved(storageKey);
  return {
    ...(saved?.conversationId && saved.token ? { saved } : {}),
    ...(link ? { link: resumed ? 'ok' : 'failed' } : {}),
  };
}
