/**
 * Text from customers, the bot and agents goes into the page as text nodes only; http(s) URLs become links built
 * with createElement, so no string is ever parsed as HTML.
 */
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/** The URL if it is a well-formed http(s) URL, else undefined (javascript:, data:, malformed...). */
export function safeHref(candidate: string): string | undefined {
  try {
    const u = new URL(candidate);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

export function renderText(parent: HTMLElement, text: string): void {
  let at = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    // Sentence punctuation after a URL is not part of it.
    // (A loop: the regular expression /[.,;:!?)\]}]+$/ backtracks quadratically on a long run of them.)
    let end = url.length;
    while (end > 0 && '.,;:!?)]}'.includes(url[end - 1]!)) end--;
    url = url.slice(0, end);
    const start = m.index ?? 0;
    const href = safeHref(url);
    if (!href) continue;
    if (start > at) parent.appendChild(document.createTextNode(text.slice(at, start)));
    const a = document.createElement('a');
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.textContent = url;
    parent.appendChild(a);
    at = start + url.length;
  }
  if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
}
