import {
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  LineCounter,
  parseDocument,
  type Document,
} from 'yaml';
import type { z } from 'zod';
import type { SourceIssue } from '../domain/errors';

export interface ParsedYaml {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  data: unknown;
}

/** Limits on one content file: real files are tens of KB, a few levels deep, with a handful of aliases at most. */
export const YAML_LIMITS = { maxBytes: 1_048_576, maxDepth: 32, maxAliasCount: 100 };

/** The deepest node (collections nested in collections) deeper than `max`, walked without recursion. */
function tooDeep(doc: Document.Parsed, max: number): { range?: [number, number, number] } | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (!isCollection(node)) continue;
    if (depth > max) return { range: node.range ?? undefined };
    for (const item of node.items as unknown[]) {
      if (isPair(item)) stack.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 });
      else stack.push({ node: item, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Position of the first alias (`*name`) of the document: where an alias bomb starts. */
function firstAlias(doc: Document.Parsed): number {
  const stack: unknown[] = [doc.contents];
  let first = Infinity;
  while (stack.length) {
    const node = stack.pop();
    if (isAlias(node) && node.range) first = Math.min(first, node.range[0]);
    else if (isPair(node)) stack.push(node.key, node.value);
    else if (isCollection(node)) stack.push(...(node.items as unknown[]));
  }
  return Number.isFinite(first) ? first : 0;
}

/**
 * Parse one YAML file, keeping positions so that every later error can name file, line and column. Oversized files,
 * too deep nesting and alias bombs (aliases expanding to huge data) are located issues, never thrown.
 */
export function parseYaml(file: string, source: string): { parsed?: ParsedYaml; issues: SourceIssue[] } {
  const issue = (line: number, column: number, message: string): SourceIssue => ({
    file,
    line,
    column,
    path: '',
    message,
  });
  const bytes = Buffer.byteLength(source);
  if (bytes > YAML_LIMITS.maxBytes)
    return { issues: [issue(1, 1, `file is ${bytes} bytes, more than the ${YAML_LIMITS.maxBytes} allowed`)] };
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const issues: SourceIssue[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return issue(pos.line, pos.col, `YAML syntax: ${e.message.split('\n')[0]}`);
  });
  if (issues.length) return { issues };
  const deep = tooDeep(doc, YAML_LIMITS.maxDepth);
  if (deep) {
    const pos = lines.linePos(deep.range?.[0] ?? 0);
    return { issues: [issue(pos.line, pos.col, `nested more than ${YAML_LIMITS.maxDepth} levels deep`)] };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
  } catch (e) {
    // yaml refuses aliases that expand to too much ("Excessive alias count"), or an alias to a missing anchor.
    const pos = lines.linePos(firstAlias(doc));
    return { issues: [issue(pos.line, pos.col, `YAML aliases: ${(e as Error).message.split('\n')[0]}`)] };
  }
  return { parsed: { file, doc, lines, data }, issues };
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
