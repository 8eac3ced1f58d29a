import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { SourceIssue } from '../domain/errors';

export interface ParsedYaml {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  data: unknown;
}

/** Parse one YAML file, keeping positions so that every later error can name file, line and column. */
export function parseYaml(file: string, source: string): { parsed?: ParsedYaml; issues: SourceIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const issues: SourceIssue[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return { file, line: pos.line, column: pos.col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` };
  });
  if (issues.length) return { issues };
  return { parsed: { file, doc, lines, data: doc.toJS() }, issues };
}

export function pathToString(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** Line and column of the node at `path`, or of its closest existing ancestor. */
export function locate(p: ParsedYaml, path: readonly PropertyKey[]): { line: number; column: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? p.doc.contents : p.doc.getIn(path.slice(0, n) as (string | number)[], true);
    if (isNode(node) && node.range) {
      const pos = p.lines.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

/** Line and column of the key `key` in the mapping at `path` (for unknown keys: point at the key, not its value). */
export function locateKey(p: ParsedYaml, path: readonly PropertyKey[], key: string): { line: number; column: number } {
  const map = path.length === 0 ? p.doc.contents : p.doc.getIn(path as (string | number)[], true);
  if (isMap(map)) {
    const pair = map.items.find((i) => isScalar(i.key) && String(i.key.value) === key);
    if (pair && isNode(pair.key) && pair.key.range) {
      const pos = p.lines.linePos(pair.key.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return locate(p, path);
}

export function issueAt(p: ParsedYaml, path: readonly PropertyKey[], message: string): SourceIssue {
  return { file: p.file, ...locate(p, path), path: pathToString(path), message };
}

/** Validate parsed YAML with a zod schema; every failure becomes a located issue. */
export function validateYaml<T>(p: ParsedYaml, schema: z.ZodType<T>): { value?: T; issues: SourceIssue[] } {
  const r = schema.safeParse(p.data ?? {});
  if (r.success) return { value: r.data, issues: [] };
  return {
    issues: r.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') {
        const where = locateKey(p, i.path, i.keys[0]!);
        return {
          file: p.file,
          ...where,
          path: pathToString([...i.path, i.keys[0]!]),
          message: `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`,
        };
      }
      return issueAt(p, i.path, i.message);
    }),
  };
}
