/**
 * The website chat widget: one <script src=".../widget.js" data-lang="fr"> adds a chat bubble and panel.
 * Talks to the widget HTTP API of the server the script came from (or data-api). Every message, buttons included, is
 * rendered from the stored transcript (ids from GET .../messages and the event stream), so a reconnect or a reload
 * shows each message exactly once and the buttons of the latest one.
 */
import { Composer } from './attachments';
import { FileView } from './attachView';
import { boot } from './boot';
import {
  buildWidget,
  buttonGroup,
  feedbackRow,
  insertInOrder,
  messageNode,
  queueText,
  relabel,
  showUnread,
  wire,
  type WidgetDom,
} from './dom';
import { startingConversation } from './resume';
import { dropSaved, keepSaved } from './saved';
import { STRINGS, type UiLang, type UiStrings } from './strings';
import type { Body, Conversation, Message, Queue, Suggestion } from './types';

/** The server asked us to slow down (429 RATE_LIMITED). */
class SlowDown extends Error {}

class Widget {
  /** The widget's own words: the page's language first, then the conversation's (the bot's replies carry it). */
  private t: UiStrings;
  private lang: UiLang;
  private readonly dom: WidgetDom;
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
  private readonly panel: HTMLDivElement;
  private readonly log: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private readonly typing: HTMLDivElement;
  private readonly input: HTMLTextAreaElement;
  /** Files: the one about to be sent (attachments.ts) and those in the conversation (attachView.ts). */
  private readonly files: Composer;
  private readonly view: FileView;

  constructor(
    private readonly api: string,
    lang: UiLang,
    private readonly title: string | undefined,
    maxFileBytes = 10_485_760,
  ) {
    this.lang = lang;
    this.t = STRINGS[lang];
    this.storageKey = `savbot:${api}`;
    const dom = buildWidget(this.t, lang, title);
    this.dom = dom;
    this.panel = dom.panel;
    this.status = dom.status;
    this.log = dom.log;
    this.typing = dom.typing;
    this.input = dom.input;
    this.bubble = dom.bubble;
    const files = { api, lang, maxBytes: maxFileBytes };
    this.view = new FileView({ ...files, conv: () => this.conv }, this.panel);
    const conversation = () => this.conversation();
    this.files = new Composer(
      { ...files, conversation, forget: () => this.forget(), uploaded: () => this.sync() },
      dom,
    );
    wire(dom, {
      toggle: () => (this.panel.hidden ? this.open() : this.close()),
      close: () => this.close(),
      submit: () => this.submit(),
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
    // A first opening starts the conversation: the greeting and its starter buttons are there at once.
    if (!this.conv)
      void this.conversation().then(
        () => this.sync(),
        () => this.setNotice(this.t.sendFailed),
      );
  }

  close(): void {
    this.panel.hidden = true;
    this.bubble.setAttribute('aria-expanded', 'false');
    this.bubble.focus();
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (this.files.pending) {
      // The file goes with the text typed, as one message; the text comes back if the file is refused.
      this.input.value = '';
      void this.files.send(text).then((sent) => !sent && !this.input.value && (this.input.value = text));
      return;
    }
    if (!text) return;
    this.input.value = '';
    void this.send({ text });
  }

  /** A mail's link opens its conversation (on any device), else the one kept from an earlier page comes back. */
  private restore(): void {
    void startingConversation(this.api, this.storageKey).then(({ saved, link }) => {
      if (link === 'failed') this.say(this.t.linkFailed);
      if (saved) {
        this.conv = saved;
        this.restoring = true;
        void this.sync().then((ok) => {
          this.restoring = false;
          if (ok) this.connect();
        });
      }
      if (link) this.open();
    });
  }

  private async conversation(): Promise<Conversation> {
    if (this.conv) return this.conv;
    this.creating ??= (async () => {
      const res = await fetch(`${this.api}/api/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lang: this.lang, welcome: true }),
      });
      if (res.status === 429) throw new SlowDown();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const c = (await res.json()) as Conversation;
      this.conv = c;
      keepSaved(this.storageKey, c);
      this.connect();
      return c;
    })().finally(() => (this.creating = undefined));
    return this.creating;
  }

  private headers(c: Conversation): Record<string, string> {
    return { 'content-type': 'application/json', authorization: `Bearer ${c.token}` };
  }

  async send(body: Body): Promise<void> {
    for (const failed of this.log.querySelectorAll('.msg.failed, .msg.limited')) failed.remove();
    if (this.notice === this.t.sendFailed) this.setNotice('');
    const pending = this.bubbleFor({ from: 'customer', text: body.text, at: new Date().toISOString() });
    pending.classList.add('pending');
    this.append(pending);
    this.showButtons();
    try {
      let res = await this.post(body);
      // The conversation is gone (its token expired after a long pause, or the server's data was reset): the
      // message goes to a new conversation.
      if (res.status === 401) {
        this.forget();
        res = await this.post(body);
      }
      if (res.status === 429) throw new SlowDown();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      // The replies (and their buttons) are shown from the transcript. The stream usually brought the messages already; this covers a stream that is down.
      await this.sync();
    } catch (e) {
      pending.classList.replace('pending', 'failed');
      this.showButtons();
      if (e instanceof SlowDown) this.say(this.t.slowDown);
      else this.setNotice(this.t.sendFailed);
      if (!this.input.value && 'text' in body && !('action' in body)) this.input.value = body.text;
    }
  }

  /** Said in the conversation, where the visitor is looking (not stored: the next send removes it). */
  private say(text: string): void {
    const note = this.bubbleFor({ from: 'bot', text, at: new Date().toISOString() });
    note.classList.add('limited');
    this.append(note);
  }

  private async post(body: Body): Promise<Response> {
    const c = await this.conversation();
    return fetch(`${this.api}/api/conversations/${encodeURIComponent(c.conversationId)}/messages`, {
      method: 'POST',
      headers: this.headers(c),
      body: JSON.stringify(body),
    });
  }

  /** Messages after the last one shown, from GET .../messages. False if the conversation is gone. */
  private async sync(): Promise<boolean> {
    const c = this.conv;
    if (!c) return false;
    try {
      // The transcript comes a page at a time: ask for the next one while the server says there is more.
      for (let more = true; more;) {
        const res = await fetch(
          `${this.api}/api/conversations/${encodeURIComponent(c.conversationId)}/messages?after=${this.lastId}`,
          { headers: this.headers(c) },
        );
        if (res.status === 401 || res.status === 404) {
          this.forget();
          return false;
        }
        if (!res.ok) return true;
        const page = (await res.json()) as { messages: Message[]; hasMore?: boolean };
        for (const m of page.messages) this.receive(m);
        more = page.hasMore === true && page.messages.length > 0;
      }
    } catch {
      /* offline: the stream catches up when it reconnects */
    }
    return true;
  }

  /** The conversation is gone (token expired, or taken over by a mail's link on another device): off the screen too. */
  private forget(): void {
    this.conv = undefined;
    this.stream?.close();
    this.stream = undefined;
    dropSaved(this.storageKey);
    for (const m of this.log.querySelectorAll('.msg[data-id]')) m.remove();
    this.seen.clear();
    this.lastId = 0;
    this.latest = undefined;
    this.onQueue({ status: 'bot' });
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
    if (m.lang && m.lang !== this.lang && m.lang in STRINGS) this.speak(m.lang);
    const node = this.bubbleFor(m);
    if (m.feedback && m.source?.id) node.append(this.feedback(m.source.id));
    // A vote was given: the question is no longer asked under the earlier answers.
    if (m.from === 'customer' && m.action?.startsWith('feedback:'))
      for (const row of this.log.querySelectorAll('.feedback')) row.remove();
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
    const node = messageNode(m, this.t, this.lang);
    if (m.attachments?.length) this.view.show(node, m.attachments);
    return node;
  }

  /** In id order (the stream and GET may interleave); messages still being sent stay last. */
  private append(node: HTMLElement): void {
    insertInOrder(this.log, node);
    this.scroll();
  }

  private buttons(node: HTMLElement, suggestions: Suggestion[]): void {
    node.append(
      buttonGroup(suggestions, this.t, (s) => {
        void this.send({ action: s.value, text: s.label });
        this.input.focus();
      }),
    );
    this.scroll();
  }

  /** The conversation's language changed: the widget's own words follow it. */
  private speak(lang: UiLang): void {
    this.lang = lang;
    this.t = STRINGS[lang];
    relabel(this.dom, this.t, lang, this.title);
    this.files.relabel(lang);
    this.view.relabel(lang);
    this.showUnread();
  }

  /** "Was this helpful? 👍 👎" under an answer from entry `entryId`; a vote is a button click like any other. */
  private feedback(entryId: string): HTMLElement {
    return feedbackRow(this.t, (vote) => {
      void this.send({ action: `feedback:${vote}:${entryId}`, text: vote === 'up' ? '👍' : '👎' });
      this.input.focus();
    });
  }

  private onQueue(q: Queue): void {
    this.queueLine = queueText(q, this.t);
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
    // The status line takes room from the log: a log read to its end stays at its end (the queue's Cancel button).
    const atEnd = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 24;
    this.status.textContent = this.notice || this.queueLine;
    if (atEnd) this.scroll();
  }

  private showUnread(): void {
    showUnread(this.dom, this.t, this.unread);
  }

  private scroll(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }
}

// The page's snippet: one widget per page, started once the body exists.
boot((api, lang, title, maxFileBytes) => new Widget(api, lang, title, maxFileBytes));
