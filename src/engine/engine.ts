import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors';
import { LANGS, type IncomingMessage, type KbEntry, type KnowledgeBase, type Lang, type Reply, type Suggestion } from '../domain/types';
import type { Matcher, MatchResult } from '../matching/matcher';
import type { LanguageDetector } from '../nlp/language';
import type { ConversationState, ConversationStore } from '../storage/conversations';
import { MESSAGES } from './messages';

export interface EngineOptions {
  /** Answer when the match confidence is at least this and no other entry is close. */
  answerThreshold: number;
  /** Two entries are "close" when their scores differ by less than this: ask "did you mean A or B?"... */
  clarifyMargin: number;
  /** ...provided the confidence is at least this; below it, the honest fallback. */
  clarifyThreshold: number;
  /** Language of a conversation before the customer writes anything recognizable. */
  defaultLang: Lang;
  /** Longer messages are matched on their beginning only. */
  maxTextLength: number;
  /** Main topics offered by the fallback. */
  fallbackTopics: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  // Chosen with `npm run tune` on test/conversations/dev (never on the test cases).
  answerThreshold: 0.28,
  clarifyMargin: 0.25,
  clarifyThreshold: 0.28,
  defaultLang: 'fr',
  maxTextLength: 1000,
  fallbackTopics: 4,
};

export interface EngineDeps {
  kb: KnowledgeBase;
  matcher: Matcher;
  detector: LanguageDetector;
  store: ConversationStore;
  options?: Partial<EngineOptions>;
  now?: () => Date;
}

export type Decision =
  | { action: 'answer'; id: string; confidence: number }
  | { action: 'clarify'; ids: [string, string]; confidence: number }
  | { action: 'fallback'; id?: string; confidence?: number };

/**
 * The decision rule, on its own so that tuning and tests use exactly what the bot does: answer when confident
 * and no other entry is close; "did you mean" when two entries are close; otherwise the honest fallback
 * (always for messages that resemble the out-of-scope examples).
 */
export function decide(
  match: MatchResult,
  kindOf: (id: string) => KbEntry['kind'] | undefined,
  o: Pick<EngineOptions, 'answerThreshold' | 'clarifyThreshold' | 'clarifyMargin'>,
): Decision {
  const [c1, c2] = match.candidates;
  if (!c1) return { action: 'fallback' };
  const confidence = match.confidence;
  if (kindOf(c1.id) === 'outofscope') return { action: 'fallback', id: c1.id, confidence };
  const close = c2 !== undefined && c1.score - c2.score < o.clarifyMargin;
  if (confidence >= o.answerThreshold && !close) return { action: 'answer', id: c1.id, confidence };
  if (close && kindOf(c2.id) !== 'outofscope' && confidence >= o.clarifyThreshold) return { action: 'clarify', ids: [c1.id, c2.id], confidence };
  return { action: 'fallback', confidence };
}

/** Why the engine answered as it did: for editors, tests and the terminal chat. */
export interface TurnTrace {
  lang: Lang;
  match?: MatchResult;
}

/**
 * One conversation turn: language, matching and the decision (answer, clarify, fallback, handoff request,
 * small talk). Channels translate to and from IncomingMessage/Reply; the engine never sees HTTP.
 */
export class Engine {
  readonly options: EngineOptions;
  private readonly byId = new Map<string, KbEntry>();
  private readonly now: () => Date;

  constructor(private readonly deps: EngineDeps) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...deps.options };
    for (const e of deps.kb.entries) this.byId.set(e.id, e);
    this.now = deps.now ?? (() => new Date());
  }

  get kbVersion(): string {
    return this.deps.kb.version;
  }

  async createConversation(opts: { channel: string; lang?: Lang; tokenHash?: string }): Promise<ConversationState> {
    const state: ConversationState = {
      id: randomUUID(),
      channel: opts.channel,
      tokenHash: opts.tokenHash,
      lang: opts.lang,
      createdAt: this.now().toISOString(),
      misunderstandings: 0,
      transcript: [],
    };
    await this.deps.store.save(state);
    return state;
  }

  async getConversation(id: string): Promise<ConversationState | undefined> {
    return this.deps.store.get(id);
  }

  async handle(msg: IncomingMessage, trace?: TurnTrace): Promise<Reply[]> {
    const state = await this.deps.store.get(msg.conversationId);
    if (!state) throw new AppError('CONVERSATION_NOT_FOUND', `conversation "${msg.conversationId}" not found`, 404);
    const at = this.now().toISOString();
    const customerText = msg.action !== undefined ? `[${msg.action}]` : (msg.text ?? '');
    state.transcript.push({ at, from: 'customer', text: customerText });
    const replies = msg.action !== undefined ? this.onAction(state, msg.action) : this.onText(state, msg.text ?? '', trace);
    for (const r of replies) {
      state.transcript.push({ at: this.now().toISOString(), from: 'bot', text: r.text, source: r.source, kbVersion: this.kbVersion });
    }
    state.misunderstandings = replies.some((r) => r.source.kind === 'fallback') ? state.misunderstandings + 1 : 0;
    await this.deps.store.save(state);
    return replies;
  }

  /** Match one text without a conversation (editors' "try a question", eval, tests). */
  match(text: string, lang: Lang): MatchResult {
    return this.deps.matcher.match(text.slice(0, this.options.maxTextLength), lang);
  }

  private onText(state: ConversationState, raw: string, trace?: TurnTrace): Reply[] {
    let lang = state.lang ?? this.options.defaultLang;
    const text = raw.trim();
    if (!text || !/[\p{L}\p{N}]/u.test(text)) return [{ text: MESSAGES[lang].empty, source: { kind: 'fallback' }, lang }];
    const tooLong = text.length > this.options.maxTextLength;
    const clipped = tooLong ? text.slice(0, this.options.maxTextLength) : text;

    const guess = this.deps.detector.detect(clipped);
    if (!state.lang) lang = guess.confidence >= 0.5 ? guess.lang : this.options.defaultLang;
    else if (guess.lang !== lang && guess.confidence >= 0.9 && guess.words >= 3) lang = guess.lang; // clear switch

    let match = this.match(clipped, lang);
    // A short message in another language ("merci" in an English conversation): if it is understood
    // there and not here, the customer switched.
    if (guess.lang !== lang && match.confidence < this.options.answerThreshold) {
      const other = this.match(clipped, guess.lang);
      if (other.confidence >= this.options.answerThreshold && other.confidence > match.confidence) {
        match = other;
        lang = guess.lang;
      }
    }
    state.lang = lang;
    if (trace) {
      trace.lang = lang;
      trace.match = match;
    }
    const replies = this.decide(match, lang);
    if (tooLong) replies.unshift({ text: MESSAGES[lang].tooLong, source: { kind: 'fallback' }, lang });
    return replies;
  }

  private decide(match: MatchResult, lang: Lang): Reply[] {
    const d = decide(match, (id) => this.byId.get(id)?.kind, this.options);
    if (d.action === 'answer') return [this.answer(this.byId.get(d.id)!, lang, d.confidence)];
    if (d.action === 'clarify') {
      const [e1, e2] = d.ids.map((id) => this.byId.get(id)!);
      return [
        {
          text: MESSAGES[lang].clarify,
          suggestions: [this.suggestion(e1!, lang), this.suggestion(e2!, lang), { label: MESSAGES[lang].noneOfThese, value: 'fallback' }],
          source: { kind: 'clarify', id: e1!.id, confidence: round(d.confidence) },
          lang,
        },
      ];
    }
    return [this.fallback(lang, d.confidence, d.id)];
  }

  private answer(e: KbEntry, lang: Lang, confidence?: number): Reply {
    const text = e.answer[lang] ?? LANGS.map((l) => e.answer[l]).find(Boolean) ?? '';
    const kind = e.kind === 'smalltalk' ? 'smalltalk' : e.kind === 'handoff' ? 'handoff' : 'faq';
    const suggestions = e.followUps.map((id) => this.byId.get(id)).filter((x): x is KbEntry => !!x).map((f) => this.suggestion(f, lang));
    if (kind === 'handoff') suggestions.length = 0;
    return {
      text,
      ...(suggestions.length ? { suggestions } : {}),
      source: { kind, id: e.id, ...(confidence !== undefined ? { confidence: round(confidence) } : {}) },
      lang,
    };
  }

  private fallback(lang: Lang, confidence?: number, id?: string): Reply {
    const topics = this.deps.kb.topics.filter((t) => this.deps.kb.entries.some((e) => e.topic === t.id && e.kind === 'faq'));
    const suggestions: Suggestion[] = topics
      .slice(0, this.options.fallbackTopics)
      .map((t) => ({ label: t.title[lang] ?? t.id, value: `topic:${t.id}` }));
    suggestions.push({ label: MESSAGES[lang].talkToPerson, value: 'handoff' });
    return { text: MESSAGES[lang].fallback, suggestions, source: { kind: 'fallback', ...(id ? { id } : {}), ...(confidence !== undefined ? { confidence: round(confidence) } : {}) }, lang };
  }

  private suggestion(e: KbEntry, lang: Lang): Suggestion {
    return { label: e.title[lang] ?? e.questions[lang]?.[0] ?? e.id, value: `faq:${e.id}` };
  }

  private onAction(state: ConversationState, action: string): Reply[] {
    const lang = state.lang ?? this.options.defaultLang;
    const [verb, arg] = action.includes(':') ? [action.slice(0, action.indexOf(':')), action.slice(action.indexOf(':') + 1)] : [action, ''];
    if (verb === 'faq') {
      const e = this.byId.get(arg);
      if (e && e.kind !== 'outofscope') return [this.answer(e, lang, 1)];
    } else if (verb === 'topic') {
      const t = this.deps.kb.topics.find((x) => x.id === arg);
      if (t) {
        const entries = this.deps.kb.entries.filter((e) => e.topic === t.id && e.kind === 'faq' && e.questions[lang]?.length);
        return [
          {
            text: MESSAGES[lang].topicIntro(t.title[lang] ?? t.id),
            suggestions: entries.map((e) => this.suggestion(e, lang)),
            source: { kind: 'clarify', id: `topic:${t.id}` },
            lang,
          },
        ];
      }
    } else if (verb === 'handoff') {
      const h = this.deps.kb.entries.find((e) => e.kind === 'handoff');
      if (h) return [this.answer(h, lang, 1)];
      return [{ text: MESSAGES[lang].talkToPerson, source: { kind: 'handoff' }, lang }];
    } else if (verb === 'fallback') {
      return [this.fallback(lang)];
    }
    return [{ text: MESSAGES[lang].unknownAction, source: { kind: 'fallback' }, lang }];
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
