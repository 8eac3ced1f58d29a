/**
 * npm run dead-letters [-- --replay <id>|all] — list the outbox events (agents' webhook, Chatwoot relay, mails) that
 * could not be delivered after the last attempt, and put them back in the queue (same webhook-id and body: receivers
 * deduplicate).
 */
import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv } from '../src/config';
import { createStore } from '../src/storage/sql/store';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { replay: { type: 'string' } } });
  loadDotEnv();
  const config = loadConfig();
  const store = await createStore(config.storage);
  try {
    const dead = await store.listDead();
    if (values.replay) {
      const ids = values.replay === 'all' ? dead.map((e) => e.id) : [Number(values.replay)];
      if (ids.some((id) => !Number.isInteger(id))) {
        console.error(`--replay takes an event id or "all", not "${values.replay}"`);
        return 2;
      }
      let n = 0;
      for (const id of ids) if (await store.replay(id, new Date())) n++;
      console.log(
        `${n} event(s) back in the queue${n < ids.length ? ` (${ids.length - n} not dead: nothing done)` : ''}.`,
      );
      return n === ids.length ? 0 : 1;
    }
    if (dead.length === 0) console.log('No dead letters.');
    for (const e of dead)
      console.log(
        `${e.id}\t${e.target}\t${e.type}\tconversation ${e.conversationId} #${e.seq}\t${e.webhookId}\t${e.attempts} attempts\t${e.lastError ?? ''}`,
      );
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`dead-letters: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
