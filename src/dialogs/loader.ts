import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { SourceIssue } from '../domain/errors';
import type { KnowledgeBase } from '../domain/types';
import { issueAt, parseYaml, validateYaml, type ParsedYaml } from '../knowledge/yamlSource';
import { dialogFileSchema, type DialogFile, type Message, type Step } from './schema';
import { derivedSlots } from './attachments';
import { compilePattern } from './slots';

export interface Dialog extends DialogFile {
  file: string;
}

export interface DialogSet {
  dialogs: Map<string, Dialog>;
  version: string;
}

const PLACEHOLDER = /\{([a-zA-Z][a-zA-Z0-9_]*)(?:\.([a-zA-Z][a-zA-Z0-9_]*))?(?:\|([a-z]+))?\}/g;

type AskStep = Extract<Step, { ask: string }>;

/** A slot's type and the keys that go with it (`choices` for a choice, a valid `pattern` for a pattern). */
function checkSlotType(p: ParsedYaml, s: AskStep, path: (string | number)[], errors: SourceIssue[]): void {
  if (s.type === 'choice' && !s.choices) errors.push(issueAt(p, [...path, 'type'], 'a choice needs `choices`'));
  if (s.type !== 'choice' && s.choices)
    errors.push(issueAt(p, [...path, 'choices'], `\`choices\` only applies to type choice, not ${s.type}`));
  if (s.type === 'pattern') {
    if (!s.pattern) errors.push(issueAt(p, [...path, 'type'], 'a pattern slot needs `pattern`'));
    else
      try {
        // RE2, as the runner uses it: no backreferences nor lookaround (linear time on any answer).
        compilePattern(s.pattern);
      } catch (e) {
        errors.push(
          issueAt(
            p,
            [...path, 'pattern'],
            `invalid regular expression for RE2 (linear-time engine: no backreferences nor lookaround): ${(e as Error).message}`,
          ),
        );
      }
  } else if (s.pattern)
    errors.push(issueAt(p, [...path, 'pattern'], `\`pattern\` only applies to type pattern, not ${s.type}`));
  if (s.type !== 'attachment')
    for (const key of ['accept', 'max', 'required'] as const)
      if (s[key] !== undefined)
        errors.push(issueAt(p, [...path, key], `\`${key}\` only applies to type attachment, not ${s.type}`));
}

/** Names a step makes available to later steps: slots asked and records looked up. */
function checkDialog(p: ParsedYaml, d: DialogFile, errors: SourceIssue[]): void {
  // Slots may be filled from the customer's first message, so any slot of the dialog can be named anywhere;
  // records exist only once looked up.
  // A file step also fills <slot>Ids and <slot>Count.
  const slots = new Set<string>(
    d.steps.flatMap((s) => ('ask' in s ? [s.ask, ...(s.type === 'attachment' ? derivedSlots(s.ask) : [])] : [])),
  );
  const records = new Set<string>();
  const checkName = (name: string, path: (string | number)[]) => {
    const [head, field] = name.split('.');
    if (field === undefined ? !slots.has(head!) : !records.has(head!))
      errors.push(
        issueAt(
          p,
          path,
          field === undefined
            ? `"${name}" is not a slot of this dialog`
            : `"${head}" is not a record looked up before this step`,
        ),
      );
  };
  const checkMessage = (m: Message | undefined, path: (string | number)[]) => {
    if (!m) return;
    for (const lang of ['fr', 'ro', 'en'] as const) {
      for (const match of m[lang].matchAll(PLACEHOLDER)) {
        const [, head, field, filter] = match;
        checkName(field ? `${head}.${field}` : head!, [...path, lang]);
        if (filter && filter !== 'date')
          errors.push(issueAt(p, [...path, lang], `unknown filter "|${filter}" (known: |date)`));
      }
    }
  };
  const checkWhen = (w: Record<string, unknown> | undefined, path: (string | number)[]) => {
    for (const k of Object.keys(w ?? {})) checkName(k, [...path, 'when', k]);
  };
  d.steps.forEach((s: Step, i) => {
    const path = ['steps', i];
    if ('ask' in s) {
      checkWhen(s.when, path);
      checkMessage(s.prompt, [...path, 'prompt']);
      checkMessage(s.retry, [...path, 'retry']);
      checkMessage(s.help, [...path, 'help']);
      checkSlotType(p, s, path, errors);
    } else if ('lookup' in s) {
      checkWhen(s.when, path);
      if (!d.steps.slice(0, i).some((x) => 'ask' in x && x.ask === s.key))
        errors.push(issueAt(p, [...path, 'key'], `slot "${s.key}" is not asked before this lookup`));
      checkMessage(s.notFound, [...path, 'notFound']);
      records.add(s.as);
    } else if ('branch' in s) {
      s.branch.forEach((c, j) => {
        const cp = [...path, 'branch', j];
        checkWhen(c.when, cp);
        const outcomes = [c.end, c.handoff, c.say].filter(Boolean).length;
        if (outcomes !== 1) errors.push(issueAt(p, cp, 'expected exactly one of `end`, `handoff` or `say`'));
        checkMessage(c.end ?? c.handoff ?? c.say, [...cp, c.end ? 'end' : c.handoff ? 'handoff' : 'say']);
        if (c.followUps && !c.end) errors.push(issueAt(p, [...cp, 'followUps'], '`followUps` only applies to `end`'));
      });
      if (s.branch[s.branch.length - 1]!.when)
        errors.push(
          issueAt(
            p,
            [...path, 'branch'],
            'the last case needs no `when`: it is the default when no other case matches',
          ),
        );
    } else {
      checkWhen(s.when, path);
      const m = 'say' in s ? s.say : 'end' in s ? s.end : s.handoff;
      checkMessage(m, [...path, 'say' in s ? 'say' : 'end' in s ? 'end' : 'handoff']);
    }
  });
}

/** Load and validate dialog files; `kb` (when given) is used to check follow-ups and the entries' `dialog:` ids. */
export function loadDialogFiles(
  files: { file: string; source: string }[],
  kb?: KnowledgeBase,
): { set?: DialogSet; errors: SourceIssue[] } {
  const errors: SourceIssue[] = [];
  const dialogs = new Map<string, Dialog>();
  const where = new Map<string, ParsedYaml>();
  const hash = createHash('sha256');
  const followUps: { p: ParsedYaml; path: (string | number)[]; id: string }[] = [];
  for (const { file, source } of files) {
    hash.update(basename(file)).update('\0').update(source).update('\0');
    const { parsed, issues } = parseYaml(file, source);
    errors.push(...issues);
    if (!parsed) continue;
    const { value: d, issues: invalid } = validateYaml<DialogFile>(parsed, dialogFileSchema);
    if (!d) {
      errors.push(...invalid);
      continue;
    }
    const expectedName = `${d.id}.yaml`;
    if (basename(file) !== expectedName)
      errors.push(issueAt(parsed, ['id'], `dialog "${d.id}" must be in a file named ${expectedName}`));
    if (where.has(d.id)) {
      errors.push(issueAt(parsed, ['id'], `duplicate dialog id "${d.id}" (first in ${where.get(d.id)!.file})`));
      continue;
    }
    where.set(d.id, parsed);
    checkDialog(parsed, d, errors);
    d.steps.forEach((s, i) => {
      if ('followUps' in s && s.followUps)
        s.followUps.forEach((f, k) => followUps.push({ p: parsed, path: ['steps', i, 'followUps', k], id: f }));
      if ('branch' in s)
        s.branch.forEach((c, j) =>
          c.followUps?.forEach((f, k) =>
            followUps.push({ p: parsed, path: ['steps', i, 'branch', j, 'followUps', k], id: f }),
          ),
        );
    });
    dialogs.set(d.id, { ...d, file });
  }
  if (kb) {
    const ids = new Set(kb.entries.map((e) => e.id));
    for (const f of followUps)
      if (!ids.has(f.id)) errors.push(issueAt(f.p, f.path, `unknown knowledge-base entry "${f.id}"`));
    for (const e of kb.entries)
      if (e.dialog && !dialogs.has(e.dialog))
        errors.push({
          file: e.source.file,
          line: e.source.line,
          column: 1,
          path: `${e.id}.dialog`,
          message: `unknown dialog "${e.dialog}" (no dialogs/${e.dialog}.yaml)`,
        });
  }
  if (errors.length) return { errors };
  return { set: { dialogs, version: hash.digest('hex').slice(0, 12) }, errors };
}
