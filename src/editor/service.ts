import { basename } from 'node:path';
import { AppError, formatIssue, type SourceIssue } from '../domain/errors';
import type { KbEntry, Lang } from '../domain/types';
import type { Engine } from '../engine/engine';
import type { AuditEntry, VersionRecord } from '../domain/editor';
import type { EditorStore } from '../storage/ports';
import type { PublishedContent } from '../content/build';
import { filesHash, type ContentFiles } from '../content/files';
import type { ContentSource } from '../content/source';
import { RegressionCheck } from './regressions';
import { tryQuestion } from './tryQuestion';
import { listEntries, viewOf, type EntryView } from './views';
import { addQuestion, appendEntry, editEntry, newTopicFile, removeEntry, setLangText, setQuestions } from './yamlEdit';

export type { EntryView } from './views';
export type { Regression } from './regressions';

export interface EditorLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface EditorServiceDeps {
  /** Publishes the content and holds the published version (engine.content). */
  engine: Engine;
  store: EditorStore;
  /** The content files behind the published version, and how to build the next one. */
  source: ContentSource;
  log?: EditorLog;
  now?: () => Date;
}

/**
 * The knowledge base as editors change it: live reloads from disk, edits through the admin API (validated,
 * self-tested, written back to the YAML, published), the audit log, versions and rollback. Changes run one at a
 * time; the engine only ever sees a complete new version (engine.publish).
 */
export class EditorService {
  private publishedAt: string;
  private lastError: { at: string; issues: SourceIssue[] } | null = null;
  /** Hash of the last refused files on disk: refused once, not at every check. */
  private refusedHash: string | undefined;
  /** The last "cannot read the folders" told (told once). */
  private readError: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Sequence number of the newest stored version this instance has seen (published itself or adopted). */
  private seenSeq = 0;
  /** Hash of the files on disk when last looked at or written: only a change on disk since then is published. */
  private diskHash: string;
  private readonly regressionCheck = new RegressionCheck();
  private readonly now: () => Date;
  private readonly log: EditorLog;

  constructor(private readonly deps: EditorServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.publishedAt = this.now().toISOString();
    this.log = deps.log ?? { info: () => {}, warn: () => {}, error: () => {} };
    this.diskHash = deps.source.hash;
  }

  /** The published content: the engine's, whoever published it. */
  private get content(): PublishedContent {
    return this.deps.engine.content;
  }

  get version(): string {
    return this.content.kb.version;
  }

  /**
   * At start, the newer of the files on disk and the database's latest version is published. Files that are
   * already a stored version are not newer: the database's latest wins (an edit made through any instance since).
   * Files that are no stored version are a new deployment: they win, and are stored so that every instance serves them.
   */
  async init(): Promise<void> {
    const store = this.deps.store;
    const latest = await store.latestVersion();
    if (latest && (latest.version === this.version || (await store.getVersion(this.version))))
      return this.exclusive(() => this.syncNow());
    this.seenSeq = await store.saveVersion({
      version: this.version,
      at: this.publishedAt,
      user: 'system',
      action: 'start',
      files: this.deps.source.files,
    });
  }

  /**
   * "A new version may have been published": adopt the database's latest version if it is newer than the one
   * served here. Called by the periodic poll (and can be woken by a database notification); one query when nothing changed.
   */
  syncFromStore(): Promise<void> {
    return this.exclusive(() => this.syncNow());
  }

  private async syncNow(): Promise<void> {
    const latest = await this.deps.store.latestVersion();
    if (!latest || latest.seq <= this.seenSeq) return;
    this.seenSeq = latest.seq;
    if (latest.version === this.version) return;
    const snap = await this.deps.store.getVersion(latest.version);
    if (!snap) return;
    const built = await this.deps.source.buildSafely(snap.files);
    if (!built.content) {
      const why = built.errors.map(formatIssue).join('\n');
      this.log.error(`stored version ${snap.version} does not build here, still serving ${this.version}:\n${why}`);
      return;
    }
    this.deps.engine.publish(built.content);
    this.deps.source.published(snap.files);
    this.refusedHash = undefined;
    this.lastError = null;
    this.publishedAt = snap.at;
    this.writeLocally(snap.files);
    this.log.info(`knowledge base: version ${this.version} from the database (${snap.action} by ${snap.user})`);
  }

  /** Make the local files the published version, when the folders can be written (a read-only mount cannot). */
  private writeLocally(files: ContentFiles, kbFile?: { name: string; text: string | null }): void {
    try {
      if (kbFile) this.deps.source.writeKbFile(kbFile.name, kbFile.text);
      else this.deps.source.writeAll(files);
      this.diskHash = filesHash(files);
    } catch (e) {
      this.log.warn(`knowledge base: published, but the local files were not written: ${(e as Error).message}`);
    }
  }

  /** One change at a time (API edits, reloads from disk, rollbacks). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** An editor's change starts from the newest version, whichever instance published it (no lost update). */
  private edit<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.syncNow();
      return fn();
    });
  }

  status() {
    return { version: this.version, publishedAt: this.publishedAt, lastError: this.lastError };
  }

  list(filter: { q?: string; topic?: string; lang?: string }): EntryView[] {
    return listEntries(this.content.kb.entries, filter);
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
        files = this.deps.source.readDisk();
      } catch (e) {
        const why = `cannot read the content folders: ${(e as Error).message}`;
        // Told once, not at every check, until it changes or the folders can be read again.
        if (why !== this.readError) this.log.warn(`knowledge base: ${why}`);
        this.readError = why;
        return;
      }
      this.readError = undefined;
      const hash = filesHash(files);
      if (hash === this.diskHash) {
        // The files are back to the published version (a broken edit undone): nothing is refused any more.
        this.lastError = null;
        this.refusedHash = undefined;
        return;
      }
      if (hash === this.refusedHash) return;
      const built = await this.deps.source.buildSafely(files);
      if (!built.content) {
        this.refusedHash = hash;
        this.lastError = { at: this.now().toISOString(), issues: built.errors };
        this.log.error(
          `knowledge base change refused, still serving version ${this.version}:\n${built.errors.map(formatIssue).join('\n')}`,
        );
        return;
      }
      this.diskHash = hash;
      // Written by another instance sharing the folders: its version is in the database already, adopted here.
      await this.syncNow();
      if (built.content.kb.version === this.version) return void (this.lastError = null);
      const before = this.version;
      await this.publish(files, built.content, 'disk', 'reload');
      await this.audit('disk', 'reload', null, { version: before }, { version: this.version });
      this.log.info(`knowledge base reloaded from disk: version ${this.version} (was ${before})`);
    });
  }

  private async publish(files: ContentFiles, content: PublishedContent, user: string, action: string): Promise<void> {
    this.deps.engine.publish(content);
    this.deps.source.published(files);
    this.refusedHash = undefined;
    this.lastError = null;
    this.publishedAt = this.now().toISOString();
    const seq = await this.deps.store.saveVersion({
      version: content.kb.version,
      at: this.publishedAt,
      user,
      action,
      files,
    });
    this.seenSeq = Math.max(this.seenSeq, seq);
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
    const files = this.deps.source.files;
    if (o.text === null) delete files.kb[o.file];
    else files.kb[o.file] = o.text;
    const built = await this.deps.source.build(files);
    if (!built.content)
      throw new AppError(
        'INVALID_CONTENT',
        `the change was refused:\n${built.errors.map(formatIssue).join('\n')}`,
        422,
        built.errors,
      );
    if (!o.force) {
      const reg = this.regressionCheck.between(this.content, built.content, o.entryId, built.confusions);
      if (reg.length)
        throw new AppError(
          'REGRESSION',
          `the change makes ${reg.length} sample question(s) of other entries resolve elsewhere (send force: true to publish anyway)`,
          409,
          reg,
        );
    }
    await this.publish(files, built.content, o.user, o.action);
    this.writeLocally(files, { name: o.file, text: o.text });
    const after = built.content.kb.entries.find((e) => e.id === o.entryId);
    await this.audit(o.user, o.action, o.entryId, o.before, after ? viewOf(after) : null);
    return { entry: after ? viewOf(after) : undefined, version: this.version };
  }

  create(user: string, body: { entry: Record<string, unknown>; topic: string; force?: boolean }) {
    return this.edit(async () => {
      const id = String(body.entry.id ?? '');
      if (this.content.kb.entries.some((e) => e.id === id))
        throw new AppError('ENTRY_EXISTS', `an entry "${id}" already exists`, 409);
      const { file: _f, topic: _t, ...data } = body.entry;
      const known = this.content.kb.topics.find((t) => t.id === body.topic);
      const file = known ? basename(known.file) : `${body.topic}.yaml`;
      const source = this.deps.source.kbFile(file);
      const text = source === undefined ? newTopicFile(body.topic, data) : appendEntry(source, data);
      return this.apply({ user, action: 'create', entryId: id, file, text, force: body.force === true, before: null });
    });
  }

  update(
    user: string,
    id: string,
    body: { lang: Lang; title?: string | null; questions?: string[]; answer?: string | null; force?: boolean },
  ) {
    return this.edit(async () => {
      const e = this.entry(id);
      const file = basename(e.source.file);
      const text = editEntry(this.deps.source.kbFile(file)!, id, (doc, node) => {
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
    return this.edit(async () => {
      const e = this.entry(id);
      const file = basename(e.source.file);
      const text = editEntry(this.deps.source.kbFile(file)!, id, (doc, node) =>
        addQuestion(doc, node, body.lang, body.question),
      );
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
    return this.edit(async () => {
      const e = this.entry(id);
      const file = basename(e.source.file);
      const text = removeEntry(this.deps.source.kbFile(file)!, id);
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
    return this.edit(async () => {
      const snap = await this.deps.store.getVersion(version);
      if (!snap) throw new AppError('VERSION_NOT_FOUND', `no stored version "${version}"`, 404);
      const built = await this.deps.source.build(snap.files);
      if (!built.content)
        throw new AppError(
          'INVALID_CONTENT',
          `version ${version} no longer builds:\n${built.errors.map(formatIssue).join('\n')}`,
          422,
          built.errors,
        );
      const before = this.version;
      await this.publish(snap.files, built.content, user, 'rollback');
      this.writeLocally(snap.files);
      await this.audit(user, 'rollback', null, { version: before }, { version: this.version });
      return { version: this.version };
    });
  }

  /** What the bot would do with `text` right now (editors' "try a question"). */
  try(text: string, lang?: Lang) {
    return tryQuestion(this.deps.engine, text, lang);
  }
}
