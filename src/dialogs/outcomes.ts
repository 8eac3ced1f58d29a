import type { Connector } from '../connectors/types';
import { ConnectorError, impossibleDate } from '../connectors/types';
import type { DialogState } from '../domain/conversation';
import type { Lang, Reply } from '../domain/types';
import { DIALOG_MESSAGES } from './messages';
import type { AskStep, LookupStep, Step } from './schema';

export interface DialogTurn {
  replies: Reply[];
  /** The dialog's state after the turn; null when it ended. */
  state: DialogState | null;
  /** How it ended, when it did. */
  ended?: 'resolved' | 'handoff' | 'failed' | 'lookup-failed' | 'cancelled' | 'not-found';
  /** false: the end message is no place for the satisfaction question (`csat: false` in the dialog). */
  csat?: false;
}

/** The dialog ends with a person offered (a failed step, the back office down, a second unknown number). */
export function offerPerson(
  s: DialogState,
  lang: Lang,
  text: string,
  ended: DialogTurn['ended'],
  before: Reply[] = [],
): DialogTurn {
  return {
    replies: [
      ...before,
      {
        text,
        suggestions: [{ label: DIALOG_MESSAGES[lang].talkToPerson, value: 'handoff' }],
        source: { kind: ended === 'failed' ? 'handoff' : 'dialog', id: s.dialogId },
        lang,
      },
    ],
    state: null,
    ended,
  };
}

/** A lookup step's record: undefined when nothing has that key, 'failed' when the back office failed. */
export async function fetchRecord(
  connector: Connector,
  step: LookupStep,
  key: string,
): Promise<Record<string, string> | undefined | 'failed'> {
  try {
    const record = await connector.lookup(step.lookup, key);
    // Whatever the connector: a record with an impossible date (2026-13-45) is garbage, not a crash later.
    const bad = record && Object.entries(record).find(([, v]) => impossibleDate(v));
    if (bad) throw new ConnectorError(`invalid ${step.lookup} record: field "${bad[0]}" is not a valid date`);
    return record ?? undefined;
  } catch (e) {
    if (!(e instanceof ConnectorError)) throw e;
    return 'failed';
  }
}

/**
 * A well-formed number the back office does not know: say so (the dialog's `notFound`, rendered as `text`, never the
 * "that is not a number" retry) with a person offered, and ask the number again. A second unknown number ends the
 * dialog with a person offered instead of asking again (no loop); so does the step's last attempt (failed answers
 * count).
 */
export function notFoundTurn(
  steps: readonly Step[],
  s: DialogState,
  step: LookupStep,
  lang: Lang,
  o: { out: Reply[]; text: string; answered?: { step: number; attempts: number } },
): DialogTurn {
  const askIndex = steps.findIndex((x) => 'ask' in x && x.ask === step.key);
  const ask = steps[askIndex] as AskStep;
  const m = DIALOG_MESSAGES[lang];
  const again = o.answered?.step === askIndex;
  const attempts = (again ? o.answered!.attempts : 0) + 1;
  const unknown = (again ? (s.notFound ?? 0) : 0) + 1;
  if (unknown >= 2) return offerPerson(s, lang, m.notFoundAgain, 'not-found', o.out);
  if (attempts >= (ask.maxAttempts ?? 3)) return offerPerson(s, lang, m.tooManyAttempts, 'failed', o.out);
  delete s.slots[step.key];
  s.step = askIndex;
  s.attempts = attempts;
  s.notFound = unknown;
  const reply: Reply = {
    text: o.text,
    suggestions: [{ label: m.talkToPerson, value: 'handoff' }],
    source: { kind: 'dialog', id: s.dialogId },
    lang,
  };
  return { replies: [...o.out, reply], state: s };
}
