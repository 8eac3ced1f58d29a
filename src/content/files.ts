import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { listYamlFiles } from '../knowledge/loader';

/** The content files' text, by file name (no folder), for the knowledge base and the dialogs. */
export interface ContentFiles {
  kb: Record<string, string>;
  dialogs: Record<string, string>;
}

export interface ContentDirs {
  kbDir: string;
  dialogsDir: string;
}

export const cloneFiles = (f: ContentFiles): ContentFiles => ({ kb: { ...f.kb }, dialogs: { ...f.dialogs } });

/** Read every .yaml file of both folders (a missing dialogs folder means no dialogs). */
export function readContentFiles(dirs: ContentDirs): ContentFiles {
  const read = (dir: string) =>
    Object.fromEntries(listYamlFiles(dir).map((f) => [f.slice(dir.length + 1), readFileSync(f, 'utf8')]));
  return { kb: read(dirs.kbDir), dialogs: existsSync(dirs.dialogsDir) ? read(dirs.dialogsDir) : {} };
}

/** Hash of the raw files (names and bytes): tells whether anything changed on disk. */
export function filesHash(files: ContentFiles): string {
  const h = createHash('sha256');
  for (const part of ['kb', 'dialogs'] as const)
    for (const name of Object.keys(files[part]).sort())
      h.update(part).update('\0').update(name).update('\0').update(files[part][name]!).update('\0');
  return h.digest('hex');
}

/** Name shown in error messages: the path relative to the working directory, as the loaders always did. */
export const displayPath = (dir: string, name: string) => relative(process.cwd(), join(dir, name)) || name;

/** Write through a temporary file and a rename: readers (and the watcher) never see half a file. */
export function writeAtomic(file: string, text: string): void {
  const tmp = join(file, '..', `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Make both folders hold exactly `files`: every file written, .yaml files not in `files` removed. */
export function writeContentFiles(dirs: ContentDirs, files: ContentFiles): void {
  for (const [dir, texts] of [
    [dirs.kbDir, files.kb],
    [dirs.dialogsDir, files.dialogs],
  ] as const) {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(texts)) writeAtomic(join(dir, name), text);
    for (const name of readdirSync(dir)) if (/\.ya?ml$/i.test(name) && !(name in texts)) unlinkSync(join(dir, name));
  }
}
