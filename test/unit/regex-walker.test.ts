/**
 * Every regular expression in src/ runs in linear time: found with the TypeScript compiler (regex literals,
 * `new RegExp(...)`/`RegExp(...)`, strings given to match/matchAll/search, `RE2JS.compile(...)`), then each
 * backtracking pattern proven safe by recheck. Patterns compiled with RE2 (re2js) are linear by construction: the
 * walker still sees them and checks that they compile. A pattern that is not a literal cannot be proven: it fails
 * (unless it goes to RE2).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RE2JS } from 're2js';
import ts from 'typescript';
import { ROOT } from '../support/config';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- recheck ships CommonJS without types
const { checkSync } = require('recheck') as { checkSync(source: string, flags: string): { status: string } };

interface Found {
  where: string;
  engine: 'v8' | 're2';
  /** undefined: not a literal, cannot be checked. */
  source?: string;
  flags: string;
}

const literal = (n: ts.Node | undefined): string | undefined =>
  n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : undefined;

function findPatterns(file: string, text: string): Found[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Found[] = [];
  const at = (n: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const visit = (n: ts.Node): void => {
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const t = n.getText(sf);
      const end = t.lastIndexOf('/');
      out.push({ where: at(n), engine: 'v8', source: t.slice(1, end), flags: t.slice(end + 1) });
    } else if (ts.isNewExpression(n) || ts.isCallExpression(n)) {
      const callee = n.expression.getText(sf);
      const args = n.arguments ?? [];
      if (callee === 'RegExp')
        out.push({ where: at(n), engine: 'v8', source: literal(args[0]), flags: literal(args[1]) ?? '' });
      else if (callee === 'RE2JS.compile' || callee === 'RE2JS.matches')
        out.push({ where: at(n), engine: 're2', source: literal(args[0]), flags: '' });
      else if (/\.(match|matchAll|search)$/.test(callee) && literal(args[0]) !== undefined)
        out.push({ where: at(n), engine: 'v8', source: literal(args[0]), flags: '' });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Why a pattern is not proven linear, or undefined when it is. */
function problem(p: Found): string | undefined {
  if (p.engine === 're2') {
    if (p.source === undefined) return undefined; // RE2 is linear on any pattern; a bad one throws when compiled
    try {
      RE2JS.compile(p.source);
      return undefined;
    } catch (e) {
      return `does not compile with RE2: ${(e as Error).message}`;
    }
  }
  if (p.source === undefined) return 'a RegExp built from a non-literal cannot be proven: use RE2JS.compile';
  const { status } = checkSync(p.source, p.flags);
  return status === 'safe' ? undefined : `recheck says ${status} for /${p.source}/${p.flags}`;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('regular expressions in src/', () => {
  const all = tsFiles(join(ROOT, 'src')).flatMap((f) => findPatterns(relative(ROOT, f), readFileSync(f, 'utf8')));

  it('finds them all: literals, constructors, RE2 patterns (the walker is not blind)', () => {
    expect(all.filter((p) => p.engine === 'v8').length).toBeGreaterThan(80);
    expect(all.map((p) => p.where)).toEqual(
      expect.arrayContaining(['src/dialogs/slots.ts:19', 'src/engine/contact.ts:6', 'src/nlp/normalize.ts:6']),
    );
    const email = all.find((p) => p.where === 'src/dialogs/slots.ts:19');
    expect(email).toMatchObject({ engine: 're2', source: expect.stringContaining('@') });
  });

  it('every one is proven linear (recheck) or runs on RE2', () => {
    const bad = all.flatMap((p) => {
      const why = problem(p);
      return why ? [`${p.where}: ${why}`] : [];
    });
    expect(bad).toEqual([]);
  });

  it('names file:line of a vulnerable or unprovable pattern, and accepts RE2 ones', () => {
    const src = [
      'const a = /^(a+)+$/;',
      "const b = new RegExp('[^@]+@[^@]+\\\\.[a-z]{2,}', 'i');",
      'const c = new RegExp(userPattern);',
      "const d = RE2JS.compile('(a+)+$');",
      'const e = RE2JS.compile(editorPattern);',
      "const f = RE2JS.compile('(a)\\\\1');",
      "const g = text.match('(x+x+)+y');",
      'const h = /^[a-z]+$/;',
    ].join('\n');
    const found = findPatterns('fixture.ts', src).map((p) => [p.where, problem(p) ?? 'ok']);
    expect(found).toEqual([
      ['fixture.ts:1', expect.stringMatching(/recheck says vulnerable/)],
      ['fixture.ts:2', expect.stringMatching(/recheck says vulnerable/)],
      ['fixture.ts:3', expect.stringMatching(/non-literal/)],
      ['fixture.ts:4', 'ok'],
      ['fixture.ts:5', 'ok'],
      ['fixture.ts:6', expect.stringMatching(/does not compile with RE2/)],
      ['fixture.ts:7', expect.stringMatching(/recheck says vulnerable/)],
      ['fixture.ts:8', 'ok'],
    ]);
  });
});
