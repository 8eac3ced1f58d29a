// Rendering of the desk: every text goes through textContent (customers' words are never HTML).

export interface Item {
  conversationId: string;
  channel: string;
  queue: string;
  lang: string;
  reason: string;
  status: 'queued' | 'active';
  requestedAt: string;
  agentName?: string;
  preview?: string;
}

export interface Message {
  id: number;
  at: string;
  from: 'customer' | 'bot' | 'agent';
  text: string;
  source?: { kind: string; id?: string; confidence?: number };
  attachments?: { id: string; name: string; contentType: string; size: number; url?: string }[];
}

export interface Note {
  at: string;
  agent: string;
  text: string;
}

export const QUEUES = ['warranty', 'returns', 'delivery', 'repair', 'billing', 'general'];

/** An element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** "4 min", "1 h 05" since `iso`. */
export function waited(iso: string, now = Date.now()): string {
  const min = Math.max(0, Math.floor((now - Date.parse(iso)) / 60_000));
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')}`;
}

/** The list, one section per queue that has conversations. */
export function renderList(root: HTMLElement, items: Item[], selected: string | undefined, open: (id: string) => void) {
  root.replaceChildren();
  if (!items.length) root.append(el('p', 'empty', 'No conversation is waiting.'));
  for (const q of QUEUES) {
    const inQueue = items.filter((i) => i.queue === q);
    if (!inQueue.length) continue;
    const section = el('section', 'queue');
    section.append(el('h2', '', `${q} (${inQueue.filter((i) => i.status === 'queued').length} waiting)`));
    const ul = el('ul');
    for (const i of inQueue) {
      const b = el('button', `conv ${i.status}${i.conversationId === selected ? ' selected' : ''}`);
      b.type = 'button';
      b.dataset.id = i.conversationId;
      const who = i.status === 'active' ? `with ${i.agentName ?? 'an agent'}` : `waiting ${waited(i.requestedAt)}`;
      b.append(el('span', 'meta', `${i.lang.toUpperCase()} · ${i.reason} · ${who}`));
      b.append(el('span', 'preview', i.preview ?? '(no message yet)'));
      b.addEventListener('click', () => open(i.conversationId));
      const li = el('li');
      li.append(b);
      ul.append(li);
    }
    section.append(ul);
    root.append(section);
  }
}

/** What the bot understood, as stored with its message: kind, entry and confidence. */
function understood(m: Message): string {
  if (m.from !== 'bot' || !m.source) return '';
  const c = m.source.confidence;
  return `${m.source.kind}${m.source.id ? `: ${m.source.id}` : ''}${c !== undefined ? ` (confidence ${c.toFixed(2)})` : ''}`;
}

export function renderMessage(m: Message): HTMLElement {
  const li = el('li', `msg ${m.from}`);
  li.dataset.id = String(m.id);
  const head = el('div', 'head', `${m.from} · ${new Date(m.at).toLocaleTimeString()}`);
  const src = understood(m);
  if (src) head.append(el('span', 'source', ` · ${src}`));
  li.append(head, el('div', 'body', m.text));
  for (const a of m.attachments ?? []) {
    const link = el('a', 'file');
    if (a.url) link.href = a.url;
    link.target = '_blank';
    link.rel = 'noopener';
    if (a.contentType.startsWith('image/') && a.url) {
      const img = el('img', 'thumb');
      img.src = a.url;
      img.alt = a.name;
      link.append(img);
    } else link.textContent = `${a.name} (${Math.ceil(a.size / 1024)} KB)`;
    li.append(link);
  }
  return li;
}

export function renderNotes(root: HTMLElement, notes: Note[]) {
  root.replaceChildren(
    ...notes.map((n) => {
      const li = el('li', 'note');
      li.append(el('div', 'head', `${n.agent} · ${new Date(n.at).toLocaleTimeString()}`), el('div', 'body', n.text));
      return li;
    }),
  );
}

/** A short beep (WebAudio: no sound file). Browsers allow it once the page had a click or a key press. */
export function beep(): void {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.1;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.15);
    osc.onended = () => void ctx.close();
  } catch {
    /* no audio here: the title still tells */
  }
}
