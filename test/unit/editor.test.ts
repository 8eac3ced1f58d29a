import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { KbEntry, KnowledgeBase, Lang } from '../../src/domain/types';
import { Engine } from '../../src/engine/engine';
import { addQuestion, appendEntry, editEntry, removeEntry, setLangText, setQuestions } from '../../src/editor/yamlEdit';
import type { Matcher, MatchResult } from '../../src/matching/matcher';
import { LanguageDetector } from '../../src/nlp/language';
import type { NewMessage } from '../../src/domain/conversation';
import { MemoryConversationStore } from '../../src/storage/memory';

const KB_DIR = resolve(__dirname, '..', '..', 'knowledge-base');
const files = readdirSync(KB_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ name: f, source: readFileSync(join(KB_DIR, f), 'utf8') }));

function ranges(source: string): { id: string; from: number; to: number }[] {
  const seq = parseDocument(source).get('entries', true);
  if (!isSeq(seq)) return [];
  return seq.items.map((i) => ({
    id: String((isMap(i) && i.get('id')) ?? ''),
    from: (i as { range: number[] }).range[0]!,
    to: (i as { range: number[] }).range[2]!,
  }));
}

describe('YAML write-back of one entry (every entry of every shipped file)', () => {
  const all = files.flatMap((f) => ranges(f.source).map((r) => ({ file: f.name, source: f.source, ...r })));

  test.each(all.map((e) => [e.file, e.id, e] as const))(
    '%s %s: edit, add a question: bytes outside the entry unchanged',
    (_f, id, e) => {
      const out = editEntry(e.source, id, (doc, node) => {
        setLangText(doc, node, 'answer', 'ro', 'Răspuns nou, cu "ghilimele" și: două puncte # nu e comentariu');
        setLangText(doc, node, 'title', 'en', 'New title');
        setQuestions(doc, node, 'fr', ['première question ?', 'deuxième: question']);
        addQuestion(doc, node, 'en', 'one more question');
      });
      const now = ranges(out).find((r) => r.id === id)!;
      expect(out.slice(0, now.from)).toBe(e.source.slice(0, e.from));
      expect(out.slice(now.to)).toBe(e.source.slice(e.to));
      const data = (
        parseDocument(out).toJS() as {
          entries: {
            id: string;
            answer: Record<string, string>;
            title: Record<string, string>;
            questions: Record<string, string[]>;
          }[];
        }
      ).entries.find((x) => x.id === id)!;
      expect(data.answer.ro).toBe('Răspuns nou, cu "ghilimele" și: două puncte # nu e comentariu');
      expect(data.title.en).toBe('New title');
      expect(data.questions.fr).toEqual(['première question ?', 'deuxième: question']);
      expect(data.questions.en!.at(-1)).toBe('one more question');
    },
  );

  test.each(all.map((e) => [e.file, e.id, e] as const))(
    '%s %s: removed, the other entries are unchanged byte for byte',
    (_f, id, e) => {
      const out = removeEntry(e.source, id);
      const others = ranges(e.source).filter((r) => r.id !== id);
      expect(ranges(out).map((r) => r.id)).toEqual(others.map((r) => r.id));
      for (const [i, r] of ranges(out).entries())
        expect(out.slice(r.from, r.to)).toBe(e.source.slice(others[i]!.from, others[i]!.to));
      // The file's header (comments, topic, title) is kept.
      const first = ranges(e.source)[0]!;
      expect(out.startsWith(e.source.slice(0, e.source.lastIndexOf('\n', first.from) + 1))).toBe(true);
    },
  );

  test.each(files.filter((f) => ranges(f.source).length > 0).map((f) => [f.name, f] as const))(
    '%s: an appended entry leaves the file before it unchanged',
    (_n, f) => {
      const out = appendEntry(f.source, {
        id: 'appended-entry',
        questions: { en: ['a new question'] },
        answer: { en: 'A new answer.' },
      });
      const last = ranges(f.source).at(-1)!;
      expect(out.slice(0, last.to)).toBe(f.source.slice(0, last.to));
      // After one blank line, like the entries before it.
      expect(out.slice(f.source.trimEnd().length)).toMatch(/^\n\n {2}- id: appended-entry\n/);
      expect(ranges(out).at(-1)!.id).toBe('appended-entry');
    },
  );
});

describe('engine.publish', () => {
  const entry = (id: string, answer: string): KbEntry => ({
    id,
    kind: 'faq',
    topic: 't',
    title: { en: id },
    questions: { en: ['q'] },
    answer: { en: answer },
    tags: [],
    products: [],
    followUps: [],
    source: { file: 'kb.yaml', line: 1 },
  });
  const kb = (version: string, answer: string): KnowledgeBase => ({
    entries: [entry('a', answer)],
    topics: [],
    synonyms: {},
    version,
  });
  const matcher = {
    match: (_t: string, lang: Lang): MatchResult => ({
      lang,
      candidates: [{ id: 'a', score: 1 }],
      confidence: 1,
      similarity: 1,
    }),
  } as unknown as Matcher;
  const detector = new LanguageDetector({ en: ['q'] });

  /** A store whose writes wait until the test lets them go: a turn can be caught in the middle. */
  class GatedStore extends MemoryConversationStore {
    gate: Promise<void> | undefined;
    override async append(id: string, m: NewMessage[]) {
      if (this.gate) await this.gate;
      return super.append(id, m);
    }
  }

  test('a turn running while new content is published finishes with the version it started with; the next uses the new one', async () => {
    const store = new GatedStore();
    const engine = new Engine({ kb: kb('v1', 'old answer'), matcher, detector, store, options: { defaultLang: 'en' } });
    const conv = await engine.createConversation({ channel: 'test', lang: 'en' });
    let release!: () => void;
    store.gate = new Promise((r) => (release = r));
    const running = engine.handle({ conversationId: conv.id, text: 'q', channel: 'test' });
    await new Promise((r) => setImmediate(r));
    engine.publish({ kb: kb('v2', 'new answer'), matcher, detector });
    expect(engine.kbVersion).toBe('v2');
    store.gate = undefined;
    release();
    expect((await running).map((r) => r.text)).toEqual(['old answer']);
    expect((await engine.handle({ conversationId: conv.id, text: 'q', channel: 'test' })).map((r) => r.text)).toEqual([
      'new answer',
    ]);
    const bot = (await engine.transcript(conv.id)).filter((m) => m.from === 'bot');
    expect(bot.map((m) => [m.text, m.kbVersion])).toEqual([
      ['old answer', 'v1'],
      ['new answer', 'v2'],
    ]);
  });
});
