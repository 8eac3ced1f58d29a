import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AppError, formatIssue, type SourceIssue } from '../domain/errors';
import { LANGS, type KbEntry, type Lang } from '../domain/types';
import { decide, type Engine } from '../engine/engine';
import { selfTest } from '../knowledge/selfTest';
import { fold } from '../nlp/normalize';
import { resolveLanguage } from '../nlp/language';
import type { AuditEntry, VersionRecord } from '../domain/editor';
import type { EditorStore } from '../storage/ports';
import {
  buildContent,
  filesHash,
  readContentFiles,
  type BuildOptions,
  type BuiltContent,
  type ContentDirs,
  type ContentFiles,
} from './content';
import { addQuestion, appendEntry, editEntry, newTopicFile, removeEntry, setLangText, setQuestions } from './yamlEdit';

/** An entry as the admin API shows it. */
export interface EntryView {
  id: string;
  topic: string;
  file: string;
  kind: KbEntry['kind'];
  title: KbEntry['title'];
  questions: KbEntry['questions'];
  answer: KbEntry['answer'];
  tags?: string[];
  products?: string[];
  followUps?: string[];
  dialog?: string;
  handoff?: boolean;
}

export interface Regression {
  question: string;
  lang: Lang;
  expected: string;
  got: string | null;
}

export interface EditorLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface EditorServiceDeps {
  engine: Engine;
  store: EditorStore;
  dirs: ContentDirs;
  build: BuildOptions;
  /** The files and content the engine was started with. */
  files: ContentFiles;
  content: BuiltContent;
  log?: EditorLog;
  now?: () => Date;
}

const clone = (f: ContentFiles): ContentFiles => ({ kb: { ...f.kb }, dialogs: { ...f.dialogs } });

export function viewOf(e: KbEntry): EntryView {
  return {
    id: e.id,
    topic: e.topic,
    file: basename(e.source.file),
    kind: e.kind,
    title: e.title,
    questions: e.questions,
    answer: e.answer,
    ...(e.tags.length ? { tags: e.tags } : {}),
    ...(e.products.length ? { products: e.products } : {}),
    ...(e.followUps.length ? { followUps: e.followUps } : {}),
    ...(e.dialog ? { dialog: e.dialog } : {}),
    ...(e.handoff ? { handoff: true } : {}),
  };
}

/** Write through a temporary file and a rename: readers (and the watcher) never see half a file. */
function writeAtomic(file: string, text: string): void {
  const tmp = join(file, '..', `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * The knowledge base as editors change it: live reloads from disk, edits through the admin API (validated,
 * self-tested, written back to the YAML, published), the audit log, versions and rollback. Changes run one at a
 * time; the engine only ever sees a complete new version (engine.publish).
 */
export class EditorService {
  private files: ContentFiles;
  private content: BuiltContent;
  private hash: string;
  private publishedAt: string;
  private lastError: { at: string; issues: SourceIssue[] } | null = null;
  /** Hash of the last refused files on disk: refused once, not at every check. */
  private refusedHash: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly confusions = new Map<string, Set<string>>();
  private readonly now: () => Date;
  private readonly log: EditorLog;

  constructor(private readonly deps: EditorServiceDeps) {
    this.files = clone(deps.files);
    this.content = deps.content;
    this.hash = filesHash(this.files);
    this.now = deps.now ?? (() => new Date());
    this.publishedAt = this.now().toISOString();
    this.log = deps.log ?? { info: () => {}, warn: () => {}, error: () => {} };
  }

  get version(): string {
    return this.content.kb.version;
  }

  /** Remember the starting version (its files) if it is new, so that it can be rolled back to. */
  async init(): Promise<void> {
    if (!(await this.deps.store.getVersion(this.version)))
      await this.deps.store.saveVersion({
        version: this.version,
        at: this.publishedAt,
        user: 'system',
        action: 'start',
        files: this.files,
      });
  }

  /** One change at a time (API edits, reloads from disk, rollbacks). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  status() {
    return { version: this.version, publishedAt: this.publishedAt, lastError: this.lastError };
  }

  list(filter: { q?: string; topic?: string; lang?: string }): EntryView[] {
    const q = filter.q ? fold(filter.q) : '';
    return this.content.kb.entries
      .filter((e) => !filter.topic || e.topic === filter.topic)
      .filter((e) => !filter.lang || (e.questions[filter.lang as Lang]?.length ?? 0) > 0)
      .filter((e) => {
        if (!q) return true;
        const texts = [
          e.id,
          ...Object.values(e.title),
          ...Object.values(e.questions).flat(),
          ...Object.values(e.answer),
        ];
        return texts.some((t) => typeof t === 'string' && fold(t).includes(q));
      })
      .map(viewOf);
  }

  get(id: string): EntryView {
    return viewOf(this.entry(id));
  }

  private entry(id: string): KbEntry {
    const e = this.content.kb.entries.find((x) => x.id === id);
    if (!e) throw new AppError('ENTRY_NOT_FOUND', `no entry "${id}"`, 404);
    return e;
  }

  /** Look at the files on disk; publish them if they changed and are valid, refuse them (keep serving) if not. */
  checkDisk(): Promise<void> {
    return this.exclusive(async () => {
      let files: ContentFiles;
      try {
        files = readContentFiles(this.deps.dirs);
      } catch (e) {
        this.log.warn(`knowledge base: cannot read the content folders: ${(e as Error).message}`);
        return;
      }
      const hash = filesHash(files);
      if (hash === this.hash) {
        // The files are back to the published version (a broken edit undone): nothing is refused any more.
        this.lastError = null;
        this.refusedHash = undefined;
        return;
      }
      if (hash === this.refusedHash) return;
      const built = buildContent(files, this.deps.dirs, this.deps.build);
      if (!built.content) {
        this.refusedHash = hash;
        this.lastError = { at: this.now().toISOString(), issues: built.errors };
        this.log.error(
          `knowledge base change refused, still serving version ${this.version}:\n${built.errors.map(formatIssue).join('\n')}`,
        );
        return;
      }
      const before = this.version;
      await this.publish(files, built.content, 'disk', 'reload');
      await this.audit('disk', 'reload', null, { version: before }, { version: this.version });
      this.log.info(`knowledge base reloaded from disk: version ${this.version} (was ${before})`);
    });
  }

  private async publish(files: ContentFiles, content: BuiltContent, user: string, action: string): Promise<void> {
    this.deps.engine.publish(content);
    this.files = files;
    this.content = content;
    this.hash = filesHash(files);
    this.refusedHash = undefined;
    this.lastError = null;
    this.publishedAt = this.now().toISOString();
    await this.deps.store.saveVersion({ version: content.kb.version, at: this.publishedAt, user, action, files });
  }

  private audit(
    user: string,
    action: string,
    entryId: string | null,
    before: unknown,
    after: unknown,
  ): Promise<AuditEntry> {
    return this.deps.store.appendAudit({
      at: this.now().toISOString(),
      user,
      action,
      entryId,
      before,
      after,
      version: this.version,
    });
  }

  private confusionKeys(c: BuiltContent): Set<string> {
    let keys = this.confusions.get(c.kb.version);
    if (!keys) {
      keys = new Set(selfTest(c.kb, c.matcher, c.analyzer, 2).confusions.map((x) => `${x.lang}\0${fold(x.question)}`));
      if (this.confusions.size > 20) this.confusions.clear();
      this.confusions.set(c.kb.version, keys);
    }
    return keys;
  }

  /**
   * Sample questions of other entries that resolved to their entry before the change and no longer do. A question
   * that already failed before (for any entry: the same question in two entries flips between them) does not count.
   */
  private regressions(next: BuiltContent, edited: string): Regression[] {
    const before = this.confusionKeys(this.content);
    return selfTest(next.kb, next.matcher, next.analyzer, 2)
      .confusions.filter((c) => c.entry !== edited && !before.has(`${c.lang}\0${fold(c.question)}`))
      .map((c) => ({ question: c.question, lang: c.lang, expected: c.entry, got: c.resolvedTo }));
  }

  /** Validate, self-test, write the file, publish, audit. */
  private async apply(o: {
    user: string;
    action: string;
    entryId: string;
    file: string;
    text: string | null;
    force: boolean;
    before: unknown;
  }) {
    const files = clone(this.files);
    if (o.text === null) delete files.kb[o.file];
    else files.kb[o.file] = o.text;
    const built = buildContent(files, this.deps.dirs, this.deps.build);
    if (!built.content)
      throw new AppError(
        'INVALID_CONTENT',
        `the change was refused:\n${built.errors.map(formatIssue).join('\n')}`,
        422,
        built.errors,
      );
    if (!o.force) {
      const reg = this.regressions(built.content, o.entryId);
      if (reg.length)
        throw new AppError(
          'REGRESSION',
          `the change makes ${reg.length} sample question(s) of other entries resolve elsewhere (send force: true to publish anyway)`,
          409,
          reg,
        );
    }
    const path = join(this.deps.dirs.kbDir, o.file);
    if (o.text === null) unlinkSync(path);
    else writeAtomic(path, o.text);
    await this.publish(files, built.content, o.user, o.action);
    const after = built.content.kb.entries.find((e) => e.id === o.entryId);
    await this.audit(o.user, o.action, o.entryId, o.before, after ? viewOf(after) : null);
    return { entry: after ? viewOf(after) : undefined, version: this.version };
  }

  create(user: string, body: { entry: Record<string, unknown>; topic: string; force?: boolean }) {
    return this.exclusive(async () => {
      const id = String(body.entry.id ?? '');
      if (this.content.kb.entries.some((e) => e.id === id))
        throw new AppError('ENTRY_EXISTS', `an entry "${id}" already exists`, 409);
      const { file: _f, topic: _t, ...data } = body.entry;
      const known = this.content.kb.topics.find((t) => t.id === body.topic);
      const file = known ? basename(known.file) : `${body.topic}.yaml`;
      const source = this.files.kb[file];
      const text = source === undefined ? newTopicFile(body.topic, data) : appendEntry(source, data);
      return this.apply({ user, action: 'create', entryId: id, file, text, force: body.force === true, before: null });
    });
  }

  update(
    user: string,
    id: string,
    body: { lang: Lang; title?: string | null; questions?: string[]; answer?: string | null; force?: boolean },
  ) {
    return this.exclusive(async () => {
      const e = this.entry(id);
      const file = basename(e.source.file);
      const text = editEntry(this.files.kb[file]!, id, (doc, node) => {
        if (body.title !== undefined) setLangText(doc, node, 'title', body.lang, body.title);
        if (body.answer !== undefined) setLangText(doc, node, 'answer', body.lang, body.answer);
        if (body.questions !== undefined) setQuestions(doc, node, body.lang, body.questions);
      });
      return this.apply({
        user,
        action: 'update',
        entryId: id,
        file,
        text,
        force: body.force === true,
        before: viewOf(e),
      });
    });
  }

  addQuestion(user: string, id: string, body: { lang: Lang; question: string; force?: boolean }) {
    return this.exclusive(async () => {
      const e = this.entry(id);
      const file = basename(e.source.file);
      const text = editEntry(this.files.kb[file]!, id, (doc, node) => addQuestion(doc, node, body.lang, body.question));
      return this.apply({
        user,
        action: 'add-question',
        entryId: id,
        file,
        text,
        force: body.force === true,
        before: viewOf(e),
      });
    });
  }

  remove(user: string, id: string, force = false) {
    return this.exclusive(async () => {
      const e = this.entry(id);
      const file = basename(e.source.file);
      const text = removeEntry(this.files.kb[file]!, id);
      const { version } = await this.apply({
        user,
        action: 'delete',
        entryId: id,
        file,
        text,
        force,
        before: viewOf(e),
      });
      return { version };
    });
  }

  audits(limit: number): Promise<AuditEntry[]> {
    return this.deps.store.listAudit(limit);
  }

  versions(limit = 100): Promise<VersionRecord[]> {
    return this.deps.store.listVersions(limit);
  }

  /** Write the files as they were at `version` (removing files added since), publish them, audit. */
  rollback(user: string, version: string) {
    return this.exclusive(async () => {
      const snap = await this.deps.store.getVersion(version);
      if (!snap) throw new AppError('VERSION_NOT_FOUND', `no stored version "${version}"`, 404);
      const built = buildContent(snap.files, this.deps.dirs, this.deps.build);
      if (!built.content)
        throw new AppError(
          'INVALID_CONTENT',
          `version ${version} no longer builds:\n${built.errors.map(formatIssue).join('\n')}`,
          422,
          built.errors,
        );
      for (const [dir, files] of [
        [this.deps.dirs.kbDir, snap.files.kb],
        [this.deps.dirs.dialogsDir, snap.files.dialogs],
      ] as const) {
        if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
        for (const [name, text] of Object.entries(files)) writeAtomic(join(dir, name), text);
        for (const name of readdirSync(dir))
          if (/\.ya?ml$/i.test(name) && !(name in files)) unlinkSync(join(dir, name));
      }
      const before = this.version;
      await this.publish(
        { kb: { ...snap.files.kb }, dialogs: { ...snap.files.dialogs } },
        built.content,
        user,
        'rollback',
      );
      await this.audit(user, 'rollback', null, { version: before }, { version: this.version });
      return { version: this.version };
    });
  }

  /** What the bot would do with `text` right now (editors' "try a question"). */
  try(text: string, lang?: Lang) {
    const engine = this.deps.engine;
    const content = engine.content;
    // The bot's own language rule for a first message (threshold, default language), so the console agrees with it.
    const l = lang ?? resolveLanguage(content.detector, text, undefined, engine.options.defaultLang).lang;
    const match = engine.match(text, l);
    const byId = new Map(content.kb.entries.map((e) => [e.id, e]));
    const decision = decide(match, (id) => byId.get(id)?.kind, engine.options);
    const view = (id: string | undefined, confidence: number) => {
      const e = id ? byId.get(id) : undefined;
      return e
        ? {
            id: e.id,
            title: e.title[l] ?? LANGS.map((x) => e.title[x]).find(Boolean) ?? e.id,
            confidence: Math.round(confidence * 1000) / 1000,
          }
        : null;
    };
    const [c1, c2] = match.candidates;
    return {
      lang: l,
      version: content.kb.version,
      decision: decision.action,
      match: view(c1?.id, match.confidence),
      runnerUp: view(c2?.id, c2?.score ?? 0),
    };
  }
}
