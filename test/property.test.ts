/**
 * Property: for random calls (random config, random steps at random times, random SIP outcomes), the simulator's
 * timeline never breaks an invariant (see src/simulator/invariants.ts). Seeded: set FC_SEED to replay a failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineConfig } from '../src/config/load.js';
import { runModel } from '../src/simulator/runModel.js';
import { parseScenario, SIP_OUTCOMES, type ScenarioInput } from '../src/simulator/scenario.js';

const NUMBERS = ['+15550001111', '+15550002222', '+19005550100', 'not-a-number'];
const base = defineConfig({});
const SEED = Number(process.env.FC_SEED ?? 20261121);
const RUNS = Number(process.env.FC_RUNS ?? 10_000);

const time = fc.integer({ min: 0, max: 90_000 }).map((ms) => ms / 1000);
const bodyStep = fc.oneof(
  { weight: 5, arbitrary: fc.record({ at: time, say: fc.constantFrom('yes', 'I am here', 'please add my manager to the call') }) },
  { weight: 2, arbitrary: fc.record({ at: time, noise: fc.integer({ min: 1, max: 4000 }).map((ms) => ms / 1000) }) },
  { weight: 4, arbitrary: fc.record({ at: time, dial: fc.constantFrom(...NUMBERS) }) },
  { weight: 2, arbitrary: fc.record({ at: time, tool: fc.record({ name: fc.constant('lookup'), seconds: fc.integer({ min: 1, max: 60 }) }) }) },
);
// At most a couple of exits per call, so most calls live long enough to meet their dials and check-ins.
const exitStep = fc.oneof(
  fc.record({ at: time, callerHangup: fc.constant(true as const) }),
  fc.record({ at: time, roomDeleted: fc.constant(true as const) }),
  fc.record({ at: time, endRequest: fc.constantFrom('frontend' as const, 'backend' as const) }),
  fc.record({ at: time, sigterm: fc.constant(true as const) }),
  fc.record({ at: time, error: fc.constant('provider failed') }),
);
const steps = fc
  .tuple(fc.array(bodyStep, { maxLength: 14 }), fc.array(exitStep, { maxLength: 2 }))
  .map(([body, exits]) => [...body, ...exits]);

const scenario: fc.Arbitrary<ScenarioInput> = fc.record({
  name: fc.constant('random call'),
  config: fc.record({
    presence: fc.record({ userAwayTimeout: fc.integer({ min: 2, max: 20 }), activitySignal: fc.constantFrom('vad', 'transcript') }),
    checkIn: fc.record({
      mode: fc.constantFrom('llm', 'fixed'),
      interval: fc.integer({ min: 1, max: 15 }),
      maxPrompts: fc.integer({ min: 1, max: 3 }),
      resetOnSpeech: fc.boolean(),
    }),
    closeAction: fc.constantFrom('delete-room', 'leave'),
    dial: fc.record({ onCallerLeft: fc.constantFrom('cancel', 'continue'), settleTimeout: fc.integer({ min: 5, max: 45 }) }),
    maxCallDuration: fc.option(fc.record({ seconds: fc.integer({ min: 60, max: 300 }), warnBefore: fc.integer({ min: 0, max: 30 }) }), { nil: null }),
  }),
  sip: fc.record({
    '+15550001111': fc.record({ outcome: fc.constantFrom(...SIP_OUTCOMES), ringSeconds: fc.integer({ min: 0, max: 80 }) }),
    '+15550002222': fc.record({ outcome: fc.constantFrom(...SIP_OUTCOMES), ringSeconds: fc.integer({ min: 0, max: 80 }) }),
  }),
  steps,
  until: fc.constant(400),
});

describe('random calls through the simulator', () => {
  it(`break no invariant (${RUNS} runs, seed ${SEED})`, () => {
    let shutdowns = 0;
    let dials = 0;
    let checkInsAndDials = 0;
    fc.assert(
      fc.property(scenario, (input) => {
        const result = runModel(parseScenario(input), base);
        if (result.summary.shutdownReason) shutdowns++;
        dials += result.summary.dials;
        if (result.summary.dials > 0 && result.summary.checkIns > 0) checkInsAndDials++;
        expect(result.summary.violations).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The generator must reach the interesting parts, or the property proves little.
    console.log(`property: ${RUNS} calls, ${shutdowns} shut down, ${dials} dials, ${checkInsAndDials} with both check-ins and dials (seed ${SEED})`);
    expect(shutdowns).toBeGreaterThan(RUNS / 2);
    expect(dials).toBeGreaterThan(RUNS / 5);
    expect(checkInsAndDials).toBeGreaterThan(RUNS / 10);
  }, 600_000);
});
