import { LANGS, type KbEntry, type Lang, type Reply, type Suggestion } from '../domain/types';
import type { Candidate } from '../matching/matcher';
import { MESSAGES } from './messages';
import type { Live } from './types';

/** Confidences are shown with three decimals. */
export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The button that asks an entry's question. */
export function suggestionOf(e: KbEntry, lang: Lang): Suggestion {
  return { label: e.title[lang] ?? e.questions[lang]?.[0] ?? e.id, value: `faq:${e.id}` };
}

/** An entry's answer (in `lang`, else the first language it has), with its follow-up questions as buttons. */
export function answerReply(c: Live, e: KbEntry, lang: Lang, confidence?: number): Reply {
  const text = e.answer[lang] ?? LANGS.map((l) => e.answer[l]).find(Boolean) ?? '';
  const kind = e.kind === 'smalltalk' ? 'smalltalk' : e.kind === 'handoff' ? 'handoff' : 'faq';
  const suggestions = e.followUps
    .map((id) => c.byId.get(id))
    .filter((x): x is KbEntry => !!x)
    .map((f) => suggestionOf(f, lang));
  if (kind === 'handoff') suggestions.length = 0;
  return {
    text,
    ...(suggestions.length ? { suggestions } : {}),
    source: { kind, id: e.id, ...(confidence !== undefined ? { confidence: round(confidence) } : {}) },
    lang,
    // "Was this helpful?" under knowledge-base answers only (not small talk, a handoff notice or a dialog).
    ...(kind === 'faq' ? { feedback: true } : {}),
  };
}

/** "Did you mean A or B?" */
export function clarifyReply(c: Live, ids: [string, string], lang: Lang, confidence: number): Reply {
  const [e1, e2] = ids.map((id) => c.byId.get(id)!);
  return {
    text: MESSAGES[lang].clarify,
    suggestions: [
      suggestionOf(e1!, lang),
      suggestionOf(e2!, lang),
      { label: MESSAGES[lang].noneOfThese, value: 'fallback' },
    ],
    source: { kind: 'clarify', id: e1!.id, confidence: round(confidence) },
    lang,
  };
}

/**
 * The honest "I did not understand", offering `topics` topics: those of the closest candidates first (best first,
 * each once), then the first topics that have questions; and a person.
 */
export function fallbackReply(
  c: Live,
  topics: number,
  lang: Lang,
  confidence?: number,
  id?: string,
  candidates: readonly Candidate[] = [],
): Reply {
  const withFaq = c.kb.topics.filter((t) => c.kb.entries.some((e) => e.topic === t.id && e.kind === 'faq'));
  const close = [
    ...new Set(
      candidates
        .map((k) => c.byId.get(k.id))
        .filter((e): e is KbEntry => e?.kind === 'faq')
        .map((e) => e.topic),
    ),
  ];
  const chosen = close.map((t) => withFaq.find((x) => x.id === t)).filter((t) => t !== undefined);
  // Then the main topics, so that the customer always has as many ways on.
  const suggestions: Suggestion[] = [...new Set([...chosen, ...withFaq])]
    .slice(0, topics)
    .map((t) => ({ label: t.title[lang] ?? t.id, value: `topic:${t.id}` }));
  suggestions.push({ label: MESSAGES[lang].talkToPerson, value: 'handoff' });
  return {
    text: MESSAGES[lang].fallback,
    suggestions,
    source: {
      kind: 'fallback',
      ...(id ? { id } : {}),
      ...(confidence !== undefined ? { confidence: round(confidence) } : {}),
    },
    lang,
  };
}

/** A topic's questions as buttons, or undefined for an unknown topic. */
export function topicReply(c: Live, topicId: string, lang: Lang): Reply | undefined {
  const t = c.kb.topics.find((x) => x.id === topicId);
  if (!t) return undefined;
  const entries = c.kb.entries.filter((e) => e.topic === t.id && e.kind === 'faq' && e.questions[lang]?.length);
  return {
    text: MESSAGES[lang].topicIntro(t.title[lang] ?? t.id),
    suggestions: entries.map((e) => suggestionOf(e, lang)),
    source: { kind: 'clarify', id: `topic:${t.id}` },
    lang,
  };
}

/**
 * The greeting: the knowledge base's 'greeting' small-talk entry, so editors change it like any answer; undefined
 * without one.
 */
export function welcomeReply(c: Live, lang: Lang): Reply | undefined {
  const entry = c.byId.get('greeting');
  return entry ? answerReply(c, entry, lang) : undefined;
}
