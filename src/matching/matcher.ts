import MiniSearch from 'minisearch';
import type { KnowledgeBase, Lang } from '../domain/types';
import { LANGS } from '../domain/types';
import type { Analysis, Analyzer } from '../nlp/analyzer';
import { askingClauses } from '../nlp/clauses';
import { isStopword } from '../nlp/stopwords';
import { DEFAULT_CLASSIFIER_OPTIONS, SoftmaxClassifier, type ClassifierOptions } from './classifier';
import { DEFAULT_FEATURE_OPTIONS, FeatureSpace, type FeatureOptions, type SparseVector } from './features';
import { NearestSample } from './nearest';
import { SpellingCorrector } from './spelling';
import { Vocabulary } from './subject';

export interface MatcherOptions {
  features: FeatureOptions;
  classifier: ClassifierOptions;
  /** Share of the final score that comes from full-text search (the rest from the trained classifier). */
  searchWeight: number;
  /** Full-text search (slower) runs only when the classifier's best score is below this. 1 = always. */
  searchBelow: number;
  /** Boost of the answer text against sample questions in full-text search. */
  answerBoost: number;
  /** minisearch fuzziness for terms the index does not know (0: off; typos are corrected before, by SpellingCorrector, at a fraction of the cost). */
  fuzzy: number;
  /** Share of the scores that comes from the asking clauses of a long message (the rest from the whole message). */
  askWeight: number;
  /** ...when they have at least this many content words. */
  askMinTerms: number;
}

export const DEFAULT_MATCHER_OPTIONS: MatcherOptions = {
  features: DEFAULT_FEATURE_OPTIONS,
  classifier: DEFAULT_CLASSIFIER_OPTIONS,
  searchWeight: 0.25,
  searchBelow: 0.25,
  answerBoost: 0.3,
  fuzzy: 0,
  askWeight: 0.5,
  askMinTerms: 2,
};

/** Defaults with some options replaced (nested option groups are merged too). */
export function mergeMatcherOptions(
  o:
    | (Partial<Omit<MatcherOptions, 'classifier' | 'features'>> & {
        classifier?: Partial<ClassifierOptions>;
        features?: Partial<FeatureOptions>;
      })
    | undefined,
): MatcherOptions {
  const d = DEFAULT_MATCHER_OPTIONS;
  if (!o) return d;
  return { ...d, ...o, classifier: { ...d.classifier, ...o.classifier }, features: { ...d.features, ...o.features } };
}

export interface Candidate {
  id: string;
  /** In [0,1]; candidates' scores sum to at most 1 over all entries of the language. */
  score: number;
  /**
   * Cosine similarity between the message and the entry's closest sample question: for the best candidate, and
   * for the runner-up when the best is small talk or off-topic (what decide() reads; it costs a fifth of a match).
   */
  similarity?: number;
}

export interface MatchResult {
  lang: Lang;
  /** Best first; at most 3. */
  candidates: Candidate[];
  /**
   * How sure we are that the best candidate is right, in [0,1]: the geometric mean of its score and of
   * `similarity`. High only when the classifier prefers the entry AND the message resembles something
   * the entry was taught, so unrelated questions that happen to lean towards one entry stay low.
   */
  confidence: number;
  /** Cosine similarity between the message and the closest sample question of the best candidate. */
  similarity: number;
  /**
   * The message's content words that no sample question or answer of the language uses, when nothing specific
   * that they use is there too: its subject is unknown to the shop (matching/subject.ts). Absent otherwise.
   */
  unknown?: string[];
  /** The message has at least LONG_WORDS words: a story around the question (decide() weighs off-topic less). */
  long?: boolean;
}

/** From this many words a message tells a story: its length alone leans it towards the off-topic examples. */
const LONG_WORDS = 12;

interface SearchDoc {
  id: number;
  entry: number;
  terms: string;
  answer: string;
}

// Terms are analyzed by us (stemmed, synonyms applied): minisearch only splits on spaces.
const SEARCH_OPTIONS = {
  fields: ['terms', 'answer'],
  tokenize: (s: string) => (s ? s.split(' ') : []),
  processTerm: (t: string) => t || null,
};

/** Words that are not stopwords (an analysis of only stopwords keeps them all as terms). */
function contentWords(a: Analysis): number {
  let n = 0;
  for (const w of a.words) if (!isStopword(w, a.lang)) n++;
  return n;
}

/** A trained language model as plain data (structured-cloneable): built in a worker thread, revived here. */
export interface LanguageModelState {
  lang: Lang;
  ids: string[];
  space: FeatureSpace;
  clf: SoftmaxClassifier;
  /** The minisearch index as JSON (MiniSearch.loadJSON rebuilds it without re-indexing). */
  search: string;
  known: Set<string>;
  spelling: SpellingCorrector;
  nearest: NearestSample[];
  vocabulary: Vocabulary;
  smalltalk: Uint8Array;
}

export interface MatcherState {
  models: LanguageModelState[];
}

/** One language's model: a minisearch index and a classifier over the same entries. */
class LanguageModel {
  readonly ids: string[];
  private readonly space: FeatureSpace;
  private readonly clf: SoftmaxClassifier;
  private readonly search: MiniSearch<SearchDoc>;
  private readonly known = new Set<string>();
  /** Words of the sample questions, for typo correction. */
  private readonly spelling = new SpellingCorrector();
  /** Per entry: how close a message is to one of the sample questions the entry was taught. */
  private readonly nearest: NearestSample[];
  private readonly probs: Float64Array;
  private readonly hits: Float64Array;
  private readonly askProbs: Float64Array;
  /**
   * Per class: 1 for small talk, 2 for the out-of-scope examples (the runner-up's similarity is then worth
   * computing: decide() reads it).
   */
  private readonly smalltalk: Uint8Array;
  /** Every word the entries use (questions and answers), for messages about something else. */
  private readonly vocabulary: Vocabulary;

  constructor(
    readonly lang: Lang,
    entries: { id: string; questions: string[]; answer: string; smalltalk?: boolean; outofscope?: boolean }[],
    private readonly analyzer: Analyzer,
    private readonly opts: MatcherOptions,
  ) {
    this.ids = entries.map((e) => e.id);
    this.smalltalk = Uint8Array.from(entries, (e) => (e.smalltalk ? 1 : e.outofscope ? 2 : 0));
    const docs: Analysis[] = [];
    this.vocabulary = new Vocabulary(lang);
    const ys: number[] = [];
    const searchDocs: SearchDoc[] = [];
    entries.forEach((e, c) => {
      const terms: string[] = [];
      for (const q of e.questions) {
        const a = analyzer.analyze(q, lang);
        for (const w of a.words) this.spelling.add(w);
        docs.push(a);
        this.vocabulary.add(a);
        ys.push(c);
        for (const t of a.terms) this.known.add(t);
        terms.push(a.terms.join(' '));
      }
      // One search document per entry: its sample questions together (scores aggregate per entry at
      // index time, and search stays fast with thousands of questions), the answer as a weaker field.
      const answer = e.answer ? analyzer.analyze(e.answer, lang) : undefined;
      if (answer) this.vocabulary.add(answer);
      searchDocs.push({ id: c, entry: c, terms: terms.join(' '), answer: answer ? answer.terms.join(' ') : '' });
    });
    this.space = new FeatureSpace(opts.features);
    this.space.fit(docs);
    this.clf = new SoftmaxClassifier(this.space.size, entries.length, opts.classifier);
    const xs = docs.map((d) => this.space.vector(d));
    this.clf.train(xs, ys);
    const perEntry: SparseVector[][] = entries.map(() => []);
    xs.forEach((x, i) => perEntry[ys[i]!]!.push(x));
    this.nearest = perEntry.map((list) => new NearestSample(list));
    this.search = new MiniSearch<SearchDoc>(SEARCH_OPTIONS);
    this.search.addAll(searchDocs);
    this.probs = new Float64Array(entries.length);
    this.hits = new Float64Array(entries.length);
    this.askProbs = new Float64Array(entries.length);
  }

  toState(): LanguageModelState {
    const { lang, ids, space, clf, known, spelling, nearest, vocabulary, smalltalk } = this;
    const search = JSON.stringify(this.search);
    return { lang, ids, space, clf: clf.portable(), search, known, spelling, nearest, vocabulary, smalltalk };
  }

  /** The model of `toState()` after a structured clone (which keeps the data, not the classes): no training. */
  static fromState(s: LanguageModelState, analyzer: Analyzer, opts: MatcherOptions): LanguageModel {
    const m = Object.create(LanguageModel.prototype) as LanguageModel;
    return Object.assign(m, {
      lang: s.lang,
      ids: s.ids,
      analyzer,
      opts,
      space: FeatureSpace.revive(s.space),
      clf: SoftmaxClassifier.revive(s.clf),
      search: MiniSearch.loadJSON<SearchDoc>(s.search, SEARCH_OPTIONS),
      known: s.known,
      spelling: SpellingCorrector.revive(s.spelling),
      nearest: s.nearest.map((n) => NearestSample.revive(n)),
      probs: new Float64Array(s.ids.length),
      hits: new Float64Array(s.ids.length),
      askProbs: new Float64Array(s.ids.length),
      smalltalk: s.smalltalk,
      vocabulary: Vocabulary.revive(s.vocabulary),
    });
  }

  /** Replace words the knowledge base never uses by a known word one edit away: "garentie" -> "garantie". */
  correct(a: Analysis): Analysis {
    let changed = false;
    const words = a.words.map((w) => {
      const fixed = this.spelling.correct(w);
      if (fixed === undefined) return w;
      changed = true;
      return fixed;
    });
    return changed ? this.analyzer.fromWords(words, a.lang) : a;
  }

  /** Entry probabilities of one analysis into `p` (classifier, blended with search when it is unsure). */
  private score(a: Analysis, p: Float64Array): SparseVector | undefined {
    const C = this.ids.length;
    const x = this.space.vector(a);
    if (x.idx.length === 0) return undefined;
    this.clf.softmax(x, p);
    const w = this.opts.searchWeight;
    let max = 0;
    for (let c = 0; c < C; c++) if (p[c]! > max) max = p[c]!;
    if (w > 0 && a.terms.length > 0 && max < this.opts.searchBelow) {
      this.hits.fill(0);
      const results = this.search.search(a.terms.join(' '), {
        boost: { terms: 1, answer: this.opts.answerBoost },
        fuzzy: (term) => (this.known.has(term) || term.length < 5 ? false : this.opts.fuzzy),
        maxFuzzy: 2,
        combineWith: 'OR',
      });
      let total = 0;
      for (const r of results) {
        this.hits[r.id as number] = r.score;
        total += r.score;
      }
      if (total > 0) for (let c = 0; c < C; c++) p[c] = (1 - w) * p[c]! + (w * this.hits[c]!) / total;
    }
    return x;
  }

  /**
   * `asking`: the asking clauses of a long message (nlp/clauses.ts), weighed `askWeight` against the whole
   * message: the story gives context, the question says what is wanted.
   */
  match(raw: Analysis, asking?: Analysis): MatchResult {
    const C = this.ids.length;
    const p = this.probs;
    const a = this.correct(raw);
    const x = this.score(a, p);
    if (!x) return { lang: this.lang, candidates: [], confidence: 0, similarity: 0 };
    let y: SparseVector | undefined;
    // An asking clause without its own subject ("what do I do?") says nothing the whole message does not.
    if (asking && contentWords(asking) >= this.opts.askMinTerms && asking.words.length < raw.words.length) {
      const q = this.askProbs;
      q.set(p);
      y = this.score(this.correct(asking), p);
      const k = this.opts.askWeight;
      if (y) for (let c = 0; c < C; c++) p[c] = (1 - k) * q[c]! + k * p[c]!;
      else p.set(q);
    }
    let b0 = -1;
    let b1 = -1;
    let b2 = -1;
    for (let c = 0; c < C; c++) {
      const v = p[c]!;
      if (b0 < 0 || v > p[b0]!) {
        b2 = b1;
        b1 = b0;
        b0 = c;
      } else if (b1 < 0 || v > p[b1]!) {
        b2 = b1;
        b1 = c;
      } else if (b2 < 0 || v > p[b2]!) b2 = c;
    }
    const long = raw.words.length >= LONG_WORDS;
    const near = (c: number) => Math.max(this.nearest[c]!.similarity(x), y ? this.nearest[c]!.similarity(y) : 0);
    const candidates = [b0, b1, b2]
      .filter((c) => c >= 0)
      .map((c, i) => ({
        id: this.ids[c]!,
        score: p[c]!,
        ...(i === 0 || (i === 1 && (this.smalltalk[b0]! > 0 || (long && this.smalltalk[c] === 2)))
          ? { similarity: near(c) }
          : {}),
      }));
    const similarity = candidates[0]?.similarity ?? 0;
    const unknown = this.vocabulary.unknownSubject(raw, a);
    return {
      lang: this.lang,
      candidates,
      confidence: Math.sqrt((candidates[0]?.score ?? 0) * similarity),
      similarity,
      ...(unknown.length ? { unknown } : {}),
      ...(long ? { long } : {}),
    };
  }
}

/**
 * Finds the knowledge-base entry a customer message is about: a classifier trained on the entries' own
 * sample questions ranks entries, blended with minisearch full-text scores (best hits summed per entry).
 */
export class Matcher {
  private readonly models = new Map<Lang, LanguageModel>();

  constructor(
    kb: Pick<KnowledgeBase, 'entries'>,
    private readonly analyzer: Analyzer,
    readonly opts: MatcherOptions = DEFAULT_MATCHER_OPTIONS,
  ) {
    for (const lang of LANGS) {
      const entries = kb.entries
        .filter((e) => (e.questions[lang]?.length ?? 0) > 0)
        .map((e) => ({
          id: e.id,
          questions: e.questions[lang]!,
          answer: e.answer[lang] ?? '',
          smalltalk: e.kind === 'smalltalk',
          outofscope: e.kind === 'outofscope',
        }));
      if (entries.length > 0) this.models.set(lang, new LanguageModel(lang, entries, analyzer, opts));
    }
  }

  /** The trained models as plain data, for another thread (see fromState). */
  toState(): MatcherState {
    return { models: [...this.models.values()].map((m) => m.toState()) };
  }

  /**
   * A matcher trained elsewhere (a worker thread): only the search indexes are reloaded, nothing is trained.
   * `between` runs after each language (the caller yields to the event loop there: requests are not held up).
   */
  static async fromState(
    state: MatcherState,
    analyzer: Analyzer,
    opts: MatcherOptions,
    between: () => Promise<void> = async () => {},
  ): Promise<Matcher> {
    const models = new Map<Lang, LanguageModel>();
    for (const s of state.models) {
      models.set(s.lang, LanguageModel.fromState(s, analyzer, opts));
      await between();
    }
    return Object.assign(Object.create(Matcher.prototype) as Matcher, { models, analyzer, opts });
  }

  languages(): Lang[] {
    return [...this.models.keys()];
  }

  match(text: string, lang: Lang): MatchResult {
    const model = this.models.get(lang);
    if (!model) return { lang, candidates: [], confidence: 0, similarity: 0 };
    const { asking } = askingClauses(text, lang);
    return model.match(
      this.analyzer.analyze(text, lang),
      asking !== undefined ? this.analyzer.analyze(asking, lang) : undefined,
    );
  }
}
