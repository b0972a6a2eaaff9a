/**
 * LiveKit Cloud simulations (`lk simulate`). When a run ends the framework calls the agent's `onSimulationEnd` with
 * the job's `SimulationContext` (`voice/remote_session.ts`, `handleFinalizeSimulation`: `_beginFinalize` with the
 * simulator's verdict, then `jobCtx._simulationEndFnc(simCtx)`, then the veto read from `simCtx.userVerdict`).
 * `simCtx.fail(reason)` is the framework's veto: the run's result is the AND of the simulator's verdict and ours, so
 * it can fail a run the simulator passed and never rescue one.
 *
 * This agent's veto: the call's timeline, judged by the same invariants as the simulator and the property tests
 * (`checkInvariants`). The timeline is kept in memory only for a job running under a simulation
 * (`ctx.simulationContext()`), bounded, and without free text (the rules read types, times, numbers and reasons).
 */
import { log, type JobContext, type SimulationContext } from '@livekit/agents';
import type { AgentConfig } from '../config/schema.js';
import { checkInvariants } from '../timeline/invariants.js';
import type { TimelineEvent } from '../timeline/timeline.js';

/**
 * Seconds of slack for a real clock. The stamps and the machine's timers share the process clock, but each hop
 * (timer → command → record) waits for the event loop, which a loaded container stretches; 50 ms is still far
 * below any rule's timing (whole seconds). The virtual-clock simulator uses 2 ms.
 */
export const REAL_CLOCK_TOLERANCE = 0.05;
/** A simulated call of an hour produces a few thousand entries; past this the rest is not kept (see `verdict`). */
export const MAX_KEPT_EVENTS = 20_000;
/** Violations spelled out in the reason; the count says how many more there were. */
const REASON_VIOLATIONS = 5;

export class SimulationTimeline {
  readonly events: TimelineEvent[] = [];
  truncated = false;
  private turnT: number | null = null;

  constructor(
    readonly config: AgentConfig,
    /** The call's clock: seconds since it started, the same `t` as the timeline's. */
    readonly now: () => number,
    private readonly max = MAX_KEPT_EVENTS,
  ) {}

  push(e: TimelineEvent): void {
    if (this.events.length >= this.max) {
      this.truncated = true;
      return;
    }
    // Entries written in one synchronous turn happened at one instant: the machine emits shutdown and deleteRoom in one
    // transition, and the rules say so exactly (nothing-after-shutdown), but the record stamps each line with its own
    // millisecond, which can straddle a boundary between them. The agent-mode simulator's clock does the same.
    if (this.turnT === null) {
      this.turnT = e.t;
      queueMicrotask(() => (this.turnT = null));
    }
    this.events.push(lean({ ...e, t: this.turnT }));
  }

  /**
   * The violated rules, checked up to now. A truncated timeline is checked up to its last kept entry: a prefix holds
   * every violation that happened within it, and nothing after it is judged (no false "never shut down").
   */
  violations(): string[] {
    const until = this.truncated ? (this.events.at(-1)?.t ?? 0) : this.now();
    return checkInvariants(this.events, this.config, until, REAL_CLOCK_TOLERANCE);
  }
}

/** The rules never read transcripts, goodbye texts or error messages: not kept. */
function lean(e: TimelineEvent): TimelineEvent {
  switch (e.type) {
    case 'transcript':
      return { t: e.t, type: 'transcript', text: '' };
    case 'goodbye':
      return e.reason === undefined ? { t: e.t, type: 'goodbye' } : { t: e.t, type: 'goodbye', reason: e.reason };
    case 'error':
      return { t: e.t, type: 'error', message: '' };
    default:
      return e;
  }
}

const kept = new WeakMap<JobContext, SimulationTimeline>();

/**
 * Starts keeping the call's timeline when, and only when, the job runs under a simulation. Returns null otherwise:
 * a production call keeps nothing in memory for this.
 */
export function keepTimelineForSimulation(ctx: JobContext, config: AgentConfig, now: () => number): SimulationTimeline | null {
  // Harnesses that build a partial JobContext (benchmarks) have no simulationContext: treat them as production.
  const sim = typeof ctx.simulationContext === 'function' ? ctx.simulationContext() : undefined;
  if (!sim) return null;
  const timeline = new SimulationTimeline(config, now);
  kept.set(ctx, timeline);
  return timeline;
}

/** The timeline kept for this job, if it runs under a simulation and its call started. */
export function simulationTimeline(ctx: JobContext): SimulationTimeline | undefined {
  return kept.get(ctx);
}

/** The veto's reason: the rules broken, then the first violations as the simulator prints them. */
export function failureReason(violations: readonly string[], redact: boolean): string {
  const rules = violatedRules(violations);
  const shown = violations.slice(0, REASON_VIOLATIONS).map((v) => (redact ? redactNumbers(v) : v));
  const more = violations.length > REASON_VIOLATIONS ? ` (+${violations.length - REASON_VIOLATIONS} more)` : '';
  return `presence invariants violated: ${rules.join(', ')}: ${shown.join('; ')}${more}`;
}

/** The rule names, in order of first violation (each violation reads `t=... <event> [<rule>]: ...`). */
export function violatedRules(violations: readonly string[]): string[] {
  return [...new Set(violations.map((v) => /\[([^\]]+)\]/.exec(v)?.[1] ?? 'unknown'))];
}

/** Dialed numbers appear in violations ("while the dial to +1555... is in flight"); the verdict is stored by Cloud. */
const redactNumbers = (s: string) => s.replace(/\+\d{4,15}/g, '<redacted number>');

/**
 * The agent's `onSimulationEnd`: fails the run with the violated rules as the reason, or leaves the simulator's
 * verdict alone when the timeline is clean.
 */
export function onSimulationEnd(sim: SimulationContext): void {
  const ctx = sim.jobContext;
  const logger = log().child({ simulationRunId: sim.simulationRunId, simulationJobId: sim.simulationJobId });
  const timeline = kept.get(ctx);
  if (!timeline) {
    // The entry never reached startCall (it threw, or the simulated user never joined): there is no call to judge,
    // and a run whose call never started has not shown the agent behaves.
    sim.fail('presence invariants: no call timeline was recorded for this job (the call never started)');
    logger.warn('simulation run failed: no call timeline');
    return;
  }
  const violations = timeline.violations();
  if (timeline.truncated) logger.warn({ kept: timeline.events.length }, 'simulation timeline truncated: checked up to its last kept entry');
  if (violations.length === 0) return;
  sim.fail(failureReason(violations, Boolean(ctx._redactionEnabled)));
  // Rule names only: the violations themselves can name a dialed number.
  logger.warn({ violations: violations.length, rules: violatedRules(violations) }, 'simulation run failed: presence invariants violated');
}
