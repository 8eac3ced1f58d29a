import type { Lang } from '../../src/domain/types';

// node-nlp is a devDependency used only to measure a peer; it has no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { NlpManager } = require('node-nlp') as {
  NlpManager: new (o: object) => {
    addDocument(lang: string, text: string, intent: string): void;
    train(): Promise<void>;
    process(lang: string, text: string): Promise<{ intent: string; score: number }>;
  };
};

/** nlp.js (node-nlp NlpManager) with its defaults: intent "None" means it declines to answer. */
export async function buildNlpjs(lang: Lang, intents: { intent: string; questions: string[] }[]) {
  const manager = new NlpManager({ languages: [lang], forceNER: false, autoSave: false, nlu: { log: false } });
  for (const i of intents) for (const q of i.questions) manager.addDocument(lang, q, i.intent);
  await manager.train();
  return async (text: string): Promise<{ predicted: string | null; confidence: number }> => {
    const r = await manager.process(lang, text);
    return { predicted: r.intent && r.intent !== 'None' ? r.intent : null, confidence: r.score ?? 0 };
  };
}
