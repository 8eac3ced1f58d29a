import type { Connector } from '../connectors/types';
import { ConnectorError, impossibleDate } from '../connectors/types';
import type { AttachmentRef, Lang, Reply, Suggestion } from '../domain/types';
import type { DialogState } from '../domain/conversation';
import type { Dialog, DialogSet } from './loader';
import {
  acceptsType,
  asTaken,
  fillAttachmentSlot,
  isImage,
  isLink,
  keepTaken,
  skippable,
  takenSoFar,
  type Taken,
} from './attachments';
import { DIALOG_MESSAGES, DONE_WORDS } from './messages';
import type { AskStep, BranchCase, Condition, Message, Step } from './schema';
import { fold } from '../nlp/normalize';
import { holds, render } from './conditions';
import { extract, isSkip, parseSlot } from './slots';

export interface DialogTurn {
  replies: Reply[];
  /** The dialog's state after the turn; null when it ended. */
  state: DialogState | null;
  /** How it ended, when it did. */
  ended?: 'resolved' | 'handoff' | 'failed' | 'lookup-failed' | 'cancelled';
}

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

  title(state: { dialogId: string }, lang: Lang): string {
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
   * Start a dialog; values recognizable in the customer's first message fill their slots without asking, and files
   * sent with it fill the first file step that takes them.
   */
  async start(dialogId: string, lang: Lang, firstText = '', files: AttachmentRef[] = []): Promise<DialogTurn> {
    const state: DialogState = { dialogId, step: 0, slots: {}, attempts: 0, records: {} };
    for (const s of this.dialog(state).steps) {
      if ('ask' in s) {
        const v = extract(s.type, firstText);
        if (v !== undefined && state.slots[s.ask] === undefined) state.slots[s.ask] = v;
      }
    }
    if (files.length) this.prefill(state, files, 0);
    return this.advance(state, lang, files.length ? [this.say(state, lang, this.received(files, lang))] : []);
  }

  /** The dialogs with a file step that takes one of these types (offered when files come with no request). */
  takingFiles(contentTypes: string[]): string[] {
    return [...this.set.dialogs.values()]
      .filter((d) =>
        d.steps.some(
          (s) => 'ask' in s && s.type === 'attachment' && contentTypes.some((t) => acceptsType(s as AskStep, t)),
        ),
      )
      .map((d) => d.id);
  }

  /** The current step's question again (after a digression or a "no" to dropping the request). */
  prompt(state: DialogState, lang: Lang, prefix?: string): Reply {
    const step = this.dialog(state).steps[state.step];
    if (!step || !('ask' in step)) return { text: prefix ?? '', source: { kind: 'dialog', id: state.dialogId }, lang };
    const taken = step.type === 'attachment' ? takenSoFar(state, step.ask) : [];
    const r = taken.length ? this.more(state, step, lang, taken) : this.ask(state, step, lang, step.prompt);
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

  /**
   * Is almost any text a valid answer here (a free-text step, or a file step that has files: the text answers the
   * next question)? Then only a confident question on another subject is a digression.
   */
  takesAnyText(state: DialogState): boolean {
    const step = this.currentAsk(state);
    return step?.type === 'text' || (step?.type === 'attachment' && takenSoFar(state, step.ask).length > 0);
  }

  /** Would this text be a valid answer to the current step? */
  accepts(state: DialogState, text: string, lang: Lang): boolean {
    const step = this.currentAsk(state);
    if (!step) return false;
    if (step.type === 'attachment' && takenSoFar(state, step.ask).length) return /\p{L}/u.test(text);
    return (skippable(step) && isSkip(text)) || parseSlot(step, text, lang, this.today()).ok;
  }

  /** The customer answered the current step (with text, files sent with the message, or both). */
  async answer(state: DialogState, text: string, lang: Lang, files: AttachmentRef[] = []): Promise<DialogTurn> {
    const s: DialogState = structuredClone(state);
    const step = this.currentAsk(s);
    if (!step) return this.advance(s, lang, []);
    if (step.type === 'attachment') return this.answerFiles(s, step, text, lang, files);
    if (!files.length) return this.answerText(s, step, text, lang);
    // Files before their step (a photo while the order number is asked): kept for the step that takes them.
    this.prefill(s, files, s.step + 1);
    const ack = this.received(files, lang);
    if (!text.trim()) return { replies: [this.prompt(s, lang, ack)], state: s };
    const turn = await this.answerText(s, step, text, lang);
    return { ...turn, replies: [this.say(s, lang, ack), ...turn.replies] };
  }

  private async answerText(s: DialogState, step: AskStep, text: string, lang: Lang): Promise<DialogTurn> {
    if (skippable(step) && isSkip(text)) {
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
    if (skippable(step)) suggestions = [...(suggestions ?? []), { label: m.skip, value: 'skip' }];
    return {
      text: this.render(message[lang], s, lang),
      ...(suggestions ? { suggestions } : {}),
      source: { kind: 'dialog', id: s.dialogId },
      lang,
    };
  }

  /** A file step: files of the accepted types, a link typed instead, "that's all" once one came, or skip. */
  private answerFiles(
    s: DialogState,
    step: AskStep,
    text: string,
    lang: Lang,
    files: AttachmentRef[],
  ): DialogTurn | Promise<DialogTurn> {
    const m = DIALOG_MESSAGES[lang];
    const taken = takenSoFar(s, step.ask);
    if (files.length) {
      const ok = files.filter((f) => acceptsType(step, f.contentType));
      const refused = files.filter((f) => !acceptsType(step, f.contentType)).map((f) => f.name);
      // The step's retry names the types it takes.
      if (!ok.length) return this.retry(s, step, lang, m.refused(refused));
      const added = ok.slice(0, (step.max ?? 1) - taken.length);
      const ack = [this.received(added, lang), ...(refused.length ? [m.refused(refused)] : [])].join(' ');
      return this.took(s, step, lang, [...taken, ...added.map(asTaken)], ack);
    }
    const t = text.trim();
    if (taken.length && (DONE_WORDS.has(fold(t)) || isSkip(t))) return this.took(s, step, lang, taken, undefined, true);
    // A link typed instead of a file closes the step: the customer is not sending files from this device.
    if (isLink(t)) return this.took(s, step, lang, [...taken, { name: t }], m.linkReceived, true);
    if (!taken.length && skippable(step) && isSkip(t)) return this.took(s, step, lang, [], undefined, true);
    if (taken.length) return this.passOn(s, step, lang, taken, text);
    return this.retry(s, step, lang);
  }

  /**
   * Text other than "that's all" once files came (the description typed straight away): the files are kept, the step
   * closes and the text answers the next question.
   */
  private async passOn(s: DialogState, step: AskStep, lang: Lang, taken: Taken[], text: string): Promise<DialogTurn> {
    const next = await this.took(s, step, lang, taken, undefined, true);
    if (!next.state || !this.currentAsk(next.state)) return next;
    const turn = await this.answer(next.state, text, lang);
    return { ...turn, replies: [...next.replies.slice(0, -1), ...turn.replies] };
  }

  /** Files taken at a file step: room for more (the step stays open), or the step closes and the dialog goes on. */
  private took(
    s: DialogState,
    step: AskStep,
    lang: Lang,
    taken: Taken[],
    ack?: string,
    close = false,
  ): DialogTurn | Promise<DialogTurn> {
    if (!close && taken.length < (step.max ?? 1)) {
      keepTaken(s, step.ask, taken);
      s.attempts = 0;
      return { replies: [this.more(s, step, lang, taken, ack)], state: s };
    }
    fillAttachmentSlot(s, step.ask, taken);
    const answered = { step: s.step, attempts: s.attempts };
    s.step++;
    return this.advance(s, lang, ack ? [this.say(s, lang, ack)] : [], answered);
  }

  /** "You can send N more, or click Continue", after what was just received. */
  private more(s: DialogState, step: AskStep, lang: Lang, taken: Taken[], ack?: string): Reply {
    const m = DIALOG_MESSAGES[lang];
    const text = m.more((step.max ?? 1) - taken.length);
    return { ...this.say(s, lang, ack ? `${ack} ${text}` : text), suggestions: [{ label: m.done, value: 'done' }] };
  }

  /** Fill the first file step from `from` on whose slot is empty with the files it takes. */
  private prefill(s: DialogState, files: AttachmentRef[], from: number): void {
    const steps = this.dialog(s).steps;
    for (let i = from; i < steps.length; i++) {
      const step = steps[i]!;
      if (!('ask' in step) || step.type !== 'attachment' || s.slots[step.ask] !== undefined) continue;
      const ok = files.filter((f) => acceptsType(step, f.contentType)).slice(0, step.max ?? 1);
      if (ok.length) return fillAttachmentSlot(s, step.ask, ok.map(asTaken));
    }
  }

  private received(files: AttachmentRef[], lang: Lang): string {
    return DIALOG_MESSAGES[lang].received(
      files.map((f) => f.name),
      files.every(isImage),
    );
  }

  private say(s: DialogState, lang: Lang, text: string): Reply {
    return { text, source: { kind: 'dialog', id: s.dialogId }, lang };
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
        s.attempts = 0;
        out.push(this.ask(s, step, lang, step.prompt));
        return { replies: out, state: s };
      }
      if ('lookup' in step) {
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
        if (!record) {
          // Ask the key again, explaining that nothing has that number.
          const askIndex = steps.findIndex((x) => 'ask' in x && x.ask === step.key);
          const ask = steps[askIndex] as AskStep;
          const notFound = this.render(step.notFound[lang], s, lang);
          delete s.slots[step.key];
          s.step = askIndex;
          s.attempts = answered?.step === askIndex ? answered.attempts : 0;
          const turn = this.retry(s, ask, lang, notFound);
          return { ...turn, replies: [...out, ...turn.replies] };
        }
        (s.records ??= {})[step.as] = record;
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
        return { replies: out, state: null, ended: 'resolved' };
      }
    }
    return { replies: out, state: null, ended: 'resolved' };
  }

  /** Does a `when` condition hold for the slots and records collected so far? */
  holds(cond: Condition, s: DialogState): boolean {
    return holds(cond, s, this.today());
  }

  private render(template: string, s: DialogState, lang: Lang): string {
    return render(template, s, lang);
  }
}
