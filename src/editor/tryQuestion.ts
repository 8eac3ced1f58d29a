import { LANGS, type Lang } from '../domain/types';
import { decide, type Engine } from '../engine/engine';
import { resolveLanguage } from '../nlp/language';

/** What the bot would do with `text` right now (editors' "try a question"), on the engine's published content. */
export function tryQuestion(engine: Pick<Engine, 'content' | 'options' | 'match'>, text: string, lang?: Lang) {
  const content = engine.content;
  // The bot's own language rule for a first message (threshold, default language), so the console agrees with it.
  const l = lang ?? resolveLanguage(content.detector, text, undefined, engine.options.defaultLang).lang;
  const match = engine.match(text, l);
  const byId = new Map(content.kb.entries.map((e) => [e.id, e]));
  const decision = decide(match, (id) => byId.get(id)?.kind, engine.options);
  const view = (id: string | undefined, confidence: number) => {
    const e = id ? byId.get(id) : undefined;
    return e
      ? {
          id: e.id,
          title: e.title[l] ?? LANGS.map((x) => e.title[x]).find(Boolean) ?? e.id,
          confidence: Math.round(confidence * 1000) / 1000,
        }
      : null;
  };
  const [c1, c2] = match.candidates;
  return {
    lang: l,
    version: content.kb.version,
    decision: decision.action,
    match: view(c1?.id, match.confidence),
    runnerUp: view(c2?.id, c2?.score ?? 0),
  };
}
