/**
 * npm run chat [-- --lang fr|ro|en] — talk to the engine in the terminal.
 * Commands: /lang xx (switch), /why (candidates of the last match), /new (new conversation), /quit.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { buildCore } from '../src/app';
import { loadConfig, loadDotEnv } from '../src/config';
import { ContentError, formatIssue } from '../src/domain/errors';
import { isLang, type Lang, type Reply } from '../src/domain/types';
import type { TurnTrace } from '../src/engine/engine';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { lang: { type: 'string' } } });
  loadDotEnv();
  const config = loadConfig();
  let core;
  try {
    core = buildCore(config);
  } catch (e) {
    if (e instanceof ContentError) {
      console.error(`The knowledge base has errors:\n${e.issues.map(formatIssue).join('\n')}`);
      process.exit(1);
    }
    throw e;
  }
  const { engine, kb } = core;
  let lang: Lang | undefined = isLang(values.lang) ? values.lang : undefined;
  let conv = await engine.createConversation({ channel: 'terminal', lang });
  let last: TurnTrace | undefined;
  const tty = process.stdin.isTTY;
  console.log(
    `Knowledge base ${kb.version}: ${kb.entries.length} entries. Type a question (fr/ro/en); /why, /lang xx, /new, /quit.`,
  );
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty });
  const show = (replies: Reply[]) => {
    for (const r of replies) {
      const s = r.source;
      console.log(
        `bot> ${r.text}\n     [${s.kind}${s.id ? ' ' + s.id : ''}${s.confidence !== undefined ? ' ' + s.confidence.toFixed(2) : ''}, ${r.lang}]`,
      );
      r.suggestions?.forEach((sg, i) => console.log(`     ${i + 1}. ${sg.label}  (${sg.value})`));
    }
  };
  let lastSuggestions: { value: string }[] = [];
  if (tty) {
    rl.setPrompt('you> ');
    rl.prompt();
  }
  for await (const line of rl) {
    const text = line.trim();
    if (text === '/quit' || text === '/exit') break;
    if (text === '/new') {
      conv = await engine.createConversation({ channel: 'terminal', lang });
      console.log('(new conversation)');
    } else if (text.startsWith('/lang')) {
      const l = text.split(/\s+/)[1];
      if (isLang(l)) {
        lang = l;
        conv = await engine.createConversation({ channel: 'terminal', lang });
        console.log(`(new conversation in ${l})`);
      } else console.log('usage: /lang fr|ro|en');
    } else if (text === '/why') {
      if (!last?.match) console.log('(nothing matched yet)');
      else {
        console.log(
          `language ${last.lang}, confidence ${last.match.confidence.toFixed(3)}, similarity ${last.match.similarity.toFixed(3)}`,
        );
        for (const c of last.match.candidates) console.log(`  ${c.id.padEnd(24)} ${c.score.toFixed(3)}`);
      }
    } else if (/^\d+$/.test(text) && lastSuggestions[Number(text) - 1]) {
      const replies = await engine.handle({
        conversationId: conv.id,
        channel: 'terminal',
        action: lastSuggestions[Number(text) - 1]!.value,
      });
      lastSuggestions = replies.flatMap((r) => r.suggestions ?? []);
      show(replies);
    } else {
      last = { lang: lang ?? 'fr' };
      const replies = await engine.handle({ conversationId: conv.id, channel: 'terminal', text }, last);
      lastSuggestions = replies.flatMap((r) => r.suggestions ?? []);
      show(replies);
    }
    if (tty) rl.prompt();
  }
  rl.close();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
