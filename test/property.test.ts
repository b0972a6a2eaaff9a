/**
 * Property: random calls keep every invariant (test/support/randomCalls.ts), shard 1 of 2: half the calls, from
 * SEED; test/property-shard-2.test.ts runs the other half, from SEED + 1.
 */
import { describe, expect, it } from 'vitest';
import { runModel } from '../src/simulator/runModel.js';
import { parseScenario } from '../src/simulator/scenario.js';
import { base, randomCallsKeepInvariants, RUNS, SEED } from './support/randomCalls.js';

describe('random calls through the simulator', () => {
  it(`break no invariant (${Math.ceil(RUNS / 2)} runs of ${RUNS}, seed ${SEED})`, () => randomCallsKeepInvariants(SEED, Math.ceil(RUNS / 2)), 600_000);
});

describe('a machine bug the property found with fresh draws, fixed', () => {
  // After a pause (here: a dial) presence resumes in `ownWindow`, which counted its away window whenever the agent
  // listened; speech the user started during the pause was never seen as activity, so the window ran out while they
  // were still speaking and a check-in talked over them. The window now holds while the user speaks, as LiveKit's.
  it('a dial that ends while the user speaks: no check-in over their speech', () => {
    const r = runModel(
      parseScenario({
        name: 'dial ends mid-speech',
        config: { presence: { userAwayTimeout: 2 }, checkIn: { mode: 'llm', interval: 1, maxPrompts: 1, resetOnSpeech: false }, dial: { settleTimeout: 5 } },
        sip: { '+15550001111': { outcome: 'answered', ringSeconds: 30 } },
        steps: [{ at: 0, dial: '+15550001111' }, { at: 29.201, say: 'please add my manager to the call' }],
        until: 400,
      }),
      base,
    );
    expect(r.summary.violations).toEqual([]);
  });
});
