import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The exhaustive graph and the 10,000-call property test take seconds, not minutes; this is a hang guard only.
    testTimeout: 120_000,
  },
});
