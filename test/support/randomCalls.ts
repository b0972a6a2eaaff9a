/**
 * The random-call properties, shared by the invariant property's two shards (test/property.test.ts and
 * test/property-shard-2.test.ts) and the SIGTERM property (test/property-sigterm.test.ts): random
 * calls (random config, random steps at random times, random SIP outcomes) through the simulator, whose timeline must
 * never break an invariant (src/timeline/invariants.ts). Two files of half the calls each, so the two halves run on
 * two cores at once instead of one after the other. Seeded: FC_SEED (and FC_RUNS) replay a failure.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { defineConfig } from '../../src/config/load.js';
import { runModel } from '../../src/simulator/runModel.js';
import { parseScenario, type ScenarioInput } from '../../src/simulator/scenario.js';
import { SIP_OUTCOMES, type SipEntry } from '../../src/sip/entry.js';

const NUMBERS = ['+15550001111', '+15550002222', '+19005550100', 'not-a-number'];
/** What an answered leg says first: a person, a voicemail, an IVR, a full mailbox, something AMD cannot place. */
const GREETINGS = [
  'Hello?',
  "Hi, you've reached Dana. Please leave a message after the tone.",
  'For sales press 1, for support press 2.',
  'The mailbox is full and cannot accept any new messages.',
  'Good afternoon and thank you so much for calling today.',
];
// A dialed number's behaviour; answered and voicemail legs may say a greeting of their own (else the default).
const sipEntry = fc.constantFrom(...SIP_OUTCOMES).chain((outcome): fc.Arbitrary<SipEntry> =>
  outcome === 'answered' || outcome === 'voicemail'
    ? fc.record({ outcome: fc.constant(outcome), ringSeconds: fc.integer({ min: 0, max: 80 }), greeting: fc.constantFrom(...GREETINGS) }, { requiredKeys: ['outcome', 'ringSeconds'] })
    : fc.record({ outcome: fc.constant(outcome), ringSeconds: fc.integer({ min: 0, max: 80 }) }),
);
export const base = defineConfig({});
/** The seed of shard 1; shard 2 runs SEED + 1. FC_SEED replays a failure (the seed the failing shard printed). */
export const SEED = Number(process.env.FC_SEED ?? 20261121);
/** Random calls in all, over the two shards (each runs half). */
export const RUNS = Number(process.env.FC_RUNS ?? 10_000);

export const time = fc.integer({ min: 0, max: 90_000 }).map((ms) => ms / 1000);
const bodyStep = fc.oneof(
  { weight: 5, arbitrary: fc.record({ at: time, say: fc.constantFrom('yes', 'I am here', 'please add my manager to the call') }) },
  { weight: 2, arbitrary: fc.record({ at: time, noise: fc.integer({ min: 1, max: 4000 }).map((ms) => ms / 1000) }) },
  { weight: 4, arbitrary: fc.record({ at: time, dial: fc.constantFrom(...NUMBERS) }) },
  { weight: 2, arbitrary: fc.record({ at: time, tool: fc.record({ name: fc.constant('lookup'), seconds: fc.integer({ min: 1, max: 60 }) }) }) },
);
// The dialed participant talking: a conference once a dial was answered (ignored before). Drawn on their own so the
// rest of the call is drawn as before.
const calleeStep = fc.record({ at: time, calleeSays: fc.constantFrom('hi', 'so about that invoice from last month', 'can you hear me, I think the line is bad') });
// At most a couple of exits per call, so most calls live long enough to meet their dials and check-ins.
const exitStep = fc.oneof(
  fc.record({ at: time, callerHangup: fc.constant(true as const) }),
  fc.record({ at: time, roomDeleted: fc.constant(true as const) }),
  fc.record({ at: time, endRequest: fc.constantFrom('frontend' as const, 'backend' as const) }),
  fc.record({ at: time, sigterm: fc.constant(true as const) }),
  fc.record({ at: time, error: fc.constant('provider failed') }),
  fc.record({ at: time, jobShutdown: fc.constant(true as const) }),
  fc.record({ at: time, disconnect: fc.constant('network' as const) }),
);
const steps = fc
  .tuple(fc.array(bodyStep, { maxLength: 14 }), fc.array(exitStep, { maxLength: 2 }), fc.array(calleeStep, { maxLength: 4 }))
  .map(([body, exits, callee]) => [...body, ...exits, ...callee]);

export const scenario: fc.Arbitrary<ScenarioInput> = fc.record({
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
    dial: fc.record({ onCallerLeft: fc.constantFrom('cancel', 'continue'), settleTimeout: fc.integer({ min: 5, max: 45 }), onVoicemail: fc.constantFrom('hangup', 'leave-message') }),
    maxCallDuration: fc.option(fc.record({ seconds: fc.integer({ min: 60, max: 300 }), warnBefore: fc.integer({ min: 0, max: 30 }) }), { nil: null }),
    shutdown: fc.record({ onSigterm: fc.constantFrom('continue', 'drain') }),
  }),
  sip: fc.record({
    '+15550001111': sipEntry,
    '+15550002222': sipEntry,
  }),
  steps,
  until: fc.constant(400),
});

/** Runs `runs` random calls from `seed`; every one must keep every invariant, and the draws must reach the interesting parts. */
export function randomCallsKeepInvariants(seed: number, runs: number): void {
  if (runs === 0) return; // FC_RUNS=1 leaves one shard nothing to run
  let shutdowns = 0;
  let dials = 0;
  let checkInsAndDials = 0;
  let agentGoneMidDial = 0;
  let conferences = 0;
  let voicemails = 0;
  fc.assert(
    fc.property(scenario, (input) => {
      const result = runModel(parseScenario(input), base);
      if (result.summary.shutdownReason) shutdowns++;
      dials += result.summary.dials;
      if (result.summary.dials > 0 && result.summary.checkIns > 0) checkInsAndDials++;
      const gone = result.timeline.find((e) => e.type === 'jobShutdown' || e.type === 'disconnect');
      if (gone && result.timeline.some((e) => e.type === 'dialCancel' && e.t === gone.t)) agentGoneMidDial++;
      const answeredAt = result.timeline.find((e) => e.type === 'dialEnd' && e.outcome === 'answered')?.t;
      if (answeredAt !== undefined && result.timeline.some((e) => e.type === 'calleeSpeech' && e.t > answeredAt)) conferences++;
      if (result.timeline.some((e) => e.type === 'dialEnd' && e.outcome === 'voicemail')) voicemails++;
      expect(result.summary.violations).toEqual([]);
    }),
    { seed, numRuns: runs },
  );
  // The generator must reach the interesting parts, or the property proves little.
  console.log(
    `property: ${runs} calls, ${shutdowns} shut down, ${dials} dials, ${checkInsAndDials} with both check-ins and dials, ` +
      `${agentGoneMidDial} job shutdowns or lost connections mid-dial, ${conferences} conferences with callee speech, ` +
      `${voicemails} with a dial ended as voicemail (seed ${seed})`,
  );
  expect(shutdowns).toBeGreaterThan(runs / 2);
  expect(dials).toBeGreaterThan(runs / 5);
  expect(checkInsAndDials).toBeGreaterThan(runs / 10);
  expect(agentGoneMidDial).toBeGreaterThanOrEqual(Math.floor(runs / 200));
  expect(conferences).toBeGreaterThanOrEqual(Math.floor(runs / 200));
  expect(voicemails).toBeGreaterThanOrEqual(Math.floor(runs / 200));
}
