/**
 * Dialog transcripts written as data: test/dialogs/*.yaml. Each case is a conversation (customer says or
 * clicks -> what the bot must reply); `backoffice: down` runs it with a back office that fails.
 *
 * A turn's `expect` (or each of a list of them) must match ONE reply of the turn: `kind` (reply source kind), `id` (dialog or entry id),
 * `contains` (case-insensitive substring), `message` (exactly the engine's own sentence of that name in
 * src/dialogs/messages.ts, in the case's language: `cancelled`, `lookupFailed`...), `offers` (a button with
 * that value on the same reply) and `notOffers` (no button with that value on it). After the turn, `dialog` checks the conversation's state: `none` (no dialog
 * running: the next message is a new request) or the id of the running dialog; `handoff` checks whether a person
 * was asked for (`queued`) or not (`none`); `slots` checks values the running dialog holds (`photosCount: "2"`).
 * A customer turn may carry files as a channel hands them to the engine after storing them:
 * `attachments: [{ name: colis.jpg, contentType: image/jpeg, size: 1234 }]` (ids are made up), with or without `says`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { buildCore } from '../src/app';
import { FileConnector } from '../src/connectors/file';
import { ConnectorError, type Connector } from '../src/connectors/types';
import { DIALOG_MESSAGES } from '../src/dialogs/messages';
import { LANGS, type Lang, type Reply } from '../src/domain/types';
import { MemoryConversationStore } from '../src/storage/memory';
import { testConfig } from './support/config';

const ROOT = join(__dirname, '..');
/** The engine's fixed sentences (not the templated ones). */
type Messages = (typeof DIALOG_MESSAGES)['en'];
type MessageName = { [K in keyof Messages]: Messages[K] extends string ? K : never }[keyof Messages];
const MESSAGE_NAMES = (Object.keys(DIALOG_MESSAGES.en) as (keyof Messages)[]).filter(
  (k): k is MessageName => typeof DIALOG_MESSAGES.en[k] === 'string',
) as [MessageName, ...MessageName[]];
const expectation = z
  .object({
    kind: z.string().optional(),
    id: z.string().optional(),
    contains: z.string().min(1).optional(),
    message: z.enum(MESSAGE_NAMES).optional(),
    offers: z.string().min(1).optional(),
    notOffers: z.string().min(1).optional(),
  })
  .strict();
const caseSchema = z.array(
  z
    .object({
      name: z.string(),
      lang: z.enum(LANGS),
      backoffice: z.enum(['up', 'down']).optional(),
      turns: z
        .array(
          z
            .object({
              says: z.string().optional(),
              click: z.string().optional(),
              attachments: z
                .array(
                  z
                    .object({
                      name: z.string().min(1),
                      contentType: z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/),
                      size: z.number().int().min(1),
                    })
                    .strict(),
                )
                .min(1)
                .optional(),
              slots: z.record(z.string(), z.string()).optional(),
              expect: z.union([expectation, z.array(expectation).min(1)]),
              dialog: z.string().min(1).optional(),
              handoff: z.enum(['queued', 'none']).optional(),
            })
            .strict(),
        )
        .min(1),
    })
    .strict(),
);

const dir = join(__dirname, 'dialogs');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
// The shipped knowledge base and dialogs, from a clean test environment.
const config = testConfig();
const up = new FileConnector(join(ROOT, 'data', 'backoffice.json'));
const down: Connector = {
  lookup: async () => {
    throw new ConnectorError('back office timed out after 3000 ms');
  },
};
// Dates in the sample back office are relative to this day.
const now = () => new Date('2026-11-25T10:00:00Z');
const cores = {
  up: buildCore(config, new MemoryConversationStore(), undefined, up, now),
  down: buildCore(config, new MemoryConversationStore(), undefined, down, now),
};

const matches = (r: Reply, e: z.infer<typeof expectation>, lang: Lang) =>
  (e.kind === undefined || r.source.kind === e.kind) &&
  (e.id === undefined || r.source.id === e.id) &&
  (e.contains === undefined || r.text.toLowerCase().includes(e.contains.toLowerCase())) &&
  (e.message === undefined || r.text === DIALOG_MESSAGES[lang][e.message]) &&
  (e.offers === undefined || (r.suggestions ?? []).some((s) => s.value === e.offers)) &&
  (e.notOffers === undefined || !(r.suggestions ?? []).some((s) => s.value === e.notOffers));

describe.each(files)('%s', (file) => {
  const cases = caseSchema.parse(parse(readFileSync(join(dir, file), 'utf8')));
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { engine } = cores[c.backoffice ?? 'up'];
    const conv = await engine.createConversation({ channel: 'test', lang: c.lang });
    for (const [i, t] of c.turns.entries()) {
      const attachments = t.attachments?.map((a, k) => ({ id: `att-${i + 1}-${k + 1}`, ...a }));
      const replies = await engine.handle({
        conversationId: conv.id,
        channel: 'test',
        ...(t.click !== undefined
          ? { action: t.click }
          : attachments
            ? { ...(t.says !== undefined ? { text: t.says } : {}), attachments }
            : { text: t.says ?? '' }),
      });
      const label = `turn ${i + 1} (${[t.says ?? t.click, ...(t.attachments ?? []).map((a) => a.name)].join(' + ')})`;
      const seen = replies
        .map(
          (r) =>
            `[${r.source.kind}${r.source.id ? ' ' + r.source.id : ''}] ${r.text}` +
            (r.suggestions?.length ? ` {${r.suggestions.map((s) => s.value).join(', ')}}` : ''),
        )
        .join('\n');
      for (const e of Array.isArray(t.expect) ? t.expect : [t.expect])
        if (!replies.some((r) => matches(r, e, c.lang)))
          throw new Error(`${label}: expected ${JSON.stringify(e)}, got:\n${seen}`);
      if (t.dialog !== undefined || t.handoff !== undefined || t.slots !== undefined) {
        const state = (await engine.getConversation(conv.id))!;
        const dialog = state.dialog?.dialogId ?? 'none';
        if (t.dialog !== undefined && dialog !== t.dialog)
          throw new Error(`${label}: expected dialog ${t.dialog} after the turn, it is ${dialog}; replies:\n${seen}`);
        const handoff = state.handoff?.status ?? 'none';
        if (t.handoff !== undefined && handoff !== t.handoff)
          throw new Error(`${label}: expected the handoff to be ${t.handoff}, it is ${handoff}; replies:\n${seen}`);
        for (const [slot, value] of Object.entries(t.slots ?? {}))
          if (state.dialog?.slots[slot] !== value)
            throw new Error(
              `${label}: expected slot ${slot} = ${JSON.stringify(value)}, got ${JSON.stringify(state.dialog?.slots[slot])}`,
            );
      }
    }
  });
});

describe('satisfaction answer', () => {
  it('is stored with the conversation', async () => {
    const { engine } = cores.up;
    const conv = await engine.createConversation({ channel: 'test', lang: 'fr' });
    await engine.handle({ conversationId: conv.id, channel: 'test', text: 'où en est ma réparation R-205340 ?' });
    expect((await engine.getConversation(conv.id))!.awaitingCsat).toBe(true);
    await engine.handle({ conversationId: conv.id, channel: 'test', action: 'csat:5' });
    const state = await engine.getConversation(conv.id);
    expect(state!.csat).toEqual({ score: 5, at: '2026-11-25T10:00:00.000Z' });
    expect(state!.awaitingCsat).toBe(false);
    expect(state!.dialog).toBeNull();
  });
});
