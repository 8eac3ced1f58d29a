/**
 * The widget's elements: the panel (header, status line, message log, typing line, input form) and the bubble that
 * opens it, in a shadow root; message bubbles, button groups and the queue line. Building only: behaviour is in
 * widget.ts.
 */
import type { UiStrings } from './strings';
import { FILE_CSS } from './fileStyles';
import { CSS } from './styles';
import { renderText } from './text';
import type { Message, Queue, Suggestion } from './types';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface Panel {
  panel: HTMLDivElement;
  /** The elements that show the widget's own words (relabelled when the conversation's language changes). */
  words: { h2: HTMLHeadingElement; intro: HTMLParagraphElement; label: HTMLLabelElement; send: HTMLButtonElement };
  close: HTMLButtonElement;
  status: HTMLDivElement;
  log: HTMLDivElement;
  typing: HTMLDivElement;
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
}

export interface WidgetDom extends Panel {
  root: HTMLDivElement;
  bubble: HTMLButtonElement;
  badge: HTMLSpanElement;
}

function buildPanel(t: UiStrings, title: string | undefined): Panel {
  const panel = el('div', 'panel');
  panel.id = 'savbot-panel';
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-labelledby', 'savbot-title');
  const header = el('header');
  const h2 = el('h2', undefined, title || t.title);
  h2.id = 'savbot-title';
  const close = el('button', 'close', '×');
  close.type = 'button';
  close.setAttribute('aria-label', t.close);
  header.append(h2, close);
  const status = el('div', 'status');
  status.setAttribute('role', 'status');
  const log = el('div', 'log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-label', title || t.title);
  log.tabIndex = 0;
  const intro = el('p', 'intro', t.intro);
  log.append(intro);
  const typing = el('div', 'typing');
  typing.setAttribute('aria-live', 'polite');
  const form = el('form');
  const label = el('label', 'sr', t.inputLabel);
  label.htmlFor = 'savbot-input';
  const input = el('textarea');
  input.id = 'savbot-input';
  input.rows = 1;
  input.maxLength = 2000;
  input.placeholder = t.placeholder;
  input.autocomplete = 'off';
  const send = el('button', 'send', t.send);
  send.type = 'submit';
  form.append(label, input, send);
  panel.append(header, status, log, typing, form);
  return { panel, words: { h2, intro, label, send }, close, status, log, typing, form, input };
}

function buildBubble(t: UiStrings): { bubble: HTMLButtonElement; badge: HTMLSpanElement } {
  const bubble = el('button', 'bubble');
  bubble.type = 'button';
  bubble.setAttribute('aria-label', t.open);
  bubble.setAttribute('aria-expanded', 'false');
  bubble.setAttribute('aria-controls', 'savbot-panel');
  const NS = 'http://www.w3.org/2000/svg';
  const icon = document.createElementNS(NS, 'svg');
  icon.setAttribute('viewBox', '0 0 24 24');
  icon.setAttribute('aria-hidden', 'true');
  icon.setAttribute('focusable', 'false');
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
  icon.append(path);
  bubble.append(icon);
  const badge = el('span', 'badge');
  badge.hidden = true;
  badge.setAttribute('aria-hidden', 'true');
  bubble.append(badge);
  return { bubble, badge };
}

/** The whole widget, added to the page in its own shadow root (the page's styles do not reach it). */
export function buildWidget(t: UiStrings, lang: string, title: string | undefined): WidgetDom {
  const host = el('div');
  host.id = 'savbot-widget';
  const shadow = host.attachShadow({ mode: 'open' });
  const root = el('div', 'root');
  root.lang = lang;
  const panel = buildPanel(t, title);
  const bubble = buildBubble(t);
  root.append(panel.panel, bubble.bubble);
  // A constructed style sheet is not inline CSS: pages with a strict Content-Security-Policy (ours, shops') allow it.
  if (
    'adoptedStyleSheets' in shadow &&
    typeof CSSStyleSheet === 'function' &&
    'replaceSync' in CSSStyleSheet.prototype
  ) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS + FILE_CSS);
    shadow.adoptedStyleSheets = [sheet];
    shadow.append(root);
  } else {
    const style = el('style');
    style.textContent = CSS + FILE_CSS;
    shadow.append(style, root);
  }
  document.body.append(host);
  return { ...panel, ...bubble, root };
}

/** The widget's own words in another language (the conversation switched): labels, placeholder, who wrote what. */
export function relabel(dom: WidgetDom, t: UiStrings, lang: string, title: string | undefined): void {
  dom.root.lang = lang;
  dom.words.h2.textContent = title || t.title;
  dom.words.intro.textContent = t.intro;
  dom.words.label.textContent = t.inputLabel;
  dom.words.send.textContent = t.send;
  dom.input.placeholder = t.placeholder;
  dom.close.setAttribute('aria-label', t.close);
  dom.log.setAttribute('aria-label', title || t.title);
  for (const who of dom.log.querySelectorAll<HTMLElement>('.msg:not(.agent) .who'))
    who.textContent = who.closest<HTMLElement>('.msg')!.dataset.from === 'customer' ? t.you : t.assistant;
  for (const row of dom.log.querySelectorAll<HTMLElement>('.feedback')) relabelFeedback(row, t);
}

/** One message: its text (links made safe by renderText), who wrote it and when. */
export function messageNode(m: Omit<Message, 'id'> & { id?: number }, t: UiStrings, lang: string): HTMLDivElement {
  const node = el('div', `msg ${m.from}`);
  node.dataset.from = m.from;
  node.dataset.text = m.text;
  if (m.id !== undefined) node.dataset.id = String(m.id);
  const who = m.from === 'customer' ? t.you : m.from === 'agent' ? m.source?.id || t.agent : t.assistant;
  const body = el('div', 'body');
  renderText(body, m.text);
  const meta = el('div', 'meta');
  const time = el('time');
  const at = new Date(m.at);
  time.dateTime = m.at;
  time.textContent = Number.isNaN(at.getTime())
    ? ''
    : at.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
  meta.append(el('span', 'who', who), ' · ', time);
  node.append(body, meta);
  return node;
}

/** A message's buttons, as a labelled group. */
export function buttonGroup(suggestions: Suggestion[], t: UiStrings, onClick: (s: Suggestion) => void): HTMLElement {
  const box = el('div', 'suggestions');
  box.setAttribute('role', 'group');
  box.setAttribute('aria-label', t.suggestions);
  for (const s of suggestions) {
    const b = el('button', undefined, s.label);
    b.type = 'button';
    b.addEventListener('click', () => onClick(s));
    box.append(b);
  }
  return box;
}

/** "Was this helpful? 👍 👎" under an answer; `onVote` gets the button clicked. */
export function feedbackRow(t: UiStrings, onVote: (vote: 'up' | 'down') => void): HTMLElement {
  const row = el('div', 'feedback');
  row.setAttribute('role', 'group');
  row.append(el('span', undefined, t.helpful));
  for (const [vote, icon] of [
    ['up', '👍'],
    ['down', '👎'],
  ] as const) {
    const b = el('button', undefined, icon);
    b.type = 'button';
    b.dataset.vote = vote;
    b.addEventListener('click', () => onVote(vote));
    row.append(b);
  }
  relabelFeedback(row, t);
  return row;
}

function relabelFeedback(row: HTMLElement, t: UiStrings): void {
  row.setAttribute('aria-label', t.helpful);
  row.querySelector('span')!.textContent = t.helpful;
  for (const b of row.querySelectorAll<HTMLElement>('button'))
    b.setAttribute('aria-label', b.dataset.vote === 'up' ? t.helpfulYes : t.helpfulNo);
}

/** The status line for a queue update: place and wait, agents closed, or who is answering. */
/** `node` before the first message with a higher id (a node without one, being sent, goes last). */
export function insertInOrder(log: HTMLElement, node: HTMLElement): void {
  const id = Number(node.dataset.id ?? Infinity);
  let before: Element | null = null;
  for (const other of log.querySelectorAll<HTMLElement>('.msg')) {
    if (Number(other.dataset.id ?? Infinity) > id) {
      before = other;
      break;
    }
  }
  log.insertBefore(node, before);
}

export function queueText(q: Queue, t: UiStrings): string {
  if (q.status === 'queued' && q.open === false) return t.queuedClosed(q.position ?? 1);
  if (q.status === 'queued')
    return t.queued(
      q.position ?? 1,
      q.estimatedWaitMs === undefined ? undefined : Math.max(1, Math.round(q.estimatedWaitMs / 60_000)),
    );
  if (q.status === 'active' && q.agentName) return t.withAgent(q.agentName);
  return '';
}

/** The bubble's unread badge and its accessible name. */
export function showUnread(dom: WidgetDom, t: UiStrings, unread: number): void {
  dom.badge.hidden = unread === 0;
  dom.badge.textContent = String(unread);
  dom.bubble.setAttribute('aria-label', unread ? `${t.open} (${t.unread(unread)})` : t.open);
}

/** The panel's controls: the bubble opens and closes, Escape closes, Enter sends (Shift+Enter makes a new line). */
export function wire(dom: WidgetDom, on: { toggle(): void; close(): void; submit(): void }): void {
  dom.close.addEventListener('click', () => on.close());
  dom.bubble.addEventListener('click', () => on.toggle());
  dom.form.addEventListener('submit', (e) => {
    e.preventDefault();
    on.submit();
  });
  dom.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      on.submit();
    }
  });
  dom.panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      on.close();
    }
  });
}
