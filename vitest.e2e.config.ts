import { defineConfig } from 'vitest/config';

/**
 * The e2e suite: the production worker against LiveKit's real server, SIP bridge, redis and sipp phones
 * (`npm run test:e2e`, which runs it inside the stack's network namespace: scripts/livekit-stack.sh). Real media on
 * two cores: one file at a time, and each test waits on real call timings, so its timeout is a hang guard only.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/support/globalSetup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 90_000,
    // rtc-node logs at debug level unless NODE_ENV is production (its log.ts): the callers' logs stay at info.
    env: { NODE_ENV: 'production' },
  },
});
