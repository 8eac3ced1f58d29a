// The agent desk at /agent: sign in with an agent token, the list of conversations with a person (live), one
// conversation's transcript (live), claim, reply, knowledge-base answers, transfer, notes, close (with a note).
import { follow } from './sse';
import {
  $,
  beep,
  el,
  QUEUES,
  renderList,
  renderMessage,
  renderNotes,
  type Item,
  type Message,
  type Note,
} from './view';

const TOKEN_KEY = 'savbot-desk-token';
const TITLE = 'Agent desk';
/** At most one typing event per this many ms while the agent types. */
const TYPING_EVERY_MS = 3000;

let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
let me = '';
let items: Item[] = [];
let known: Set<string> | undefined;
let current: { id: string; last: number; stop: () => void } | undefined;
let stopList: (() => void) | undefined;
let lastTyping = 0;

/** A call of the desk API; errors are shown in the notice and thrown. */
async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const json = (await res.json().catch(() => ({}))) as T & { error?: { message: string } };
  if (!res.ok) {
    if (res.status === 401 && path === '/api/desk/me') throw new Error(json.error?.message ?? 'sign-in refused');
    notice(json.error?.message ?? `request failed (${res.status})`, true);
    throw new Error(json.error?.message ?? String(res.status));
  }
  return json;
}

function notice(text: string, error = false): void {
  const n = $('notice');
  n.textContent = text;
  n.className = error ? 'error' : 'info';
}

const base = (id: string) => `/api/desk/conversations/${encodeURIComponent(id)}`;

async function signIn(given: string): Promise<void> {
  token = given;
  try {
    me = (await api<{ name: string }>('/api/desk/me')).name;
  } catch (e) {
    token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    $('signin-error').textContent = (e as Error).message;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('signin').hidden = true;
  $('desk').hidden = false;
  $('me').textContent = `Signed in as ${me}`;
  stopList = follow(
    () => '/api/desk/events',
    token,
    (e) => e.event === 'list' && onList(e.data),
    signOut,
  );
  $<HTMLButtonElement>('sign-out').focus();
}

function signOut(): void {
  stopList?.();
  current?.stop();
  current = undefined;
  token = '';
  known = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  $('desk').hidden = true;
  $('signin').hidden = false;
  document.title = TITLE;
  $<HTMLInputElement>('token').focus();
}

/** A new list: redrawn; a conversation that starts waiting rings and counts in the title. */
function onList(data: string): void {
  items = (JSON.parse(data) as { conversations: Item[] }).conversations;
  const waiting = items.filter((i) => i.status === 'queued');
  const fresh = known ? waiting.filter((i) => !known!.has(i.conversationId)) : [];
  known = new Set(items.map((i) => i.conversationId));
  if (fresh.length) beep();
  document.title = waiting.length ? `(${waiting.length}) ${TITLE}` : TITLE;
  drawList();
  if (current) drawHeader();
}

function drawList(): void {
  renderList($('list'), items, current?.id, (id) => void openConversation(id));
}

/** The open conversation's header and which actions apply (claim while waiting, the rest once it is ours). */
function drawHeader(): void {
  const item = items.find((i) => i.conversationId === current?.id);
  const mine = item?.status === 'active' && item.agentName === me;
  $('conv-title').textContent = item
    ? `${item.queue} · ${item.lang.toUpperCase()} · ${item.reason} · ${item.status === 'active' ? `with ${item.agentName}` : 'waiting'}`
    : 'Conversation closed';
  $<HTMLButtonElement>('claim').disabled = !item || item.status === 'active';
  for (const id of ['send', 'close', 'reply', 'close-note']) $<HTMLButtonElement>(id).disabled = !mine;
  $<HTMLButtonElement>('transfer').disabled = !item || (item.status === 'active' && !mine);
}

async function openConversation(id: string): Promise<void> {
  current?.stop();
  const data = await api<{ messages: Message[]; notes: Note[] }>(base(id));
  $('messages').replaceChildren(...data.messages.map(renderMessage));
  $('conversation').hidden = false;
  $('messages').scrollTop = $('messages').scrollHeight;
  renderNotes($('notes'), data.notes);
  const state = { id, last: data.messages.at(-1)?.id ?? 0, stop: () => {} };
  current = state;
  state.stop = follow(
    () => `${base(id)}/events?after=${state.last}`,
    token,
    (e) => {
      if (current !== state) return;
      if (e.event === 'notes') return renderNotes($('notes'), (JSON.parse(e.data) as { notes: Note[] }).notes);
      if (e.event !== 'message') return;
      const m = JSON.parse(e.data) as Message;
      if (m.id <= state.last) return;
      state.last = m.id;
      const list = $('messages');
      list.append(renderMessage(m));
      list.scrollTop = list.scrollHeight;
    },
    () => undefined,
  );
  drawList();
  drawHeader();
  $<HTMLButtonElement>(items.find((i) => i.conversationId === id)?.status === 'queued' ? 'claim' : 'reply').focus();
}

async function claim(): Promise<void> {
  if (!current) return;
  try {
    await api(`${base(current.id)}/claim`, { method: 'POST', body: {} });
  } catch {
    return;
  }
  notice('You have this conversation.');
  const item = items.find((i) => i.conversationId === current?.id);
  if (item) Object.assign(item, { status: 'active', agentName: me });
  drawHeader();
  $<HTMLTextAreaElement>('reply').focus();
}

async function send(): Promise<void> {
  const box = $<HTMLTextAreaElement>('reply');
  const text = box.value.trim();
  if (!current || !text) return;
  await api(`${base(current.id)}/messages`, { method: 'POST', body: { text } });
  box.value = '';
}

function typing(): void {
  if (!current || Date.now() - lastTyping < TYPING_EVERY_MS) return;
  lastTyping = Date.now();
  void api(`${base(current.id)}/typing`, { method: 'POST', body: {} }).catch(() => undefined);
}

async function transfer(): Promise<void> {
  if (!current) return;
  const queue = $<HTMLSelectElement>('transfer-queue').value;
  await api(`${base(current.id)}/transfer`, { method: 'POST', body: { queue } });
  notice(`Transferred to ${queue}.`);
}

async function closeConversation(): Promise<void> {
  if (!current) return;
  // The note travels with the handoff's conversation.closed event (the helpdesk's record), not to the customer.
  const box = $<HTMLInputElement>('close-note');
  const note = box.value.trim();
  await api(`${base(current.id)}/close`, { method: 'POST', body: note ? { note } : {} });
  box.value = '';
  notice('Closed: the bot is back and asks the customer for a rating.');
}

async function addNote(): Promise<void> {
  const box = $<HTMLTextAreaElement>('note');
  const text = box.value.trim();
  if (!current || !text) return;
  await api(`${base(current.id)}/notes`, { method: 'POST', body: { text } });
  box.value = '';
  renderNotes($('notes'), (await api<{ notes: Note[] }>(`${base(current.id)}/notes`)).notes);
}

async function searchAnswers(): Promise<void> {
  const q = $<HTMLInputElement>('kb-q').value.trim();
  if (!current || !q) return;
  const r = await api<{ answers: { id: string; title: string; answer: string }[] }>(
    `${base(current.id)}/answers?q=${encodeURIComponent(q)}`,
  );
  const root = $('answers');
  root.replaceChildren();
  if (!r.answers.length) root.append(el('li', 'empty', 'No answer found.'));
  for (const a of r.answers) {
    const li = el('li', 'answer');
    const b = el('button', 'insert', 'Insert');
    b.type = 'button';
    b.setAttribute('aria-label', `Insert the answer "${a.title}"`);
    b.addEventListener('click', () => {
      const box = $<HTMLTextAreaElement>('reply');
      box.value = box.value ? `${box.value}\n${a.answer}` : a.answer;
      box.focus();
    });
    li.append(el('div', 'title', a.title), el('div', 'body', a.answer), b);
    root.append(li);
  }
}

function wire(): void {
  const on = (id: string, fn: () => unknown) => $(id).addEventListener('click', () => void fn());
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void signIn($<HTMLInputElement>('token').value.trim());
  });
  on('sign-out', signOut);
  on('claim', claim);
  on('send', send);
  on('transfer', transfer);
  on('close', closeConversation);
  on('add-note', addNote);
  on('kb-search', searchAnswers);
  const reply = $<HTMLTextAreaElement>('reply');
  reply.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  });
  reply.addEventListener('input', typing);
  $('close-note').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing) {
      e.preventDefault();
      void closeConversation();
    }
  });
  $('kb-q').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void searchAnswers();
    }
  });
  const select = $<HTMLSelectElement>('transfer-queue');
  for (const q of QUEUES) select.append(new Option(q, q));
  // The waiting times move on without a new list.
  setInterval(() => token && !$('list').contains(document.activeElement) && drawList(), 30_000);
  if (token) void signIn(token);
}

wire();
