/**
 * The equivalent-mutant reasons file (stryker.equivalent.json) against a mutation report: a survivor is explained only
 * by an entry with its file, its line's text and its mutator; an entry that explains nothing is stale. And every entry
 * still points at a line that exists, with a reason a reader can read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSurvivors, type Equivalent } from '../scripts/mutation-survivors.js';

const ROOT = join(import.meta.dirname, '..');
const source = "const a = 1;\nif (event.type === 'USER_STATE') go();\n";
const report = (mutants: { mutatorName: string; status: string; line: number }[]) => ({
  files: { 'machines/x.ts': { source, mutants: mutants.map((m) => ({ ...m, location: { start: { line: m.line, column: 1 } } })) } },
});
const entry: Equivalent = { file: 'machines/x.ts', line: "if (event.type === 'USER_STATE') go();", mutators: ['ConditionalExpression'], reason: 'narrows the type only' };

describe('equivalent mutants, explained beside the Stryker config', () => {
  it('a survivor matching file, line text and mutator is explained; killed mutants need nothing', () => {
    const r = checkSurvivors(report([{ mutatorName: 'ConditionalExpression', status: 'Survived', line: 2 }, { mutatorName: 'StringLiteral', status: 'Killed', line: 2 }]), [entry]);
    expect(r).toEqual({ unexplained: [], stale: [], explained: 1 });
  });

  it('another mutator on the same line, or the same mutator elsewhere, is unexplained; an entry matching nothing is stale', () => {
    const r = checkSurvivors(report([{ mutatorName: 'StringLiteral', status: 'Survived', line: 2 }, { mutatorName: 'ConditionalExpression', status: 'NoCoverage', line: 1 }]), [entry]);
    expect(r.unexplained.map((s) => [s.line, s.mutator])).toEqual([
      [2, 'StringLiteral'],
      [1, 'ConditionalExpression'],
    ]);
    expect(r.stale).toEqual([entry]);
  });

  it('every entry of stryker.equivalent.json names a line that is in its file, and gives a reason', () => {
    const { equivalent } = JSON.parse(readFileSync(join(ROOT, 'stryker.equivalent.json'), 'utf8')) as { equivalent: Equivalent[] };
    expect(equivalent.length).toBeGreaterThan(0);
    for (const e of equivalent) {
      const lines = readFileSync(join(ROOT, e.file), 'utf8').split('\n').map((l) => l.trim());
      expect(lines, `${e.file}: ${e.line}`).toContain(e.line);
      expect(e.reason.length, `${e.file}: ${e.line}`).toBeGreaterThan(20);
    }
  });

  it('no production file carries a mutation-tool annotation', () => {
    const files = ['machines', 'src'].flatMap((d) => readdirSync(join(ROOT, d), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(d, f)));
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((f) => /Stryker (disable|restore)/.test(readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });
});
