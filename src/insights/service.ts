import { AppError } from '../domain/errors';
import type { KnowledgeBase, Lang, ReplySource } from '../domain/types';
import type { InboxMarkState } from '../domain/insights';
import { maskPii } from '../nlp/pii';
import type { InsightsStore } from '../storage/ports';
import { computeFigures, matchesFilter, type FigureFilter, type Figures, type TopicOf } from './figures';
import { groupUnanswered, termsOfKey, unansweredMessages, type InboxGroup, type InboxOptions } from './inbox';

/** "7d", "24h", "90m" before `now`, or an ISO date/time: the start of a period. */
export function parseSince(v: string, now: Date): Date {
  const m = /^(\d{1,5})([dhm])$/.exec(v.trim());
  if (m)
    return new Date(now.getTime() - Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm']);
  const t = Date.parse(v);
  if (/^\d{4}-\d{2}-\d{2}/.test(v.trim()) && Number.isFinite(t)) return new Date(t);
  throw new AppError(
    'INVALID_PERIOD',
    `since="${v}" must be a duration like 7d, 24h or 90m, or an ISO date like 2026-11-01`,
    400,
  );
}

/** Topic of a reply's entry (by id) or dialog (the topic of the entry that starts it). */
export function topicIndex(kb: KnowledgeBase): TopicOf {
  const entries = new Map(kb.entries.map((e) => [e.id, e.topic]));
  const dialogs = new Map<string, string>();
  for (const e of kb.entries) if (e.dialog && !dialogs.has(e.dialog)) dialogs.set(e.dialog, e.topic);
  return (s: ReplySource) =>
    s.id === undefined ? undefined : s.kind === 'dialog' ? dialogs.get(s.id) : entries.get(s.id);
}

export interface InsightsDeps {
  store: InsightsStore;
  /** Matching terms of a text (the matcher's analyzer: folded, synonyms, stems, no stopwords). */
  termsOf(text: string, lang: Lang): string[];
  /** The entry the matcher leans to, for a group's suggestion. */
  guess?(text: string, lang: Lang): InboxGroup['topGuess'];
  topicOf?: TopicOf;
  defaultLang?: Lang;
  inbox?: Partial<InboxOptions>;
  now?: () => Date;
}

export interface Period {
  since?: string;
  until?: string;
}

/** Service figures and the unanswered inbox over the stored conversations. */
export class Insights {
  private readonly now: () => Date;

  constructor(private readonly deps: InsightsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** [from, to) of a period; default the last 7 days. */
  range(p: Period): { from: string; to: string } {
    const now = this.now();
    const to = p.until ? parseSince(p.until, now) : now;
    return { from: parseSince(p.since ?? '7d', now).toISOString(), to: to.toISOString() };
  }

  async figures(
    p: Period,
    filter: FigureFilter = {},
  ): Promise<Figures & { unanswered: { key: string; text: string; count: number; langs: Lang[] }[] }> {
    const { from, to } = this.range(p);
    const records = await this.deps.store.conversationsCreated(from, to);
    const figures = computeFigures(records, {
      from,
      to,
      filter,
      ...(this.deps.topicOf ? { topicOf: this.deps.topicOf } : {}),
    });
    // The unanswered questions of the same conversations as the figures.
    const groups = await this.groups(records.filter((r) => matchesFilter(r, filter, this.deps.topicOf)));
    return {
      ...figures,
      unanswered: groups
        .slice(0, 10)
        .map((g) => ({ key: g.key, text: maskPii(g.examples[0]!.text), count: g.count, langs: g.langs })),
    };
  }

  /**
   * The unanswered groups, their examples masked (emails, phone numbers, IBANs, card numbers): editors see the
   * questions, not the customers' details; an admin may reveal one example (`reveal`, audited by the caller).
   */
  async inbox(p: Period, lang?: Lang): Promise<InboxGroup[]> {
    const groups = await this.rawInbox(p, lang);
    for (const g of groups) {
      const oldest = g.examples[g.examples.length - 1]!;
      const guess = this.deps.guess?.(oldest.text, oldest.lang);
      if (guess) g.topGuess = guess;
      g.examples = g.examples.map((x) => ({ ...x, text: maskPii(x.text) }));
    }
    return groups;
  }

  /** The unmasked text of the example of group `key` written at `at` in `conversationId` (same period as `inbox`). */
  async reveal(p: Period, key: string, example: { conversationId: string; at: string }, lang?: Lang) {
    const g = (await this.rawInbox(p, lang)).find((x) => x.key === key);
    const x = g?.examples.find((e) => e.conversationId === example.conversationId && e.at === example.at);
    if (!x)
      throw new AppError(
        'INBOX_EXAMPLE_NOT_FOUND',
        `no message of conversation ${example.conversationId.slice(0, 64)} at ${example.at.slice(0, 40)} in inbox group "${key.slice(0, 80)}"`,
        404,
      );
    return { key, ...x };
  }

  private async rawInbox(p: Period, lang?: Lang): Promise<InboxGroup[]> {
    const { from, to } = this.range(p);
    return this.groups(await this.deps.store.conversationsCreated(from, to), lang);
  }

  /** Dismiss a group, or mark it handled, by its key (as returned by `inbox`). */
  async mark(key: string, state: InboxMarkState, by: string): Promise<void> {
    const terms = termsOfKey(key);
    if (!terms) throw new AppError('INVALID_INBOX_KEY', `"${key.slice(0, 80)}" is not an inbox group key`, 400);
    await this.deps.store.setInboxMark({ key, state, terms, at: this.now().toISOString(), by });
  }

  private async groups(
    records: Awaited<ReturnType<InsightsStore['conversationsCreated']>>,
    lang?: Lang,
  ): Promise<InboxGroup[]> {
    const o = this.deps.inbox ?? {};
    let msgs = unansweredMessages(records, o.lowConfidence, this.deps.defaultLang, o.rephraseWindowMs);
    if (lang) msgs = msgs.filter((m) => m.lang === lang);
    // Grouped on the masked text: a group's terms and key (shown, stored with a mark) hold no email or number.
    const termsOf = (text: string, l: Lang) => this.deps.termsOf(maskPii(text), l);
    return groupUnanswered(msgs, termsOf, await this.deps.store.inboxMarks(), o);
  }
}
