import type { Connector } from '../connectors/types';
import { ConnectorError, impossibleDate } from '../connectors/types';
import type { Lang, Reply, Suggestion } from '../domain/types';
import type { DialogState } from '../domain/conversation';
import type { Dialog, DialogSet } from './loader';
import { DIALOG_MESSAGES } from './messages';
import type { AskStep, BranchCase, Condition, LookupStep, Message, Step } from './schema';
import { addToDate, isSkip, parseSlot, pickItem, prefill } from './slots';
import { fold } from '../nlp/normalize';

export interface DialogTurn {
  replies: Reply[];
  /** The dialog's state after the turn; null when it ended. */
  state: DialogState | null;
  /** How it ended, when it did. */
  ended?: 'resolved' | 'handoff' | 'failed' | 'lookup-failed' | 'cancelled' | 'not-found';
  /** false: the end message is no place for the satisfaction question (`csat: false` in the dialog). */
  csat?: false;
}

type Records = Record<string, Record<string, string>>;

/**
 * Runs the dialogs written in dialogs/*.yaml: asks slots (validated, re-asked at most maxAttempts times),
 * looks records up through a connector, branches on values and ends with a message, follow-ups or a handoff.
 * The whole position lives in DialogState, so a restarted server resumes at the same step.
 */
export class DialogRunner {
  constructor(
    private readonly set: DialogSet,
    private readonly connector: Connector,
    private readonly now: () => Date = () => new Date(),
    private readonly faqTitle: (id: string, lang: Lang) => string | undefined = () => undefined,
  ) {}

  get version(): string {
    return this.set.version;
  }

  has(id: string): boolean {
    return this.set.dialogs.has(id);
  }

  title(state: DialogState, lang: Lang): string {
    return this.dialog(state).title[lang];
  }

  private dialog(state: { dialogId: string }): Dialog {
    const d = this.set.dialogs.get(state.dialogId);
    if (!d) throw new Error(`unknown dialog "${state.dialogId}"`);
    return d;
  }

  private today(): string {
    return this.now().toISOString().slice(0, 10);
  }

  /**
   * Start a dialog. Every ask step whose type can be read in free text is tried on the customer's first message
   * (see `prefill`): a value found there fills the slot and the step is not asked.
   */
  async start(dialogId: string, lang: Lang, firstText = ''): Promise<DialogTurn> {
    const state: DialogState = { dialogId, step: 0, slots: {}, attempts: 0, records: {} };
    const today = this.today();
    if (firstText) state.opening = firstText.slice(0, 500);
    for (const s of this.dialog(state).steps) {
      if ('ask' in s && state.slots[s.ask] === undefined) {
        const v = prefill(s, firstText, lang, today);
        if (v !== undefined) state.slots[s.ask] = v;
      }
    }
    return this.advance(state, lang, []);
  }

  /**
   * Does the message ask what the dialog's knowledge-base entry answers (the dialog's `answerFirst` words, like
   * "how many days")? Then the entry's answer is given before the dialog's first question.
   */
  answersFirst(dialogId: string, text: string, lang: Lang): boolean {
    const cues = this.set.dialogs.get(dialogId)?.answerFirst?.[lang] ?? [];
    const f = ` ${fold(text)} `;
    return cues.some((c) => f.includes(` ${fold(c)} `));
  }

  /** The current step's question again (after a digression or a "no" to dropping the request). */
  prompt(state: DialogState, lang: Lang, prefix?: string): Reply {
    const step = this.dialog(state).steps[state.step];
    if (!step || !('ask' in step)) return { text: prefix ?? '', source: { kind: 'dialog', id: state.dialogId }, lang };
    const r = this.ask(state, step, lang, step.prompt);
    return prefix ? { ...r, text: `${prefix} ${r.text}` } : r;
  }

  /** Explain the current step. */
  help(state: DialogState, lang: Lang): Reply[] {
    const step = this.dialog(state).steps[state.step];
    if (!step || !('ask' in step)) return [this.prompt(state, lang)];
    return [{ ...this.ask(state, step, lang, step.help) }];
  }

  currentAsk(state: DialogState): AskStep | undefined {
    const step = this.dialog(state).steps[state.step];
    return step && 'ask' in step ? step : undefined;
  }

  /** Would this text be a valid answer to the current step? */
  accepts(state: DialogState, text: string, lang: Lang): boolean {
    const step = this.currentAsk(state);
    if (!step) return false;
    return (step.optional && isSkip(text)) || parseSlot(step, text, lang, this.today()).ok;
  }

  /** The customer answered the current step. */
  async answer(state: DialogState, text: string, lang: Lang): Promise<DialogTurn> {
    const s: DialogState = structuredClone(state);
    const step = this.currentAsk(s);
    if (!step) return this.advance(s, lang, []);
    if (step.optional && isSkip(text)) {
      s.slots[step.ask] = '';
    } else {
      const r = parseSlot(step, text, lang, this.today());
      if (!r.ok) return this.retry(s, step, lang);
      s.slots[step.ask] = r.value;
    }
    // Failed attempts are kept until the step really succeeds: a well-formed number that the back office
    // does not know still counts as a failed attempt when the step is asked again.
    const answered = { step: s.step, attempts: s.attempts };
    s.step++;
    return this.advance(s, lang, [], answered);
  }

  private retry(s: DialogState, step: AskStep, lang: Lang, message?: string): DialogTurn {
    s.attempts++;
    if (s.attempts >= (step.maxAttempts ?? 3))
      return this.offerPerson(s, lang, DIALOG_MESSAGES[lang].tooManyAttempts, 'failed');
    const reply = this.ask(s, step, lang, step.retry);
    return { replies: [message ? { ...reply, text: `${message} ${reply.text}` } : reply], state: s };
  }

  private offerPerson(
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

  private ask(s: DialogState, step: AskStep, lang: Lang, message: Message): Reply {
    const m = DIALOG_MESSAGES[lang];
    let suggestions: Suggestion[] | undefined;
    if (step.type === 'choice')
      suggestions = (step.choices ?? []).map((c) => ({ label: c.label[lang], value: c.value }));
    else if (step.type === 'yesno')
      suggestions = [
        { label: m.yes, value: 'yes' },
        { label: m.no, value: 'no' },
      ];
    if (step.optional) suggestions = [...(suggestions ?? []), { label: m.skip, value: 'skip' }];
    return {
      text: this.render(message[lang], s, lang),
      ...(suggestions ? { suggestions } : {}),
      source: { kind: 'dialog', id: s.dialogId },
      lang,
    };
  }

  /** Run steps from the current one until a question, the end, or a handoff. */
  private async advance(
    s: DialogState,
    lang: Lang,
    out: Reply[],
    answered?: { step: number; attempts: number },
  ): Promise<DialogTurn> {
    const steps = this.dialog(s).steps;
    const say = (m: Message) =>
      out.push({ text: this.render(m[lang], s, lang), source: { kind: 'dialog', id: s.dialogId }, lang });
    for (; s.step < steps.length; s.step++) {
      const step: Step = steps[s.step]!;
      if ('when' in step && step.when && !this.holds(step.when, s)) continue;
      if ('ask' in step) {
        if (s.slots[step.ask] !== undefined) continue; // filled from an earlier message
        const item =
          step.prefillFrom && step.prefill !== false && s.opening ? this.itemNamed(step.prefillFrom, s) : undefined;
        if (item !== undefined) {
          s.slots[step.ask] = item;
          continue;
        }
        s.attempts = 0;
        delete s.notFound;
        out.push(this.ask(s, step, lang, step.prompt));
        return { replies: out, state: s };
      }
      if ('lookup' in step) {
        const found = await this.lookup(s, step, lang, out, answered);
        if (found) return found;
        continue;
      }
      const c: BranchCase | undefined =
        'branch' in step ? step.branch.find((x) => !x.when || this.holds(x.when, s)) : (step as BranchCase);
      if (!c) continue;
      if (c.say) {
        say(c.say);
        continue;
      }
      if (c.handoff) {
        say(c.handoff);
        const last = out[out.length - 1]!;
        out[out.length - 1] = { ...last, source: { kind: 'handoff', id: s.dialogId } };
        return { replies: out, state: null, ended: 'handoff' };
      }
      if (c.end) {
        say(c.end);
        const follow = (c.followUps ?? []).map((id) => ({ label: this.faqTitle(id, lang) ?? id, value: `faq:${id}` }));
        if (follow.length) out[out.length - 1] = { ...out[out.length - 1]!, suggestions: follow };
        return { replies: out, state: null, ended: 'resolved', ...(c.csat === false ? { csat: false as const } : {}) };
      }
    }
    return { replies: out, state: null, ended: 'resolved' };
  }

  /**
   * A lookup step: the record is kept under its name (undefined: go on), or the turn to return: the back office
   * failed (a person is offered), or nothing has that number.
   */
  private async lookup(
    s: DialogState,
    step: LookupStep,
    lang: Lang,
    out: Reply[],
    answered?: { step: number; attempts: number },
  ): Promise<DialogTurn | undefined> {
    const key = s.slots[step.key] ?? '';
    let record;
    try {
      record = await this.connector.lookup(step.lookup, key);
      // Whatever the connector: a record with an impossible date (2026-13-45) is garbage, not a crash later.
      const bad = record && Object.entries(record).find(([, v]) => impossibleDate(v));
      if (bad) throw new ConnectorError(`invalid ${step.lookup} record: field "${bad[0]}" is not a valid date`);
    } catch (e) {
      if (!(e instanceof ConnectorError)) throw e;
      return this.offerPerson(s, lang, DIALOG_MESSAGES[lang].lookupFailed, 'lookup-failed', out);
    }
    if (record) {
      (s.records ??= {})[step.as] = record;
      return undefined;
    }
    return this.notFound(s, step, lang, out, answered);
  }

  /**
   * A well-formed number the back office does not know: say so (the dialog's `notFound`, never the "that is not a
   * number" retry) with a person offered, and ask the number again. A second unknown number ends the dialog with a
   * person offered instead of asking again (no loop); so does the step's last attempt (failed answers count).
   */
  private notFound(
    s: DialogState,
    step: LookupStep,
    lang: Lang,
    out: Reply[],
    answered?: { step: number; attempts: number },
  ): DialogTurn {
    const steps = this.dialog(s).steps;
    const askIndex = steps.findIndex((x) => 'ask' in x && x.ask === step.key);
    const ask = steps[askIndex] as AskStep;
    const text = this.render(step.notFound[lang], s, lang);
    const m = DIALOG_MESSAGES[lang];
    const again = answered?.step === askIndex;
    const attempts = (again ? answered.attempts : 0) + 1;
    const unknown = (again ? (s.notFound ?? 0) : 0) + 1;
    if (unknown >= 2) return this.offerPerson(s, lang, m.notFoundAgain, 'not-found', out);
    if (attempts >= (ask.maxAttempts ?? 3)) return this.offerPerson(s, lang, m.tooManyAttempts, 'failed', out);
    delete s.slots[step.key];
    s.step = askIndex;
    s.attempts = attempts;
    s.notFound = unknown;
    const reply: Reply = {
      text,
      suggestions: [{ label: m.talkToPerson, value: 'handoff' }],
      source: { kind: 'dialog', id: s.dialogId },
      lang,
    };
    return { replies: [...out, reply], state: s };
  }

  /** The item of a looked-up list (`prefillFrom`) that the dialog's first message names, if exactly one. */
  private itemNamed(field: string, s: DialogState): string | undefined {
    const list = this.lookupName(field, s);
    return list ? pickItem(list, s.opening ?? '') : undefined;
  }

  /** Does a `when` condition hold for the slots and records collected so far? */
  holds(cond: Condition, s: DialogState): boolean {
    const today = this.today();
    const resolveDate = (ref: string): string => {
      if (ref === 'today') return today;
      const m = /^([+-]\d+)([dmy])$/.exec(ref);
      if (!m) return ref;
      const n = Number(m[1]);
      if (m[2] === 'd') return addToDate(today, n);
      const d = new Date(`${today}T00:00:00Z`);
      if (m[2] === 'm') d.setUTCMonth(d.getUTCMonth() + n);
      else d.setUTCFullYear(d.getUTCFullYear() + n);
      return d.toISOString().slice(0, 10);
    };
    return Object.entries(cond).every(([name, expected]) => {
      const value = this.lookupName(name, s);
      if (typeof expected === 'string') return value !== undefined && value.toLowerCase() === expected.toLowerCase();
      if (Array.isArray(expected))
        return value !== undefined && expected.some((e) => e.toLowerCase() === value.toLowerCase());
      if ('empty' in expected) return (value === undefined || value === '') === expected.empty;
      if (value === undefined || !/^\d{4}-\d{2}-\d{2}/.test(value)) return false;
      const v = value.slice(0, 10);
      return 'before' in expected ? v < resolveDate(expected.before) : v > resolveDate(expected.after);
    });
  }

  private lookupName(name: string, s: DialogState): string | undefined {
    const [head, field] = name.split('.');
    if (field === undefined) return s.slots[head!];
    return (s.records as Records | undefined)?.[head!]?.[field];
  }

  private render(template: string, s: DialogState, lang: Lang): string {
    return template.replace(
      /\{([a-zA-Z][a-zA-Z0-9_]*)(?:\.([a-zA-Z][a-zA-Z0-9_]*))?(?:\|([a-zA-Z]+))?\}/g,
      (_all, head: string, field?: string, filter?: string) => {
        const v = this.lookupName(field ? `${head}.${field}` : head, s) ?? '';
        // Days from the date to today ("late by 5 days"), for dates in the past; 0 otherwise.
        if (filter === 'daysAgo' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !impossibleDate(v))
          return String(Math.max(0, Math.round((Date.parse(this.today()) - Date.parse(v)) / 86_400_000)));
        if (filter === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !impossibleDate(v)) {
          const locale = lang === 'en' ? 'en-GB' : lang === 'ro' ? 'ro-RO' : 'fr-FR';
          return new Intl.DateTimeFormat(locale, {
            day: 'numeric',
            month: 'long',
            year: 'numeric',
            timeZone: 'UTC',
          }).format(new Date(`${v}T00:00:00Z`));
        }
        return v;
      },
    );
  }
}
