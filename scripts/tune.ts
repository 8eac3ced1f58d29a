/**
 * npm run tune -- [cases-dir] — choose the engine's decision thresholds on a development set of
 * conversation cases (default test/conversations/dev; never the test cases). Scoring per case:
 * in scope: right answer 1, "did you mean" offering the right entry 0.5, fallback 0, wrong answer -1;
 * out of scope: fallback 1, "did you mean" 0, any answer -1.
 */
import { resolve } from 'node:path';
import { buildCore } from '../src/app';
import { loadConfig } from '../src/config';
import { loadTuneSettings } from '../src/config/tune';
import { decide, DEFAULT_ENGINE_OPTIONS } from '../src/engine/engine';
import { loadConversationCases } from '../src/engine/conversationCases';
import type { MatcherOptions } from '../src/matching/matcher';

const dir = resolve(process.argv[2] ?? 'test/conversations/dev');
const config = loadConfig();
const { matcherOptions } = loadTuneSettings();
const { engine, kb } = buildCore(config, undefined, matcherOptions as Partial<MatcherOptions> | undefined);
const cases = loadConversationCases(dir);
const matches = cases.map((c) => ({ c, m: engine.match(c.says, c.lang) }));
const kinds = new Map(kb.entries.map((e) => [e.id, e.kind]));
const kindOf = (id: string) => kinds.get(id);

function utility(answerThreshold: number, clarifyThreshold: number, clarifyMargin: number): number {
  let u = 0;
  for (const { c, m } of matches) {
    const d = decide(m, kindOf, { answerThreshold, clarifyThreshold, clarifyMargin });
    if (c.expect === 'fallback') u += d.action === 'fallback' ? 1 : d.action === 'clarify' ? 0 : -1;
    else if (d.action === 'answer') u += d.id === c.expect ? 1 : -1;
    else if (d.action === 'clarify') u += d.ids.includes(c.expect) ? 0.5 : 0;
  }
  return u / matches.length;
}

let best = { u: -Infinity, a: 0, c: 0, m: 0 };
for (let a = 0.1; a <= 0.7; a += 0.01)
  for (let c = 0.1; c <= a; c += 0.02)
    for (let m = 0.05; m <= 0.4; m += 0.05) {
      const u = utility(a, c, m);
      if (u > best.u + 1e-9) best = { u, a, c, m };
    }
const d = DEFAULT_ENGINE_OPTIONS;
console.log(`${cases.length} cases from ${dir}`);
console.log(
  `current defaults: answer ${d.answerThreshold}, clarify ${d.clarifyThreshold}, margin ${d.clarifyMargin} -> utility ${utility(d.answerThreshold, d.clarifyThreshold, d.clarifyMargin).toFixed(3)}`,
);
console.log(
  `best:             answer ${best.a.toFixed(2)}, clarify ${best.c.toFixed(2)}, margin ${best.m.toFixed(2)} -> utility ${best.u.toFixed(3)}`,
);

function breakdown(a: number, c: number, mg: number): string {
  const n = {
    inRight: 0,
    inClarify: 0,
    inFallback: 0,
    inWrong: 0,
    oosFallback: 0,
    oosClarify: 0,
    oosAnswer: 0,
    ins: 0,
    oos: 0,
  };
  for (const { c: k, m } of matches) {
    const d = decide(m, kindOf, { answerThreshold: a, clarifyThreshold: c, clarifyMargin: mg });
    if (k.expect === 'fallback') {
      n.oos++;
      if (d.action === 'fallback') n.oosFallback++;
      else if (d.action === 'clarify') n.oosClarify++;
      else n.oosAnswer++;
    } else {
      n.ins++;
      if (d.action === 'answer') {
        if (d.id === k.expect) n.inRight++;
        else n.inWrong++;
      } else if (d.action === 'clarify') n.inClarify++;
      else n.inFallback++;
    }
  }
  const p = (x: number, t: number) => `${((100 * x) / t).toFixed(0)} %`;
  return `in scope (${n.ins}): answered right ${p(n.inRight, n.ins)}, did-you-mean ${p(n.inClarify, n.ins)}, fallback ${p(n.inFallback, n.ins)}, wrong ${p(n.inWrong, n.ins)}; out of scope (${n.oos}): fallback ${p(n.oosFallback, n.oos)}, did-you-mean ${p(n.oosClarify, n.oos)}, answered ${p(n.oosAnswer, n.oos)}`;
}
console.log(`defaults: ${breakdown(d.answerThreshold, d.clarifyThreshold, d.clarifyMargin)}`);
console.log(`best:     ${breakdown(best.a, best.c, best.m)}`);
