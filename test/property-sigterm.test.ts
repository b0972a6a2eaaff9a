/**
 * Property: SIGTERM with the default config (shutdown.onSigterm continue) changes nothing about a random call
 * (test/support/randomCalls.ts). A file of its own, beside the two shards of the invariant property, so the three
 * spread over the cores.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runModel } from '../src/simulator/runModel.js';
import { parseScenario } from '../src/simulator/scenario.js';
import type { TimelineEvent } from '../src/timeline/timeline.js';
import { base, RUNS, scenario, SEED, time } from './support/randomCalls.js';

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

