/**
 * Property, shard 2 of 2 (see test/support/randomCalls.ts): the other half of the random calls, from SEED + 1, and
 * SIGTERM with the default config changing nothing about a call.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runModel } from '../src/simulator/runModel.js';
import { parseScenario } from '../src/simulator/scenario.js';
import type { TimelineEvent } from '../src/timeline/timeline.js';
import { base, randomCallsKeepInvariants, RUNS, scenario, SEED, time } from './support/randomCalls.js';

describe('random calls through the simulator', () => {
  it(`break no invariant (${Math.floor(RUNS / 2)} runs of ${RUNS}, seed ${SEED + 1})`, () => randomCallsKeepInvariants(SEED + 1, Math.floor(RUNS / 2)), 600_000);
});

describe('SIGTERM in the job process with the default config (shutdown.onSigterm continue)', () => {
  const runs = Math.max(1, Math.round(RUNS / 5));
  const withSigterms = fc.tuple(scenario, fc.array(time, { minLength: 1, maxLength: 3 })).map(([input, at]) => ({
    ...input,
    config: { ...input.config, shutdown: { onSigterm: 'continue' as const } },
    steps: [...(input.steps ?? []), ...at.map((t) => ({ at: t, sigterm: true as const }))],
  }));
  const noSigterm = (timeline: readonly TimelineEvent[]) => timeline.filter((e) => e.type !== 'sigterm');

  it(`changes nothing: the same call without its SIGTERMs has the same timeline (${runs} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(withSigterms, (input) => {
        const withThem = runModel(parseScenario(input), base);
        const without = runModel(parseScenario({ ...input, steps: input.steps.filter((s) => !('sigterm' in s)) }), base);
        expect(noSigterm(withThem.timeline)).toEqual(without.timeline);
      }),
      { seed: SEED, numRuns: runs },
    );
  }, 600_000);
});

