/**
 * LiveKit Cloud simulations: the agent's `onSimulationEnd` fails a run whose call broke a presence invariant, with
 * the rule as the reason, and leaves a clean run to the simulator's verdict. The SimulationContext is the one the
 * framework builds (`ctx.simulationContext()` from the job's `lk.simulator.dispatch` attribute) and it is finalized
 * the way the framework's `handleFinalizeSimulation` does: `_beginFinalize` with the simulator's verdict, then the
 * agent's callback as the job runner installed it (`ctx._simulationEndFnc = agent.onSimulationEnd`), then the veto
 * read from `userVerdict`.
 */
import { SimulationRun, type JobContext, type SimulationContext } from '@livekit/agents';
import { afterEach, describe, expect, it } from 'vitest';
import agent from '../src/agent/agent.js';
import { defineConfig } from '../src/config/load.js';
import { observeCall } from '../src/observability/callObserver.js';
import { MAX_KEPT_EVENTS, SimulationTimeline, simulationTimeline } from '../src/observability/simulationCheck.js';
import { jobContext, QUICK_CALL, ROOM, SIMULATION_RUN, startCallJob, type CallJob } from './support/callJob.js';
import { until } from './support/session.js';

const MANAGER = '+15550001111';
const quick = QUICK_CALL;

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** What the framework does when the simulator finalizes the run; returns the agent's veto. */
async function finalize(ctx: JobContext): Promise<SimulationContext['userVerdict']> {
  const sim = ctx.simulationContext();
  if (!sim) throw new Error('not a simulation job');
  sim._beginFinalize({ simulatorVerdict: { success: true, reason: 'the agent helped' }, run: new SimulationRun({ id: sim.simulationRunId }) });
  await ctx._simulationEndFnc?.(sim);
  return sim.userVerdict;
}

/** A JobContext under a simulation, with the agent's callback installed as the job runner installs it. */
function simulationJob(o: { redaction?: boolean } = {}): JobContext {
  const ctx = jobContext({ simulation: true, ...o });
  ctx._simulationEndFnc = agent.onSimulationEnd;
  return ctx;
}

let job: CallJob | null = null;
afterEach(async () => {
  await job?.stop();
  job = null;
});

describe('onSimulationEnd: the presence invariants as the run verdict', () => {
  it('the framework builds the SimulationContext from the job and the agent registers the hook', () => {
    const ctx = simulationJob();
    expect(ctx.simulationContext()?.simulationRunId).toBe(SIMULATION_RUN);
    expect(typeof agent.onSimulationEnd).toBe('function');
  });

  it('a clean call (a dial answered, the caller goes quiet, check-in, goodbye, close) passes, mid-dial and at the end', async () => {
    job = await startCallJob(quick, { simulation: true, sip: { [MANAGER]: { outcome: 'answered', ringSeconds: 0.4 } } });
    job.ctx._simulationEndFnc = agent.onSimulationEnd;
    const kept = simulationTimeline(job.ctx);
    expect(kept).toBeDefined();
    const types = () => kept!.events.map((e) => e.type);

    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    job.userSays(`please call my manager at ${MANAGER}`);
    await until(() => types().includes('dialStart'));
    expect(await finalize(job.ctx)).toBeUndefined(); // the simulator may end the run while a dial is in flight

    expect(await job.ended()).toBe('user_unresponsive');
    expect(types()).toEqual(expect.arrayContaining(['presence', 'dialStart', 'dialEnd', 'transcript', 'checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom']));
    // A check-in only once the dial settled: the machine kept the rule the hook checks.
    expect(types().indexOf('checkIn')).toBeGreaterThan(types().indexOf('dialEnd'));
    // Kept lean: the rules never read what was said.
    expect(kept!.events.find((e) => e.type === 'transcript')).toMatchObject({ text: '' });
    expect(await finalize(job.ctx)).toBeUndefined();
  });

  it('an end request while a dial rings: the close waits dial.settleTimeout, cancels the dial, and the run passes', async () => {
    // The cancel is legitimate because the close began settleTimeout earlier; the record has no line for that moment,
    // the machine's presence label ('closing') is what tells the rules.
    job = await startCallJob({ ...quick, dial: { settleTimeout: 0.5 } }, { simulation: true, sip: { [MANAGER]: { outcome: 'answered', ringSeconds: 5 } } });
    job.ctx._simulationEndFnc = agent.onSimulationEnd;
    const kept = simulationTimeline(job.ctx)!;
    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    await until(() => kept.events.some((e) => e.type === 'dialStart'));
    job.call.bridge.send({ type: 'END_REQUESTED', source: 'backend' });
    expect(await job.ended()).toBe('end_requested');
    const types = kept.events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['dialCancel', 'goodbye', 'sessionClose', 'shutdown']));
    expect(kept.events).toContainEqual(expect.objectContaining({ type: 'presence', state: 'closing' }));
    expect(await finalize(job.ctx)).toBeUndefined();
  });

  it('a timeline with a check-in while a dial is in flight fails the run, naming the rule', async () => {
    const ctx = simulationJob();
    // The hook startCall writes every timeline line through, fed what a broken machine would have recorded.
    const observed = observeCall({ ctx, config: defineConfig({}), record: null, now: () => 10, roomName: ROOM });
    observed.sink.write({ type: 'session', session: ctx.job.id, room: ROOM, startedAt: new Date().toISOString(), mode: 'simulation' });
    observed.sink.write({ t: 1, type: 'dialStart', number: MANAGER });
    await nextTurn(); // each a moment of its own (one synchronous turn is one instant)
    observed.sink.write({ t: 2, type: 'checkIn', attempt: 1 });
    await nextTurn();
    observed.sink.write({ t: 3, type: 'dialEnd', number: MANAGER, outcome: 'answered' });
    await nextTurn();
    observed.sink.write({ t: 3.5, type: 'agentState', state: 'speaking' }); // the caller told how the dial went

    const verdict = await finalize(ctx);
    expect(verdict).toEqual({
      success: false,
      reason: `presence invariants violated: quiet-during-dial: t=2.000 checkIn [quiet-during-dial]: while the dial to ${MANAGER} is in flight`,
    });
  });

  it('a dial that ends while the call goes on, with nothing said after it, fails the run (dial-reported)', async () => {
    const ctx = simulationJob();
    const observed = observeCall({ ctx, config: defineConfig({}), record: null, now: () => 10, roomName: ROOM });
    observed.sink.write({ type: 'session', session: ctx.job.id, room: ROOM, startedAt: new Date().toISOString(), mode: 'simulation' });
    observed.sink.write({ t: 1, type: 'dialStart', number: MANAGER });
    await nextTurn();
    observed.sink.write({ t: 3, type: 'dialEnd', number: MANAGER, outcome: 'busy', sipStatus: 486 });
    await nextTurn();
    observed.sink.write({ t: 30, type: 'userState', state: 'listening' });
    const verdict = await finalize(ctx);
    expect(verdict).toEqual({ success: false, reason: `presence invariants violated: dial-reported: t=3.000 dialEnd [dial-reported]: the caller was never told how the dial to ${MANAGER} went (busy)` });
  });

  it('with the project redacting PII, the reason names the rule but not the number', async () => {
    const ctx = simulationJob({ redaction: true });
    const observed = observeCall({ ctx, config: defineConfig({}), record: null, now: () => 10, roomName: ROOM });
    observed.sink.write({ t: 1, type: 'dialStart', number: MANAGER });
    await nextTurn();
    observed.sink.write({ t: 2, type: 'sessionClose', reason: 'end_requested' });
    const verdict = await finalize(ctx);
    expect(verdict?.success).toBe(false);
    expect(verdict?.reason).toContain('[quiet-during-dial]');
    expect(verdict?.reason).not.toContain('5550001111');
  });

  it('a call that never started fails the run: there is nothing to vouch for', async () => {
    const verdict = await finalize(simulationJob());
    expect(verdict).toEqual({ success: false, reason: expect.stringContaining('no call timeline') });
  });

  it('outside a simulation nothing is kept in memory', () => {
    const ctx = jobContext();
    const observed = observeCall({ ctx, config: defineConfig({}), record: null, now: () => 0, roomName: ROOM });
    observed.sink.write({ t: 1, type: 'dialStart', number: MANAGER });
    expect(ctx.simulationContext()).toBeUndefined();
    expect(observed.simulation).toBeNull();
    expect(simulationTimeline(ctx)).toBeUndefined();
  });

  it('one synchronous turn is one instant: a shutdown and its room deletion stamped a millisecond apart still pass', async () => {
    const kept = new SimulationTimeline(defineConfig({}), () => 10);
    kept.push({ t: 5, type: 'endRequest', source: 'frontend' });
    await nextTurn();
    kept.push({ t: 5.4, type: 'sessionClose', reason: 'end_requested' });
    kept.push({ t: 5.402, type: 'shutdown', reason: 'end_requested' });
    kept.push({ t: 5.403, type: 'deleteRoom' });
    expect(kept.events.map((e) => e.t)).toEqual([5, 5.4, 5.4, 5.4]);
    expect(kept.violations()).toEqual([]);
  });

  it('the kept timeline is bounded; a truncated one is judged up to its last kept entry', async () => {
    expect(MAX_KEPT_EVENTS).toBeGreaterThan(1000);
    const config = defineConfig({});
    const kept = new SimulationTimeline(config, () => 500, 3);
    kept.push({ t: 1, type: 'endRequest', source: 'frontend' });
    await nextTurn();
    kept.push({ t: 2, type: 'goodbye', reason: 'end_requested', text: 'Goodbye.' });
    await nextTurn();
    kept.push({ t: 3, type: 'sessionClose', reason: 'end_requested' });
    await nextTurn();
    kept.push({ t: 4, type: 'shutdown', reason: 'end_requested' });
    expect(kept.events).toHaveLength(3);
    expect(kept.truncated).toBe(true);
    // Judged up to t=3, the close is still within its bound: no false "never shut down" from what was not kept.
    expect(kept.violations()).toEqual([]);
    expect(kept.events[1]).toEqual({ t: 2, type: 'goodbye', reason: 'end_requested' });
  });
});
