/**
 * The website chat widget: one <script src=".../widget.js" data-lang="fr"> adds a chat bubble and panel.
 * Talks to the widget HTTP API of the server the script came from (or data-api). Every message, buttons included, is
 * rendered from the stored transcript (ids from GET .../messages and the event stream), so a reconnect or a reload
 * shows each message exactly once and the buttons of the latest one.
 */
import { STRINGS, pickLang, type UiStrings } from './strings';
import { CSS } from './styles';
import { renderText } from './text';

interface Suggestion {
  label: string;
  value: string;
}
interface Source {
  kind: string;
  id?: string;
}
interface Message {
  id: number;
  at: string;
  from: 'customer' | 'bot' | 'agent';
  text: string;
  action?: string;
  source?: Source;
  suggestions?: Suggestion[];
}
interface Queue {
  status: 'bot' | 'queued' | 'active';
  position?: number;
  estimatedWaitMs?: number;
  open?: boolean;
  agentName?: string;
}
interface Conversation {
  conversationId: string;
  token: string;
}
type Body = { text: string } | { action: string; text: string };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

class Widget {
  private readonly t: UiStrings;
  private readonly storageKey: string;
  private conv: Conversation | undefined;
  private stream: EventSource | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retries = 0;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly seen = new Set<number>();
  private lastId = 0;
  private unread = 0;
  /** The stored message with the highest id, whose buttons (if any) are the ones on offer. */
  private latest: { node: HTMLElement; suggestions?: Suggestion[] } | undefined;
  private creating: Promise<Conversation> | undefined;
  /** While the history of an earlier page loads: those messages are not "new". */
  private restoring = false;
  /** The status line: a notice (connection lost, message not sent) over the queue line. */
  private queueLine = '';
  private notice = '';

  private readonly bubble: HTMLButtonElement;
  private readonly badge: HTMLSpanElement;
  private readonly panel: HTMLDivElement;
  private readonly log: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private readonly typing: HTMLDivElement;
  private readonly input: HTMLTextAreaElement;

  constructor(
    private readonly api: string,
    private readonly lang: 'fr' | 'ro' | 'en',
    title: string | undefined,
  ) {
    this.t = STRINGS[lang];
    this.storageKey = `savbot:${api}`;
    const host = el('div');
    host.id = 'savbot-widget';
    const shadow = host.attachShadow({ mode: 'open' });
    const style = el('style');
    style.textContent = CSS;
    const root = el('div', 'root');
    root.lang = lang;

    this.panel = el('div', 'panel');
    this.panel.id = 'savbot-panel';
    this.panel.hidden = true;
    this.panel.setAttribute('role', 'dialog');
    this.panel.setAttribute('aria-labelledby', 'savbot-title');
    const header = el('header');
    const h2 = el('h2', undefined, title || this.t.title);
    h2.id = 'savbot-title';
    const close = el('button', 'close', '×');
    close.type = 'button';
    close.setAttribute('aria-label', this.t.close);
    close.addEventListener('click', () => this.close());
    header.append(h2, close);
    this.status = el('div', 'status');
    this.status.setAttribute('role', 'status');
    this.log = el('div', 'log');
    this.log.setAttribute('role', 'log');
    this.log.setAttribute('aria-live', 'polite');
    this.log.setAttribute('aria-label', title || this.t.title);
    this.log.tabIndex = 0;
    this.log.append(el('p', 'intro', this.t.intro));
    this.typing = el('div', 'typing');
    this.typing.setAttribute('aria-live', 'polite');
    const form = el('form');
    const label = el('label', 'sr', this.t.inputLabel);
    label.htmlFor = 'savbot-input';
    this.input = el('textarea');
    this.input.id = 'savbot-input';
    this.input.rows = 1;
    this.input.maxLength = 2000;
    this.input.placeholder = this.t.placeholder;
    this.input.autocomplete = 'off';
    const send = el('button', 'send', this.t.send);
    send.type = 'submit';
    form.append(label, this.input, send);
    this.panel.append(header, this.status, this.log, this.typing, form);

    this.bubble = el('button', 'bubble');
    this.bubble.type = 'button';
    this.bubble.setAttribute('aria-label', this.t.open);
    this.bubble.setAttribute('aria-expanded', 'false');
    this.bubble.setAttribute('aria-controls', 'savbot-panel');
    const NS = 'http://www.w3.org/2000/svg';
    const icon = document.createElementNS(NS, 'svg');
    icon.setAttribute('viewBox', '0 0 24 24');
    icon.setAttribute('aria-hidden', 'true');
    icon.setAttribute('focusable', 'false');
    const path = document.createElementNS(NS, 'path');
    path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
    icon.append(path);
    this.bubble.append(icon);
    this.badge = el('span', 'badge');
    this.badge.hidden = true;
    this.badge.setAttribute('aria-hidden', 'true');
    this.bubble.append(this.badge);
    this.bubble.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close()));

    root.append(this.panel, this.bubble);
    shadow.append(style, root);
    document.body.append(host);

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    // Enter sends, Shift+Enter makes a new line.
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.close();
      }
    });
    window.addEventListener('online', () => {
      if (this.conv && (!this.stream || this.stream.readyState === EventSource.CLOSED)) this.connect();
    });
    this.restore();
  }

  open(): void {
    this.panel.hidden = false;
    this.bubble.setAttribute('aria-expanded', 'true');
    this.unread = 0;
    this.showUnread();
    this.scroll();
    this.input.focus();
  }

  close(): void {
    this.panel.hidden = true;
    this.bubble.setAttribute('aria-expanded', 'false');
    this.bubble.focus();
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = '';
    void this.send({ text });
  }

  /** A conversation kept from an earlier page: reload its history and listen again. */
  private restore(): void {
    let saved: Conversation | undefined;
    try {
      const raw = localStorage.getItem(this.storageKey);
      if (raw) saved = JSON.parse(raw) as Conversation;
    } catch {
      /* storage disabled or unreadable: start afresh */
    }
    if (!saved?.conversationId || !saved.token) return;
    this.conv = saved;
    this.restoring = true;
    void this.sync().then((ok) => {
      this.restoring = false;
      if (ok) this.connect();
    });
  }

  private async conversation(): Promise<Conversation> {
    if (this.conv) return this.conv;
    this.creating ??= (async () => {
      const res = await fetch(`${this.api}/api/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lang: this.lang }),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const c = (await res.json()) as Conversation;
      this.conv = c;
      try {
        localStorage.setItem(this.storageKey, JSON.stringify(c));
      } catch {
        /* the conversation just does not survive a reload */
      }
      this.connect();
      return c;
    })().finally(() => (this.creating = undefined));
    return this.creating;
  }

  private headers(c: Conversation): Record<string, string> {
    return { 'content-type': 'application/json', authorization: `Bearer ${c.token}` };
  }

  async send(body: Body): Promise<void> {
    for (const failed of this.log.querySelectorAll('.msg.failed')) failed.remove();
    if (this.notice === this.t.sendFailed) this.setNotice('');
    const pending = this.bubbleFor({ from: 'customer', text: body.text, at: new Date().toISOString() });
    pending.classList.add('pending');
    this.append(pending);
    this.showButtons();
    try {
      const c = await this.conversation();
      const res = await fetch(`${this.api}/api/conversations/${encodeURIComponent(c.conversationId)}/messages`, {
        method: 'POST',
        headers: this.headers(c),
        body: JSON.stringify(body),
      });
      // The conversation is gone (e.g. the server's data was reset): the next message starts a new one.
      if (res.status === 401) this.forget();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      // The replies (and their buttons) are shown from the transcript. The stream usually brought the messages already; this covers a stream that is down.
      await this.sync();
    } catch {
      pending.classList.replace('pending', 'failed');
      this.showButtons();
      this.setNotice(this.t.sendFailed);
      if (!this.input.value && 'text' in body && !('action' in body)) this.input.value = body.text;
    }
  }

  /** Messages after the last one shown, from GET .../messages. False if the conversation is gone. */
  private async sync(): Promise<boolean> {
    const c = this.conv;
    if (!c) return false;
    try {
      const res = await fetch(
        `${this.api}/api/conversations/${encodeURIComponent(c.conversationId)}/messages?after=${this.lastId}`,
        { headers: this.headers(c) },
      );
      if (res.status === 401 || res.status === 404) {
        this.forget();
        return false;
      }
      if (!res.ok) return true;
      const { messages } = (await res.json()) as { messages: Message[] };
      for (const m of messages) this.receive(m);
    } catch {
      /* offline: the stream catches up when it reconnects */
    }
    return true;
  }

  private forget(): void {
    this.conv = undefined;
    this.stream?.close();
    this.stream = undefined;
    try {
      localStorage.removeItem(this.storageKey);
    } catch {
      /* nothing kept */
    }
  }

  /** The event stream, resuming after the last message shown. EventSource retries by itself after a drop (with
   * Last-Event-ID); when it gives up (offline, server gone) we open a new one with a growing delay. */
  private connect(): void {
    const c = this.conv;
    if (!c) return;
    clearTimeout(this.retryTimer);
    this.stream?.close();
    const es = new EventSource(
      `${this.api}/api/conversations/${encodeURIComponent(c.conversationId)}/events?token=${encodeURIComponent(c.token)}&after=${this.lastId}`,
    );
    this.stream = es;
    es.addEventListener('open', () => {
      this.retries = 0;
      if (this.notice === this.t.reconnecting) this.setNotice('');
    });
    es.addEventListener('message', (e) => this.receive(JSON.parse((e as MessageEvent<string>).data) as Message));
    es.addEventListener('queue', (e) => this.onQueue(JSON.parse((e as MessageEvent<string>).data) as Queue));
    es.addEventListener('typing', (e) =>
      this.onTyping((JSON.parse((e as MessageEvent<string>).data) as { agent: { name: string } }).agent.name),
    );
    es.addEventListener('error', () => {
      if (this.stream !== es) return;
      this.setNotice(this.t.reconnecting);
      if (es.readyState === EventSource.CLOSED) {
        const delay = Math.min(15_000, 1000 * 2 ** this.retries++);
        this.retryTimer = setTimeout(() => void this.sync().then((ok) => ok && this.connect()), delay);
      }
    });
  }

  private receive(m: Message): void {
    if (this.seen.has(m.id)) return;
    this.seen.add(m.id);
    if (m.from === 'customer') {
      // The customer's own bubble, shown while sending, becomes the stored message (also one marked as failed
      // whose reply was lost although the server had stored it).
      for (const p of this.log.querySelectorAll<HTMLElement>('.msg.pending, .msg.failed')) {
        if (p.dataset.text === m.text) {
          p.remove();
          break;
        }
      }
    }
    if (m.from === 'agent') this.onTyping(undefined);
    const node = this.bubbleFor(m);
    this.append(node);
    if (m.id > this.lastId) {
      this.lastId = m.id;
      this.latest = { node, suggestions: m.suggestions };
    }
    this.showButtons();
    if (m.from !== 'customer' && this.panel.hidden && !this.restoring) {
      this.unread++;
      this.showUnread();
    }
  }

  /** Only the latest message's buttons are on offer (the engine takes those as clicks), and none while a message is
   * being sent: an older message's buttons would answer a question no longer asked. */
  private showButtons(): void {
    const l = this.latest;
    const on = l?.suggestions?.length && !this.log.querySelector('.msg.pending') ? l : undefined;
    for (const box of this.log.querySelectorAll('.suggestions')) if (box.parentElement !== on?.node) box.remove();
    if (on && !on.node.querySelector('.suggestions')) this.buttons(on.node, on.suggestions!);
  }

  private bubbleFor(m: Omit<Message, 'id'> & { id?: number }): HTMLDivElement {
    const node = el('div', `msg ${m.from}`);
    node.dataset.from = m.from;
    node.dataset.text = m.text;
    if (m.id !== undefined) node.dataset.id = String(m.id);
    const who =
      m.from === 'customer' ? this.t.you : m.from === 'agent' ? m.source?.id || this.t.agent : this.t.assistant;
    const body = el('div', 'body');
    renderText(body, m.text);
    const meta = el('div', 'meta');
    const time = el('time');
    const at = new Date(m.at);
    time.dateTime = m.at;
    time.textContent = Number.isNaN(at.getTime())
      ? ''
      : at.toLocaleTimeString(this.lang, { hour: '2-digit', minute: '2-digit' });
    meta.append(`${who} · `, time);
    node.append(body, meta);
    return node;
  }

  /** In id order (the stream and GET may interleave); messages still being sent stay last. */
  private append(node: HTMLElement): void {
    const id = Number(node.dataset.id ?? Infinity);
    let before: Element | null = null;
    for (const other of this.log.querySelectorAll<HTMLElement>('.msg')) {
      const oid = Number(other.dataset.id ?? Infinity);
      if (oid > id) {
        before = other;
        break;
      }
    }
    this.log.insertBefore(node, before);
    this.scroll();
  }

  private buttons(node: HTMLElement, suggestions: Suggestion[]): void {
    const box = el('div', 'suggestions');
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', this.t.suggestions);
    for (const s of suggestions) {
      const b = el('button', undefined, s.label);
      b.type = 'button';
      b.addEventListener('click', () => {
        void this.send({ action: s.value, text: s.label });
        this.input.focus();
      });
      box.append(b);
    }
    node.append(box);
    this.scroll();
  }

  private onQueue(q: Queue): void {
    if (q.status === 'queued' && q.open === false) this.queueLine = this.t.queuedClosed(q.position ?? 1);
    else if (q.status === 'queued')
      this.queueLine = this.t.queued(q.position ?? 1, Math.max(1, Math.round((q.estimatedWaitMs ?? 0) / 60_000)));
    else if (q.status === 'active' && q.agentName) this.queueLine = this.t.withAgent(q.agentName);
    else this.queueLine = '';
    this.showStatus();
  }

  private onTyping(name: string | undefined): void {
    clearTimeout(this.typingTimer);
    this.typing.textContent = name ? this.t.typing(name) : '';
    if (name) this.typingTimer = setTimeout(() => (this.typing.textContent = ''), 6000);
  }

  private setNotice(text: string): void {
    this.notice = text;
    this.showStatus();
  }

  private showStatus(): void {
    this.status.textContent = this.notice || this.queueLine;
  }

  private showUnread(): void {
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = String(this.unread);
    this.bubble.setAttribute(
      'aria-label',
      this.unread ? `${this.t.open} (${this.t.unread(this.unread)})` : this.t.open,
    );
  }

  private scroll(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }
}

(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  const w = window as unknown as { savbotWidget?: Widget };
  if (w.savbotWidget) return; // the snippet pasted twice
  const api = (
    script?.dataset.api || (script?.src ? new URL(script.src, location.href).origin : location.origin)
  ).replace(/\/+$/, '');
  const lang = pickLang(script?.dataset.lang, document.documentElement.lang);
  const start = () => (w.savbotWidget = new Widget(api, lang, script?.dataset.title));
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
