import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

// The layer rules of .dependency-cruiser.cjs, run by `npm run lint`, checked on a small tree made here: each wrong
// arrow must be refused with the rule that names it, and the right ones must pass.
const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

async function cruise(files: Record<string, string>): Promise<{ code: number; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  try {
    cpSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    cpSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const bin = join(ROOT, 'node_modules', '.bin', 'depcruise');
    try {
      const r = await run(bin, ['src', '--config', '.dependency-cruiser.cjs'], { cwd: dir });
      return { code: 0, out: r.stdout + r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ok = {
  'src/domain/types.ts': 'export type Lang = "fr";\n',
  'src/nlp/fold.ts': 'import type { Lang } from "../domain/types";\nexport const f = (l: Lang) => l;\n',
  'src/engine/engine.ts': 'import { f } from "../nlp/fold";\nexport const g = f;\n',
  'src/storage/ports.ts': 'export interface Store { get(): void }\n',
  'src/storage/memory.ts': 'import type { Store } from "./ports";\nexport class Memory implements Store { get() {} }\n',
  'src/app.ts':
    'import { Memory } from "./storage/memory";\nimport { g } from "./engine/engine";\nexport const app = [Memory, g];\n',
};

describe('layer rules (npm run lint)', () => {
  jest.setTimeout(60_000);

  it('accepts arrows that follow the layers', async () => {
    const r = await cruise(ok);
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.code).toBe(0);
  });

  // One run over a tree with every kind of wrong arrow (depcruise costs about 1.5 s a run): each is named by its rule.
  it('refuses the engine importing express, an arrow back up, a back end outside the wiring and a cycle', async () => {
    const r = await cruise({
      ...ok,
      'src/engine/http.ts': 'import express from "express";\nexport const e = express;\n',
      'src/domain/bad.ts': 'import { g } from "../engine/engine";\nexport const b = g;\n',
      'src/engine/store.ts': 'import { Memory } from "../storage/memory";\nexport const m = Memory;\n',
      'src/nlp/a.ts': 'import { b } from "./b";\nexport const a = () => b;\n',
      'src/nlp/b.ts': 'import { a } from "./a";\nexport const b = () => a;\n',
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/core-knows-no-framework: src\/engine\/http\.ts → \S*node_modules\/express\//);
    expect(r.out).toMatch(/layer-domain: src\/domain\/bad\.ts → src\/engine\/engine\.ts/);
    expect(r.out).toMatch(/storage-back-ends-only-in-wiring: src\/engine\/store\.ts → src\/storage\/memory\.ts/);
    expect(r.out).toMatch(/no-circular: src\/nlp\/(a|b)\.ts → /);
    // Nothing else is refused: the rest of the tree follows the layers.
    expect(r.out).toMatch(/x 4 dependency violations/);
  });
});
