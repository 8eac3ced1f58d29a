import MiniSearch from 'minisearch';

/** Plain minisearch with the defaults its documentation suggests (fuzzy 0.2, prefix): best hit's intent. */
export function buildMinisearch(intents: { intent: string; questions: string[] }[]) {
  const ms = new MiniSearch<{ id: number; text: string; intent: string }>({
    fields: ['text'],
    storeFields: ['intent'],
  });
  let id = 0;
  for (const i of intents) for (const q of i.questions) ms.add({ id: id++, text: q, intent: i.intent });
  return (text: string): { predicted: string | null; confidence: number } => {
    const hit = ms.search(text, { fuzzy: 0.2, prefix: true })[0];
    return { predicted: hit ? (hit['intent'] as string) : null, confidence: hit ? 1 : 0 };
  };
}
