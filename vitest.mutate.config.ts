/**
 * The tests `npm run mutate` (StrykerJS) runs against each mutant: the machine's and the config's scenario tests,
 * model-only and on virtual clocks, so one mutant costs milliseconds. Not the real-worker, agent-mode, emulator,
 * pictures or exhaustive graph/property files (seconds to minutes each; the graph test would cover every mutant).
 */
import { defineConfig } from 'vitest/config';

export const MUTATION_TESTS = [
  'test/presence.test.ts',
  'test/dial-guard.test.ts',
  'test/exits.test.ts',
  'test/conference.test.ts',
  'test/dispatch.test.ts',
  'test/config.test.ts',
  // Added for mutation testing: each kills mutants the files above let survive.
  'test/machine-definition.test.ts',
  'test/presence-pauses.test.ts',
  'test/presence-signals.test.ts',
  'test/during-goodbye.test.ts',
  'test/close-during-dial.test.ts',
  'test/dial-lifecycle.test.ts',
  'test/dial-policy.test.ts',
  'test/dispatch-narrowing.test.ts',
  'test/config-rules.test.ts',
  'test/reconnects.test.ts',
];

export default defineConfig({
  test: {
    include: MUTATION_TESTS,
    testTimeout: 20_000,
    // One module graph per run instead of one per file: half the time per mutant. Each run still starts fresh
    // workers, so a mutant in module-level code (the machine's definition) is loaded by every run.
    isolate: false,
  },
});
