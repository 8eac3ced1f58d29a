import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ContentError, type SourceIssue } from '../domain/errors';
import type { ContentBuilder } from './builder';
import { buildContent, type BuildOptions, type BuildResult, type PublishedContent } from './build';
import {
  cloneFiles,
  filesHash,
  readContentFiles,
  writeAtomic,
  writeContentFiles,
  type ContentDirs,
  type ContentFiles,
} from './files';

/**
 * The content files behind the published version: where they live, how they are built, and their text (which
 * the editor changes and writes back). The one owner of that state; what was built from it is the engine's
 * (engine.content).
 */
export class ContentSource {
  private current: ContentFiles = { kb: {}, dialogs: {} };
  private currentHash = filesHash(this.current);
  /** Where builds run after the first one (a worker thread); absent: in-process. */
  private builder: ContentBuilder | undefined;

  constructor(
    readonly dirs: ContentDirs,
    readonly options: BuildOptions,
  ) {}

  /** Read and build the files on disk: the first version to publish. Throws ContentError when they are invalid. */
  load(): { content: PublishedContent; warnings: SourceIssue[] } {
    const files = readContentFiles(this.dirs);
    const built = buildContent(files, this.dirs, this.options);
    if (!built.content) throw new ContentError(built.errors);
    this.published(files);
    return { content: built.content, warnings: built.warnings };
  }

  /** The files of the published version (a copy: change it, build it, then call published()). */
  get files(): ContentFiles {
    return cloneFiles(this.current);
  }

  /** Text of one knowledge-base file of the published version. */
  kbFile(name: string): string | undefined {
    return this.current.kb[name];
  }

  get hash(): string {
    return this.currentHash;
  }

  /** The files on disk now (ContentError when a folder cannot be read). */
  readDisk(): ContentFiles {
    return readContentFiles(this.dirs);
  }

  /** Build the next version (in the worker thread when one is in use). */
  async build(files: ContentFiles): Promise<BuildResult> {
    return this.builder
      ? this.builder.build(files, this.dirs, this.options)
      : buildContent(files, this.dirs, this.options);
  }

  useBuilder(builder: ContentBuilder): void {
    this.builder = builder;
  }

  /** Build the files; a build that throws (a bug, not the content's fault) is refused like invalid content. */
  async buildSafely(files: ContentFiles): Promise<BuildResult> {
    try {
      return await this.build(files);
    } catch (e) {
      const issue: SourceIssue = {
        file: this.dirs.kbDir,
        line: 1,
        column: 1,
        path: '',
        message: `cannot build the content: ${(e as Error).message.split('\n')[0]}`,
      };
      return { errors: [issue], warnings: [], failedAt: 'knowledge-base', dialogCount: 0 };
    }
  }

  /** `files` are now the published version. */
  published(files: ContentFiles): void {
    this.current = cloneFiles(files);
    this.currentHash = filesHash(this.current);
  }

  /** Write one knowledge-base file (atomically), or remove it (text null). */
  writeKbFile(name: string, text: string | null): void {
    const path = join(this.dirs.kbDir, name);
    if (text === null) unlinkSync(path);
    else writeAtomic(path, text);
  }

  /** Make both folders hold exactly `files` (rollback). */
  writeAll(files: ContentFiles): void {
    writeContentFiles(this.dirs, files);
  }
}
