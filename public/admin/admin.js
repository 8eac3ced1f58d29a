// @ts-check
// The admin page: plain browser JavaScript, no framework, no CDN. Every text that comes from customers, agents or
// the knowledge base is put in the page with textContent (the `el` helper below), never as HTML.
'use strict';
(() => {
  const TOKEN_KEY = 'savbot.adminToken';
  const LANGS = ['fr', 'ro', 'en'];
  const SVG = 'http://www.w3.org/2000/svg';

  /** @param {string} id */
  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

  /**
   * An element with attributes and children; strings become text nodes.
   * @param {string} tag @param {Record<string, string | boolean | undefined>} [attrs] @param {...(Node | string | null | undefined)} children
   */
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === false) continue;
      e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children)
      if (c !== null && c !== undefined) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
    return e;
  }

  /** @param {string} tag @param {Record<string, string | number>} attrs @param {string} [text] */
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // null/undefined children are skipped (replaceChildren would write them as the text "null").
  /** @param {HTMLElement} node @param {...(Node | string | null | undefined)} children */
  const fill = (node, ...children) => node.replaceChildren(...children.filter((c) => c !== null && c !== undefined));

  // ---- API ----

  class ApiError extends Error {
    /** @param {number} status @param {string} code @param {string} message @param {any} details */
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details;
    }
  }

  /** @param {string} method @param {string} path @param {unknown} [body] @param {string} [given] a token to try instead of the stored one */
  async function api(method, path, body, given) {
    const token = given ?? sessionStorage.getItem(TOKEN_KEY) ?? '';
    const headers = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
    if (!res.ok) {
      const err = new ApiError(
        res.status,
        data?.error?.code ?? `HTTP_${res.status}`,
        data?.error?.message ?? `HTTP ${res.status}`,
        data?.error?.details ?? data?.details,
      );
      // The stored token no longer works (revoked, server restarted with other tokens): back to the login form.
      if (res.status === 401 && given === undefined)
        logout('Your session has expired or the token was revoked: log in again.');
      throw err;
    }
    return data;
  }

  /** A message for an API error, with the content issues or regressions it carries. @param {unknown} e */
  function describe(e) {
    if (!(e instanceof ApiError)) return String(e instanceof Error ? e.message : e);
    const listed = (e.code === 'INVALID_CONTENT' || e.code === 'REGRESSION') && Array.isArray(e.details);
    // The server's message already spells the issues out after its first line; they are listed from `details`.
    const head = listed ? e.message.split('\n')[0].replace(/:$/, '') : e.message;
    const lines = [`${head} (${e.code})`];
    if (listed && e.code === 'INVALID_CONTENT') for (const i of e.details) lines.push(issueLine(i));
    if (listed && e.code === 'REGRESSION')
      for (const r of e.details)
        lines.push(`[${r.lang}] "${r.question}" would go to ${r.got ?? 'no entry'} instead of ${r.expected}`);
    if (e.status === 403) lines.push('Your role may not do this.');
    if (e.status === 404 && e.code === 'NOT_FOUND')
      lines.push('This server does not offer this part of the admin API.');
    return lines.join('\n');
  }

  /** @param {{file: string, line: number, column: number, path?: string, message: string}} i */
  const issueLine = (i) => `${i.file}:${i.line}:${i.column}: ${i.path ? `${i.path}: ` : ''}${i.message}`;

  // ---- formatting ----

  /** @param {number | null | undefined} ms */
  function duration(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    if (ms < 3600000) return `${(ms / 60000).toFixed(1)} min`;
    return `${(ms / 3600000).toFixed(1)} h`;
  }
  /** @param {number | null | undefined} x */
  const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);
  /** @param {string} iso */
  const when = (iso) => new Date(iso).toLocaleString();

  // ---- login ----

  function logout(message = '') {
    sessionStorage.removeItem(TOKEN_KEY);
    $('app').hidden = true;
    $('login').hidden = false;
    $('logout').hidden = true;
    fill($('who'));
    fill($('login-error'), message);
  }

  /** The logged-in user ({name, role}); the rollback buttons are only shown to the admin role. */
  let me = { name: '', role: 'editor' };

  async function enter() {
    $('login').hidden = true;
    $('app').hidden = false;
    $('logout').hidden = false;
    try {
      me = await api('GET', '/api/admin/me');
      fill($('who'), `${me.name} (${me.role})`);
    } catch {
      fill($('who'), 'logged in');
    }
    await loadFigures();
  }

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = /** @type {HTMLInputElement} */ ($('login-token')).value.trim();
    try {
      await api('GET', '/api/admin/figures?since=1d', undefined, token);
      sessionStorage.setItem(TOKEN_KEY, token);
      /** @type {HTMLInputElement} */ ($('login-token')).value = '';
      fill($('login-error'));
      await enter();
    } catch (e) {
      fill($('login-error'), e instanceof ApiError && e.status === 401 ? 'This token is not valid.' : describe(e));
    }
  });
  $('logout').addEventListener('click', () => logout());

  // ---- tabs ----

  /** @type {Record<string, () => Promise<void>>} */
  const loaders = {
    figures: () => loadFigures(),
    inbox: () => loadInbox(),
    entries: () => loadEntries(),
    try: async () => {},
    status: () => loadStatus(),
    history: () => loadHistory(),
  };

  /** @param {string} name */
  async function showTab(name) {
    for (const b of document.querySelectorAll('nav [role=tab]'))
      b.setAttribute('aria-selected', String(b.getAttribute('data-tab') === name));
    for (const s of document.querySelectorAll('[role=tabpanel]')) /** @type {HTMLElement} */ (s).hidden = s.id !== name;
    await loaders[name]?.();
  }
  const tabs = /** @type {HTMLElement[]} */ ([...document.querySelectorAll('nav [role=tab]')]);
  for (const b of tabs) {
    b.addEventListener('click', () => void showTab(b.getAttribute('data-tab') || 'figures'));
    // Arrow keys move between tabs (the WAI-ARIA tabs pattern).
    b.addEventListener('keydown', (ev) => {
      const step = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      const next = tabs[(tabs.indexOf(b) + step + tabs.length) % tabs.length];
      next.focus();
      void showTab(next.getAttribute('data-tab') || 'figures');
    });
  }

  /** Query string of a form's non-empty fields. @param {HTMLFormElement} form */
  function formQuery(form) {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (typeof v === 'string' && v.trim()) q.set(k, v.trim());
    return q.toString();
  }

  // ---- figures ----

  /** @param {string} testid @param {string} label @param {string} value @param {string} [detail] */
  const card = (testid, label, value, detail) =>
    el(
      'div',
      { class: 'card', 'data-testid': testid },
      el('span', { class: 'label' }, label),
      el('span', { class: 'value' }, value),
      detail ? el('span', { class: 'detail' }, detail) : null,
    );

  /** @param {{n: number, avg: number, p50: number, p90: number} | null} s */
  const statDetail = (s) => (s ? `avg ${duration(s.avg)} · p90 ${duration(s.p90)} · n=${s.n}` : 'no data');

  /**
   * A bar chart as SVG. Bars may have two parts (e.g. resolved by the bot / the rest).
   * @param {string} title @param {{label: string, value: number, part?: number}[]} bars @param {string} testid
   */
  function barChart(title, bars, testid) {
    const W = 320,
      H = 160,
      pad = 24,
      top = 16,
      max = Math.max(1, ...bars.map((b) => b.value));
    const s = svg('svg', {
      viewBox: `0 0 ${W} ${H + top + 22}`,
      role: 'img',
      'aria-label': `${title}: ${bars.map((b) => `${b.label} ${b.value}`).join(', ') || 'no data'}`,
    });
    s.append(svg('title', {}, title));
    const bw = bars.length ? Math.min(40, (W - pad) / bars.length - 6) : 0;
    bars.forEach((b, i) => {
      const x = pad + i * ((W - pad) / bars.length) + 3;
      const h = (b.value / max) * H;
      s.append(svg('rect', { x, y: H - h + top, width: bw, height: h, fill: '#9fb3cc' }));
      if (b.part !== undefined) {
        const hp = (b.part / max) * H;
        s.append(svg('rect', { x, y: H - hp + top, width: bw, height: hp, fill: '#123a63' }));
      }
      s.append(
        svg('text', { x: x + bw / 2, y: H - h + top - 4, 'text-anchor': 'middle', 'font-size': 10 }, String(b.value)),
      );
      s.append(svg('text', { x: x + bw / 2, y: H + top + 14, 'text-anchor': 'middle', 'font-size': 9 }, b.label));
    });
    s.append(svg('line', { x1: pad - 2, y1: H + top, x2: W, y2: H + top, stroke: '#4a5260' }));
    return el('figure', { class: 'chart', 'data-testid': testid }, el('h3', {}, title), s);
  }

  /** @param {Record<string, number>} o */
  const barsOf = (o) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([label, value]) => ({ label, value }));

  async function loadFigures() {
    const form = /** @type {HTMLFormElement} */ ($('figures-form'));
    fill($('figures-error'));
    let f;
    try {
      f = await api('GET', `/api/admin/figures?${formQuery(form)}`);
    } catch (e) {
      fill($('figures-error'), describe(e));
      return;
    }
    fill(
      $('figures-cards'),
      card('fig-conversations', 'Conversations', String(f.conversations), `${f.customerMessages} customer messages`),
      card(
        'fig-bot-rate',
        'Resolved by the bot',
        pct(f.resolved.botRate),
        `${f.resolved.byBot} by the bot · ${f.resolved.byPerson} by a person · ${f.resolved.unresolved} unresolved`,
      ),
      card('fig-handoff-rate', 'Handed to a person', pct(f.handoffs.rate), `${f.handoffs.requests} requests`),
      card(
        'fig-first-response',
        'First response (median)',
        duration(f.firstResponseMs?.p50),
        statDetail(f.firstResponseMs),
      ),
      card('fig-response', 'Response time (average)', duration(f.responseMs?.avg), statDetail(f.responseMs)),
      card('fig-resolution', 'Time to resolution (median)', duration(f.resolutionMs?.p50), statDetail(f.resolutionMs)),
      card('fig-agent-join', 'Time to an agent (median)', duration(f.agentJoinMs?.p50), statDetail(f.agentJoinMs)),
      card(
        'fig-csat',
        'Satisfaction',
        f.csat.average === null ? '–' : `${f.csat.average.toFixed(2)} / 5`,
        `${f.csat.count} answers`,
      ),
    );
    const days = Object.entries(f.byDay).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    fill(
      $('figures-charts'),
      barChart(
        'Conversations per day (dark: resolved by the bot)',
        days.map(([d, b]) => ({ label: d.slice(5), value: b.conversations, part: b.resolvedByBot })),
        'chart-days',
      ),
      barChart(
        'Satisfaction answers (1–5)',
        ['1', '2', '3', '4', '5'].map((k) => ({ label: k, value: f.csat.distribution[k] })),
        'chart-csat',
      ),
      barChart('Handoffs by reason', barsOf(f.handoffs.byReason), 'chart-reasons'),
      barChart('Handoffs by queue', barsOf(f.handoffs.byQueue), 'chart-queues'),
      barChart('Replies by kind', barsOf(f.replies), 'chart-replies'),
      barChart(
        'Conversations by topic',
        barsOf(Object.fromEntries(Object.entries(f.byTopic).map(([k, b]) => [k, b.conversations]))),
        'chart-topics',
      ),
    );
    fill(
      $('figures-unanswered'),
      ...f.unanswered.map((u) => el('li', {}, `${u.count}× `, el('q', {}, u.text), ` (${u.langs.join(', ')})`)),
    );
    if (!f.unanswered.length) fill($('figures-unanswered'), el('li', {}, 'None in this period.'));
    fill($('figures-helpfulness'), ...helpfulnessRows(f.helpfulness));
  }

  /** Entries with votes, most voted first: 👍, 👎 and the share of 👍. @param {any} h */
  function helpfulnessRows(h) {
    const entries = Object.entries(h?.byEntry || {}).sort(
      (a, b) => b[1].up + b[1].down - (a[1].up + a[1].down) || a[0].localeCompare(b[0]),
    );
    if (!entries.length) return [el('tr', {}, el('td', {}, 'No votes in this period.'))];
    return [
      el('tr', {}, el('th', {}, 'Entry'), el('th', {}, '👍'), el('th', {}, '👎'), el('th', {}, 'Helpful')),
      ...entries.map(([id, e]) =>
        el(
          'tr',
          { 'data-entry': id },
          el('td', {}, id),
          el('td', {}, String(e.up)),
          el('td', {}, String(e.down)),
          el('td', {}, pct(e.rate)),
        ),
      ),
    ];
  }
  $('figures-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadFigures();
  });

  // ---- entries (shared by the inbox) ----

  /** @type {any[] | null} */
  let entriesCache = null;
  /** @param {boolean} [refresh] */
  async function allEntries(refresh = false) {
    if (!entriesCache || refresh) entriesCache = (await api('GET', '/api/admin/entries')).entries;
    return /** @type {any[]} */ (entriesCache);
  }
  /** @param {any} e @param {string} lang */
  const titleOf = (e, lang) => e.title?.[lang] || LANGS.map((l) => e.title?.[l]).find(Boolean) || e.id;

  // ---- inbox ----

  /** @param {string} key @param {'dismiss' | 'handled'} action */
  async function markGroup(key, action) {
    await api('POST', `/api/admin/inbox/${encodeURIComponent(key)}/${action}`);
  }

  /**
   * Add `question` to entry `id`; on a regression offer to add anyway.
   * @param {string} id @param {string} lang @param {string} question @param {HTMLElement} out @param {boolean} force
   * @returns {Promise<any | null>}
   */
  async function addQuestion(id, lang, question, out, force = false) {
    try {
      return await api('POST', `/api/admin/entries/${encodeURIComponent(id)}/questions`, {
        lang,
        question,
        ...(force ? { force: true } : {}),
      });
    } catch (e) {
      fill(out, describe(e));
      if (e instanceof ApiError && e.code === 'REGRESSION' && !force) {
        return await new Promise((resolve) => {
          const again = el('button', { type: 'button', 'data-testid': 'inbox-add-force' }, 'Add anyway');
          again.addEventListener('click', async () => resolve(await addQuestion(id, lang, question, out, true)));
          out.append(el('br'), again);
        });
      }
      return null;
    }
  }

  /**
   * One example, masked by the server (emails, phone numbers, IBANs, cards); an admin may reveal it (audited).
   * @param {string} key @param {any} x @param {HTMLElement} out
   */
  function exampleView(key, x, out) {
    const text = el('q', {}, x.text);
    const item = el(
      'li',
      { 'data-testid': 'inbox-example' },
      text,
      el('span', { class: 'meta' }, ` ${x.lang} · ${when(x.at)}`),
      x.answer
        ? el(
            'div',
            { class: 'meta', 'data-testid': 'inbox-answer' },
            `Answered, probably wrong (${SIGNALS[x.answer.signal] ?? x.answer.signal}) with ${x.answer.id}: `,
            el('q', {}, x.answer.text),
          )
        : null,
    );
    if (me.role === 'admin' && /\[(email|phone|iban|card)\]/.test(x.text)) {
      const reveal = el('button', { type: 'button', 'data-testid': 'inbox-reveal' }, 'Reveal (audited)');
      reveal.addEventListener('click', async () => {
        try {
          const form = formQuery(/** @type {HTMLFormElement} */ ($('inbox-form')));
          const path = `/api/admin/inbox/${encodeURIComponent(key)}/reveal?${form}`;
          const r = await api('POST', path, { conversationId: x.conversationId, at: x.at });
          fill(text, r.text);
          reveal.remove();
        } catch (e) {
          fill(out, describe(e));
        }
      });
      item.append(' ', reveal);
    }
    return item;
  }

  /** How the inbox names its reasons (others as the API does). @type {Record<string, string>} */
  const REASONS = { 'probably-wrong': 'answered, probably wrong' };
  /** @type {Record<string, string>} */
  const SIGNALS = { 'down-vote': '👎', rephrased: 'rephrased right after', person: 'asked for a person right after' };

  /** @param {any} g @param {any[] | null} entries @param {string | null} entriesError */
  function groupView(g, entries, entriesError) {
    const reasons = Object.entries(g.reasons || {})
      .map(([k, n]) => `${REASONS[k] ?? k} ${n}`)
      .join(', ');
    const out = el('p', { class: 'error', role: 'alert' });
    const example = /** @type {HTMLSelectElement} */ (
      el('select', { 'data-testid': 'inbox-example-select', 'aria-label': 'Message to add' })
    );
    g.examples.forEach((x, i) => example.append(el('option', { value: String(i) }, `[${x.lang}] ${x.text}`)));
    const entry = /** @type {HTMLSelectElement} */ (
      el('select', { 'data-testid': 'inbox-entry-select', 'aria-label': 'Entry to add it to' })
    );
    for (const e of entries || [])
      entry.append(
        el(
          'option',
          { value: e.id, selected: g.topGuess?.id === e.id },
          `${e.topic} · ${titleOf(e, g.examples[0].lang)} (${e.id})`,
        ),
      );
    const add = el(
      'button',
      { type: 'button', class: 'primary', 'data-testid': 'inbox-add', disabled: !entries?.length },
      'Add as a sample question',
    );
    const create = el('button', { type: 'button', 'data-testid': 'inbox-new-entry' }, 'New entry with it…');
    const dismiss = el('button', { type: 'button', 'data-testid': 'inbox-dismiss' }, 'Dismiss');
    const handled = el('button', { type: 'button', 'data-testid': 'inbox-handled' }, 'Mark handled');
    const view = el(
      'article',
      {
        class: 'group',
        'data-testid': 'inbox-group',
        'data-key': g.key,
        'aria-label': `Unanswered: ${g.examples[0].text}`,
      },
      el('div', { class: 'meta' }, `${g.count}× · ${g.langs.join(', ')} · ${reasons} · last ${when(g.lastAt)}`),
      el('ul', {}, ...g.examples.map((x) => exampleView(g.key, x, out))),
      g.topGuess
        ? el(
            'div',
            { class: 'meta' },
            `Closest entry: ${g.topGuess.title} (${g.topGuess.id}, confidence ${g.topGuess.confidence})`,
          )
        : null,
      el('div', { class: 'actions' }, example, entry, add, create, dismiss, handled),
      entriesError ? el('p', { class: 'meta' }, `Entries are not available: ${entriesError}`) : null,
      out,
    );
    const chosen = () => g.examples[Number(example.value) || 0];
    /** @param {'dismiss' | 'handled'} action @param {string} message */
    const close = async (action, message) => {
      try {
        await markGroup(g.key, action);
        view.remove();
        fill($('inbox-status'), message);
      } catch (e) {
        fill(out, describe(e));
      }
    };
    dismiss.addEventListener('click', () => void close('dismiss', `Dismissed: “${g.examples[0].text}”.`));
    handled.addEventListener('click', () => void close('handled', `Marked handled: “${g.examples[0].text}”.`));
    add.addEventListener('click', async () => {
      fill(out);
      const x = chosen();
      const r = await addQuestion(entry.value, x.lang, x.text, out);
      if (r) {
        entriesCache = null;
        await close(
          'handled',
          `“${x.text}” added to ${entry.value} (${x.lang}${r.version ? `, version ${r.version}` : ''}); group marked handled.`,
        );
      }
    });
    create.addEventListener('click', () => {
      const x = chosen();
      void showTab('entries').then(() => openEditor(null, x.lang, { question: x.text, groupKey: g.key }));
    });
    return view;
  }

  async function loadInbox() {
    fill($('inbox-error'));
    let groups;
    try {
      groups = (await api('GET', `/api/admin/inbox?${formQuery(/** @type {HTMLFormElement} */ ($('inbox-form')))}`))
        .groups;
    } catch (e) {
      fill($('inbox-error'), describe(e));
      return;
    }
    let entries = null;
    let entriesError = null;
    try {
      entries = await allEntries();
    } catch (e) {
      entriesError = describe(e);
    }
    fill($('inbox-groups'), ...groups.map((g) => groupView(g, entries, entriesError)));
    if (!groups.length)
      fill($('inbox-groups'), el('p', { 'data-testid': 'inbox-empty' }, 'No unanswered questions in this period.'));
  }
  $('inbox-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadInbox();
  });

  // ---- entries ----

  const entriesForm = /** @type {HTMLFormElement} */ ($('entries-form'));
  const editLang = () => /** @type {HTMLSelectElement} */ (entriesForm.elements.namedItem('lang')).value;

  async function loadEntries() {
    fill($('entries-error'));
    let entries;
    try {
      const q = new URLSearchParams();
      for (const k of ['q', 'topic']) {
        const v = /** @type {HTMLInputElement} */ (entriesForm.elements.namedItem(k)).value.trim();
        if (v) q.set(k, v);
      }
      entries = (await api('GET', `/api/admin/entries?${q}`)).entries;
    } catch (e) {
      fill($('entries-error'), describe(e));
      fill($('entries-list'));
      return;
    }
    const topics = /** @type {HTMLSelectElement} */ (entriesForm.elements.namedItem('topic'));
    const current = topics.value;
    const known = [...new Set(entries.map((e) => e.topic))].sort();
    if (!current) fill(topics, el('option', { value: '' }, 'all'), ...known.map((t) => el('option', {}, t)));
    const lang = editLang();
    const byTopic = new Map();
    for (const e of entries) byTopic.set(e.topic, [...(byTopic.get(e.topic) || []), e]);
    fill(
      $('entries-list'),
      ...[...byTopic].map(([topic, list]) =>
        el(
          'details',
          { open: byTopic.size < 4 },
          el('summary', {}, `${topic} (${list.length})`),
          ...list.map((e) => {
            const edit = el('button', { type: 'button', 'data-testid': 'entry-edit' }, 'Edit');
            edit.addEventListener('click', () => openEditor(e, lang));
            return el(
              'div',
              { class: 'entry', 'data-testid': 'entry', 'data-id': e.id },
              el('strong', {}, titleOf(e, lang)),
              el(
                'span',
                { class: 'meta' },
                ` ${e.id} · ${e.kind} · ${(e.questions?.[lang] || []).length} questions in ${lang}`,
              ),
              ' ',
              edit,
            );
          }),
        ),
      ),
    );
  }
  entriesForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void loadEntries();
  });
  $('entry-new').addEventListener('click', () => openEditor(null, editLang()));
  /** @type {HTMLSelectElement} */ (entriesForm.elements.namedItem('lang')).addEventListener(
    'change',
    () => void loadEntries(),
  );

  /**
   * The editor of one entry in one language (existing entry: PUT; new: POST).
   * @param {any | null} entry @param {string} lang @param {{question?: string, groupKey?: string}} [prefill]
   */
  function openEditor(entry, lang, prefill = {}) {
    const box = $('entry-editor');
    box.hidden = false;
    const out = el('p', { class: 'error', role: 'alert' });
    const field = (/** @type {string} */ label, /** @type {HTMLElement} */ input) =>
      el('label', {}, label, el('br'), input);
    const id = /** @type {HTMLInputElement} */ (
      el('input', { 'data-testid': 'editor-id', value: entry?.id ?? '', disabled: !!entry, required: true })
    );
    const topic = /** @type {HTMLInputElement} */ (
      el('input', { 'data-testid': 'editor-topic', value: entry?.topic ?? '', disabled: !!entry, required: true })
    );
    const title = /** @type {HTMLInputElement} */ (
      el('input', { 'data-testid': 'editor-title', size: '50', value: entry?.title?.[lang] ?? '' })
    );
    const questions = /** @type {HTMLTextAreaElement} */ (
      el('textarea', { 'data-testid': 'editor-questions', rows: '6' })
    );
    questions.value = [...(entry?.questions?.[lang] ?? []), ...(prefill.question ? [prefill.question] : [])].join('\n');
    const answer = /** @type {HTMLTextAreaElement} */ (el('textarea', { 'data-testid': 'editor-answer', rows: '4' }));
    answer.value = entry?.answer?.[lang] ?? '';
    const save = el(
      'button',
      { type: 'button', class: 'primary', 'data-testid': 'editor-save' },
      entry ? 'Save' : 'Create',
    );
    const cancel = el('button', { type: 'button' }, 'Close');
    const del = entry ? el('button', { type: 'button', 'data-testid': 'editor-delete' }, 'Delete…') : null;
    fill(
      box,
      el('h2', {}, entry ? `Edit ${entry.id} (${lang})` : `New entry (${lang})`),
      entry ? null : field('Id (lowercase, dashes)', id),
      entry ? null : field('Topic', topic),
      field('Title', title),
      field('Sample questions, one per line', questions),
      field('Answer', answer),
      el('div', { class: 'actions' }, save, cancel, del),
      out,
    );
    const lines = () =>
      questions.value
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean);
    /** @param {boolean} force */
    const submit = async (force) => {
      fill(out);
      try {
        let r;
        // An emptied title or answer is sent as null: the text is removed in this language (the API refuses "").
        const t = title.value.trim();
        const a = answer.value.trim();
        if (entry)
          r = await api('PUT', `/api/admin/entries/${encodeURIComponent(entry.id)}`, {
            lang,
            title: t || null,
            questions: lines(),
            answer: a || null,
            ...(force ? { force: true } : {}),
          });
        else
          r = await api('POST', '/api/admin/entries', {
            topic: topic.value.trim(),
            entry: {
              id: id.value.trim(),
              kind: 'faq',
              ...(t ? { title: { [lang]: t } } : {}),
              questions: { [lang]: lines() },
              ...(a ? { answer: { [lang]: a } } : {}),
            },
            ...(force ? { force: true } : {}),
          });
        if (prefill.groupKey) await markGroup(prefill.groupKey, 'handled').catch(() => {});
        entriesCache = null;
        box.hidden = true;
        fill(
          $('entries-status'),
          `${entry ? 'Saved' : 'Created'} ${r?.entry?.id ?? id.value}${r?.version ? ` (version ${r.version})` : ''}.`,
        );
        await loadEntries();
      } catch (e) {
        fill(out, describe(e));
        if (e instanceof ApiError && e.code === 'REGRESSION' && !force) {
          const again = el('button', { type: 'button', 'data-testid': 'editor-force' }, 'Save anyway');
          again.addEventListener('click', () => void submit(true));
          out.append(el('br'), again);
        }
      }
    };
    save.addEventListener('click', () => void submit(false));
    cancel.addEventListener('click', () => (box.hidden = true));
    del?.addEventListener('click', () => {
      // An inline confirmation (no window.confirm: it blocks the page and is easy to click through).
      const sure = el(
        'button',
        { type: 'button', 'data-testid': 'editor-delete-confirm' },
        `Really delete ${entry.id}`,
      );
      /** @param {boolean} force */
      const remove = async (force) => {
        try {
          const r = await api(
            'DELETE',
            `/api/admin/entries/${encodeURIComponent(entry.id)}${force ? '?force=true' : ''}`,
          );
          entriesCache = null;
          box.hidden = true;
          fill($('entries-status'), `Deleted ${entry.id}${r?.version ? ` (version ${r.version})` : ''}.`);
          await loadEntries();
        } catch (e) {
          fill(out, describe(e));
          if (e instanceof ApiError && e.code === 'REGRESSION' && !force) {
            const again = el('button', { type: 'button', 'data-testid': 'editor-delete-force' }, 'Delete anyway');
            again.addEventListener('click', () => void remove(true));
            out.append(el('br'), again);
          }
        }
      };
      sure.addEventListener('click', () => void remove(false));
      fill(out, sure);
    });
    title.focus();
  }

  // ---- try a question ----

  $('try-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = /** @type {HTMLFormElement} */ (ev.target);
    const text = /** @type {HTMLInputElement} */ (form.elements.namedItem('text')).value;
    const lang = /** @type {HTMLSelectElement} */ (form.elements.namedItem('lang')).value;
    fill($('try-error'));
    try {
      const r = await api('POST', '/api/admin/try', { text, ...(lang ? { lang } : {}) });
      /** @param {any} m */
      const show = (m) => (m ? `${m.title} (${m.id}), confidence ${m.confidence}` : '–');
      const decision = typeof r.decision === 'string' ? r.decision : (r.decision?.action ?? JSON.stringify(r.decision));
      fill(
        $('try-result'),
        el('dt', {}, 'Language'),
        el('dd', { 'data-testid': 'try-lang' }, String(r.lang)),
        el('dt', {}, 'Decision'),
        el('dd', { 'data-testid': 'try-decision' }, String(decision)),
        el('dt', {}, 'Matched entry'),
        el('dd', { 'data-testid': 'try-match' }, show(r.match)),
        el('dt', {}, 'Runner-up'),
        el('dd', { 'data-testid': 'try-runner-up' }, show(r.runnerUp)),
        el('dt', {}, 'Knowledge-base version'),
        el('dd', { 'data-testid': 'try-version' }, String(r.version ?? '–')),
      );
    } catch (e) {
      fill($('try-error'), describe(e));
    }
  });

  // ---- content status ----

  async function loadStatus() {
    fill($('status-error'));
    try {
      const s = await api('GET', '/api/admin/status');
      fill(
        $('status-info'),
        el('dt', {}, 'Published version'),
        el('dd', { 'data-testid': 'status-version' }, String(s.version)),
        el('dt', {}, 'Published at'),
        el('dd', {}, s.publishedAt ? when(s.publishedAt) : '–'),
        el('dt', {}, 'Last reload'),
        el(
          'dd',
          { 'data-testid': 'status-last-error' },
          s.lastError ? `failed at ${when(s.lastError.at)}: the published version is still in use` : 'no error',
        ),
      );
      fill($('status-issues'), ...(s.lastError?.issues ?? []).map((i) => el('li', {}, issueLine(i))));
    } catch (e) {
      fill($('status-error'), describe(e));
    }
  }
  $('status-refresh').addEventListener('click', () => void loadStatus());

  // ---- history: audit log and versions ----

  /** A short account of what an audit entry changed. @param {any} a */
  function auditSummary(a) {
    if (a.action === 'reload' || a.action === 'rollback')
      return `${a.before?.version ?? '?'} → ${a.after?.version ?? '?'}`;
    if (!a.before || !a.after) return a.after ? 'created' : 'deleted';
    const changed = [];
    for (const field of ['title', 'questions', 'answer'])
      for (const l of LANGS)
        if (JSON.stringify(a.before[field]?.[l] ?? null) !== JSON.stringify(a.after[field]?.[l] ?? null))
          changed.push(`${field}.${l}`);
    return changed.length ? `changed ${changed.join(', ')}` : 'no visible change';
  }

  async function loadHistory() {
    fill($('history-error'));
    let audit, versions;
    try {
      [audit, versions] = await Promise.all([
        api('GET', '/api/admin/audit?limit=50'),
        api('GET', '/api/admin/versions'),
      ]);
    } catch (e) {
      fill($('history-error'), describe(e));
      return;
    }
    fill(
      $('audit-list'),
      ...audit.entries.map((/** @type {any} */ a) =>
        el(
          'li',
          { 'data-testid': 'audit-entry' },
          `${when(a.at)} · ${a.user} · ${a.action}${a.entryId ? ` ${a.entryId}` : ''} · ${auditSummary(a)} · version ${a.version}`,
        ),
      ),
    );
    if (!audit.entries.length) fill($('audit-list'), el('li', {}, 'No changes yet.'));
    let current = '';
    try {
      current = (await api('GET', '/api/admin/status')).version;
    } catch {
      /* the list stays usable without the marker */
    }
    fill(
      $('versions-list'),
      ...versions.versions.map((/** @type {any} */ v) => {
        const item = el(
          'li',
          { 'data-testid': 'version', 'data-version': v.version },
          `${v.version} · ${when(v.at)} · ${v.user} · ${v.action}`,
          v.version === current ? el('strong', {}, ' (published)') : null,
        );
        if (me.role === 'admin' && v.version !== current) {
          const back = el('button', { type: 'button', 'data-testid': 'version-rollback' }, 'Roll back to this version');
          back.addEventListener('click', async () => {
            fill($('history-error'));
            try {
              const r = await api('POST', `/api/admin/versions/${encodeURIComponent(v.version)}/rollback`);
              entriesCache = null;
              fill($('history-status'), `Rolled back: version ${r.version} is published.`);
              await loadHistory();
            } catch (e) {
              fill($('history-error'), describe(e));
            }
          });
          item.append(' ', back);
        }
        return item;
      }),
    );
  }
  $('history-refresh').addEventListener('click', () => void loadHistory());

  // A token kept from earlier in this tab's session.
  if (sessionStorage.getItem(TOKEN_KEY)) void enter();
})();
