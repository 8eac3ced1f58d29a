/**
 * The conversation kept across page loads (localStorage, per API origin). Storage may be disabled or full: the
 * widget then simply starts afresh on the next page.
 */
import type { Conversation } from './types';

export function loadSaved(key: string): Conversation | undefined {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Conversation) : undefined;
  } catch {
    return undefined; // storage disabled or unreadable: start afresh
  }
}

export function keepSaved(key: string, c: Conversation): void {
  try {
    localStorage.setItem(key, JSON.stringify(c));
  } catch {
    /* the conversation just does not survive a reload */
  }
}

export function dropSaved(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    /* nothing kept */
  }
}
