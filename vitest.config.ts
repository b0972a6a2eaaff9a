import { defineConfig } from 'vitest/config';
import { LongFilesFirst } from './test/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-stack suite runs on its own (npm run test:e2e, vitest.e2e.config.ts): npm test needs Node alone.
    exclude: ['test/e2e/**', '**/node_modules/**'],
    // The build the tests' child processes run (worker, job processes, commands): once, before any file.
    globalSetup: ['test/support/globalSetup.ts'],
    // The exhaustive graph and the 10,000-call property test take seconds, not minutes; this is a hang guard only.
    testTimeout: 120_000,
    // vitest's default on a 2-core machine is one worker, so a file that waits on real (scaled) timers or a child
    // process holds the whole suite. Four files overlap here on two cores: many of them mostly wait (measured: 3 ran
    // the suite in 91-96 s, 4 in 86-91 s); timing checks allow the scheduling delay they measure.
    maxWorkers: 4,
    // One module graph per worker: importing @livekit/agents and the machine once per worker instead of once per file.
    isolate: false,
    // Whatever vitest cached (nothing, in a fresh clone): the files that hold a worker longest start first.
    sequence: { sequencer: LongFilesFirst },
  },
});
