/**
 * Property, shard 2 of 2 (see test/support/randomCalls.ts): the other half of the random calls, from SEED + 1.
 */
import { describe, it } from 'vitest';
import { randomCallsKeepInvariants, RUNS, SEED } from './support/randomCalls.js';

describe('random calls through the simulator', () => {
  it(`break no invariant (${Math.floor(RUNS / 2)} runs of ${RUNS}, seed ${SEED + 1})`, () => randomCallsKeepInvariants(SEED + 1, Math.floor(RUNS / 2)), 600_000);
});
