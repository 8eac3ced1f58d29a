import { parseFeedback, type ReplySource } from '../domain/types';
import type { MessageRecord } from '../domain/conversation';
import type { ConversationRecord } from '../domain/insights';

/**
 * What customers tell us about the answers, read from the transcripts (a vote is the customer's click, stored as a
 * message with the action `feedback:<up|down>:<entry>`; nothing else is written for it).
 *
 * - Helpfulness of an entry: its 👍 and 👎, the last vote of a conversation on that entry counting once (a customer
 *   who changes their mind is counted with their last word); rate = 👍 / (👍 + 👎).
 * - An answer probably wrong: a typed customer message answered from an entry (reply kind "faq"), followed by a 👎 on
 *   that entry, or whose very next customer message, written within `windowMs` of the answer, is a request for a
 *   person, or a rephrasing: typed text answered from a different entry, with a "did you mean", or with the fallback.
 */
export interface EntryHelpfulness {
  up: number;
  down: number;
  /** 👍 / (👍 + 👎), null without votes. */
  rate: number | null;
}

export interface Helpfulness extends EntryHelpfulness {
  byEntry: Record<string, EntryHelpfulness>;
}

/** The answer a customer message got, for the editors' inbox. */
export interface GivenAnswer {
  id: string;
  text: string;
  /** Why it is thought wrong. */
  signal: 'down-vote' | 'rephrased' | 'person';
}

/** A customer message followed within this time by a rephrasing or a request for a person: the answer missed. */
export const DEFAULT_REPHRASE_WINDOW_MS = 120_000;

const rateOf = (up: number, down: number) => (up + down ? up / (up + down) : null);

export function helpfulness(records: ConversationRecord[]): Helpfulness {
  const byEntry: Record<string, EntryHelpfulness> = {};
  let up = 0;
  let down = 0;
  for (const r of records) {
    const last = new Map<string, 'up' | 'down'>();
    for (const m of r.messages) {
      const v = m.from === 'customer' ? parseFeedback(m.action) : undefined;
      if (v) last.set(v.entryId, v.vote);
    }
    for (const [id, vote] of last) {
      const e = (byEntry[id] ??= { up: 0, down: 0, rate: null });
      if (vote === 'up') {
        e.up++;
        up++;
      } else {
        e.down++;
        down++;
      }
      e.rate = rateOf(e.up, e.down);
    }
  }
  return { up, down, rate: rateOf(up, down), byEntry };
}

interface Turn {
  customer: MessageRecord;
  replies: MessageRecord[];
}

/** The conversation as turns: each customer message with the bot's replies up to the next customer message. */
function turnsOf(messages: MessageRecord[]): Turn[] {
  const turns: Turn[] = [];
  for (const m of messages) {
    if (m.from === 'customer') turns.push({ customer: m, replies: [] });
    else if (m.from === 'bot' && m.source) turns.at(-1)?.replies.push(m);
  }
  return turns;
}

const isAnswer = (s: ReplySource | undefined) => s?.kind === 'faq' && s.id !== undefined;

/** Whether a turn shows that the answer before it missed (see above), and how. */
function missed(next: Turn, answer: MessageRecord): GivenAnswer['signal'] | undefined {
  const c = next.customer;
  if (c.action === 'handoff') return 'person';
  if (c.action !== undefined) return undefined;
  const kinds = next.replies.map((m) => m.source!);
  if (kinds.some((s) => s.kind === 'handoff')) return 'person';
  if (kinds.some((s) => isAnswer(s) && s.id !== answer.source!.id)) return 'rephrased';
  if (kinds.some((s) => isAnswer(s) || s.kind === 'smalltalk' || s.kind === 'dialog')) return undefined;
  if (kinds.some((s) => (s.kind === 'clarify' && !s.id?.startsWith('topic:')) || s.kind === 'fallback'))
    return 'rephrased';
  return undefined;
}

/** The typed customer messages whose answer was probably wrong, by message id, with the answer they got. */
export function probablyWrong(r: ConversationRecord, windowMs = DEFAULT_REPHRASE_WINDOW_MS): Map<number, GivenAnswer> {
  const out = new Map<number, GivenAnswer>();
  const turns = turnsOf(r.messages);
  turns.forEach((t, i) => {
    const vote = parseFeedback(t.customer.action);
    if (vote?.vote === 'down') {
      // The latest typed question answered from that entry before the vote.
      for (let j = i - 1; j >= 0; j--) {
        const a = turns[j]!.replies.find((m) => isAnswer(m.source) && m.source!.id === vote.entryId);
        if (!a) continue;
        if (turns[j]!.customer.action === undefined)
          out.set(turns[j]!.customer.id, { id: vote.entryId, text: a.text, signal: 'down-vote' });
        break;
      }
      return;
    }
    const answer = t.replies.find((m) => isAnswer(m.source));
    const next = turns[i + 1];
    if (!answer || !next || t.customer.action !== undefined || out.has(t.customer.id)) return;
    if (Date.parse(next.customer.at) - Date.parse(answer.at) > windowMs) return;
    const signal = missed(next, answer);
    if (signal) out.set(t.customer.id, { id: answer.source!.id!, text: answer.text, signal });
  });
  return out;
}
