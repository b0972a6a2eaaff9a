// @ts-check
/**
 * `npm run mutate`: mutation testing (StrykerJS) of the call machine, the dial policy and the config rules; not part
 * of `npm test`. Each mutant runs only the tests that cover it (perTest), from vitest.mutate.config.ts. Reports in
 * reports/mutation/ (index.html, mutation.json); the score table is printed. STRYKER_CONCURRENCY sets the number of
 * test runner processes (default 1: the machine's cores are shared).
 */
import { readFileSync } from 'node:fs';

/**
 * The parts of the config schema that are logic, as mutate ranges found by their text (so edits elsewhere in the
 * file do not shift them): the duration rules, the dial pattern, the numeric bounds and the cross-field rules. The
 * rest of the file is data (defaults, texts, the denied prefixes) and key names.
 */
function schemaLogic(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const ranges = [];
  const block = (start, end) => {
    const from = lines.findIndex((l) => start.test(l));
    const to = lines.findIndex((l, i) => i >= from && end.test(l));
    if (from < 0 || to < 0) throw new Error(`stryker.config.mjs: ${start} not found in ${file}; update schemaLogic`);
    ranges.push(`${file}:${from + 1}-${to + 1}`);
  };
  block(/^const seconds = /, /;\s*$/);
  block(/^const wholeSeconds = /, /;\s*$/);
  block(/^const dialPattern = /, /;\s*$/);
  block(/\.superRefine\(/, /^ {2}\}\);\s*$/);
  // Numeric bounds (checkIn.maxPrompts, dial.maxPerCall, maxCallDuration.warnBefore).
  lines.forEach((l, i) => /^\s+\w+: z\.number\(\)/.test(l) && ranges.push(`${file}:${i + 1}-${i + 1}`));
  return ranges;
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: ['machines/call.machine.ts', 'machines/dialPolicy.ts', 'src/config/dispatch.ts', ...schemaLogic('src/config/schema.ts')],
  // The sandbox gets only what the tests import.
  ignorePatterns: ['/*', '!/machines', '!/src', '!/test', '!/agent.config.ts', '!/package.json', '!/tsconfig.json', '!/vitest.mutate.config.ts'],
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  // Equivalent mutants are not excluded: they survive, and each has its reason in stryker.equivalent.json
  // (scripts/mutation-survivors.ts, run after this, fails on any other survivor). The score counts them.
  thresholds: { high: 95, low: 90, break: 90 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
