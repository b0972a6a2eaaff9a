/**
 * After `stryker run` (`npm run mutate`): every mutant that survived must be one `stryker.equivalent.json` explains (an
 * equivalent mutant, with why), and every entry there must still explain one. Production files carry no mutation-tool
 * annotations; the reasons live beside the Stryker config instead, where a reader of the report finds them.
 *
 * An entry matches a survivor by file, by the trimmed text of the line the mutant changes, and by mutator name. Exit 1
 * with the unexplained survivors (a test is missing, or a new equivalent mutant needs its reason) or the stale
 * entries (the code they explained changed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainModule, ROOT } from './build.js';

export interface Equivalent {
  file: string;
  line: string;
  mutators: string[];
  reason: string;
}

interface Report {
  files: Record<string, { source: string; mutants: { mutatorName: string; status: string; replacement?: string; location: { start: { line: number; column: number } } }[] }>;
}

export interface Survivor {
  file: string;
  line: number;
  text: string;
  mutator: string;
  replacement: string;
}

/** Survivors no entry explains, and entries that explain no survivor. */
export function checkSurvivors(report: Report, equivalent: readonly Equivalent[]): { unexplained: Survivor[]; stale: Equivalent[]; explained: number } {
  const survivors: Survivor[] = Object.entries(report.files).flatMap(([file, f]) => {
    const lines = f.source.split('\n');
    return f.mutants
      .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
      .map((m) => ({ file, line: m.location.start.line, text: (lines[m.location.start.line - 1] ?? '').trim(), mutator: m.mutatorName, replacement: m.replacement ?? '' }));
  });
  const matches = (e: Equivalent, s: Survivor) => e.file === s.file && e.line === s.text && e.mutators.includes(s.mutator);
  const unexplained = survivors.filter((s) => !equivalent.some((e) => matches(e, s)));
  const stale = equivalent.filter((e) => !survivors.some((s) => matches(e, s)));
  return { unexplained, stale, explained: survivors.length - unexplained.length };
}

if (isMainModule(import.meta.url)) {
  const report = JSON.parse(readFileSync(join(ROOT, 'reports', 'mutation', 'mutation.json'), 'utf8')) as Report;
  const { equivalent } = JSON.parse(readFileSync(join(ROOT, 'stryker.equivalent.json'), 'utf8')) as { equivalent: Equivalent[] };
  const { unexplained, stale, explained } = checkSurvivors(report, equivalent);
  for (const s of unexplained) process.stderr.write(`unexplained survivor: ${s.file}:${s.line} ${s.mutator} → ${JSON.stringify(s.replacement)}\n  ${s.text}\n`);
  for (const e of stale) process.stderr.write(`stale entry in stryker.equivalent.json (explains no survivor): ${e.file}: ${e.mutators.join(',')} on \`${e.line}\`\n`);
  process.stdout.write(`mutation survivors: ${explained} equivalent (each with its reason in stryker.equivalent.json), ${unexplained.length} unexplained, ${stale.length} stale entries\n`);
  process.exit(unexplained.length || stale.length ? 1 : 0);
}
