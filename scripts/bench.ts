/**
 * npm run bench [-- --messages N] [-- --pg postgres://...] — per-message cost of persistence: messages per
 * second through the engine with the in-memory store, then with SQLite (a temp file, WAL), and PostgreSQL
 * when --pg is given, in the same run on the same conversations. Prints the ratios.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCore } from '../src/app';
import { loadConfig } from '../src/config';
import { MemoryConversationStore } from '../src/storage/memory';
import type { ConversationStore } from '../src/storage/ports';
import { SqlConversationStore } from '../src/storage/sql/store';

const SCRIPT = [
  'bonjour',
  'où en est ma réparation ?',
  'R-204518',
  'merci',
  'combien de temps dure la garantie ?',
  'je veux retourner un produit',
  'MV-4810044',
  'Lave-vaisselle',
  'defective',
  'unopened',
  'quels sont les horaires du service client ?',
  'au revoir',
];

async function run(name: string, store: ConversationStore, messages: number): Promise<number> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const { engine } = buildCore(config, store, undefined, undefined, () => new Date('2026-11-25T10:00:00Z'));
  // Warm-up, untimed.
  for (let i = 0; i < 2; i++) {
    const c = await engine.createConversation({ channel: 'bench', lang: 'fr' });
    for (const text of SCRIPT) await engine.handle({ conversationId: c.id, channel: 'bench', text });
  }
  const t0 = performance.now();
  let sent = 0;
  while (sent < messages) {
    const c = await engine.createConversation({ channel: 'bench', lang: 'fr' });
    for (const text of SCRIPT) {
      await engine.handle({ conversationId: c.id, channel: 'bench', text });
      if (++sent >= messages) break;
    }
  }
  const perSecond = (sent * 1000) / (performance.now() - t0);
  await store.close();
  process.stderr.write(`${name}: ${sent} messages, ${perSecond.toFixed(0)} messages/s\n`);
  return perSecond;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '3000' }, pg: { type: 'string' } } });
  const n = Number(values.messages);
  const dir = mkdtempSync(join(tmpdir(), 'savbot-bench-'));
  try {
    const memory = await run('engine alone (memory store)', new MemoryConversationStore(), n);
    const sqlite = await run(
      'engine + SQLite (WAL)',
      await SqlConversationStore.open({ sqliteFile: join(dir, 'bench.db') }),
      n,
    );
    console.log(
      `engine alone: ${memory.toFixed(0)} msg/s; with SQLite: ${sqlite.toFixed(0)} msg/s; SQLite/memory = ${(sqlite / memory).toFixed(2)}`,
    );
    if (values.pg) {
      const pg = await run('engine + PostgreSQL', await SqlConversationStore.open({ url: values.pg }), n);
      console.log(`with PostgreSQL: ${pg.toFixed(0)} msg/s; PostgreSQL/memory = ${(pg / memory).toFixed(2)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
