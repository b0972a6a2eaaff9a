/**
 * Model mode: the real machine plus a model of the AgentSession's presence rules and a scripted dialer, all on one
 * virtual clock (@sinonjs/fake-timers). An hour of call runs in milliseconds, deterministically.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { createActor, type SnapshotFrom } from 'xstate';
import { callSettings, type CallMachine } from '../../machines/call.machine.js';
import type { CallEvent, Command } from '../../machines/events.js';
import { withOverrides } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { machineWithCommands } from '../commands.js';
import { sipPlan } from '../sip/plan.js';
import { checkExpectations } from './expect.js';
import { checkInvariants } from './invariants.js';
import type { Scenario, Step } from './scenario.js';
import { ms, SessionModel } from './sessionModel.js';
import { commandEntry, summarize, type PresenceLabel, type Summary, type TimelineEntry, type TimelineEvent } from './timeline.js';

export interface RunResult {
  scenario: Scenario;
  config: AgentConfig;
  timeline: TimelineEvent[];
  summary: Summary;
  /** Unmet `expect` entries. */
  failures: string[];
}

export function presenceLabel(snapshot: SnapshotFrom<CallMachine>): PresenceLabel {
  if (snapshot.status === 'done') return 'closed';
  if (!snapshot.matches('live')) return 'closing';
  if (snapshot.matches({ live: { presence: 'paused' } })) return 'paused';
  if (snapshot.matches({ live: { presence: { active: 'away' } } })) return 'away';
  return 'present';
}

/** The scenario's config: agent.config.ts (or `base`) with the scenario's overrides, validated. */
export function scenarioConfig(scenario: Scenario, base: AgentConfig): AgentConfig {
  return withOverrides(base, scenario.config, `scenario "${scenario.name}" config`);
}

/** The call a scenario step is played into: model mode's session model, or agent mode's real session. */
export interface StepTarget {
  userSays(text: string): void;
  userNoise(seconds: number): void;
  /** The caller hung up: no more speech from them. */
  callerLeft(): void;
  /** Run a tool for `seconds`, with presence paused while it runs. */
  runTool(name: string, seconds: number): void;
  record(entry: TimelineEntry): void;
  send(event: CallEvent): void;
}

/** Plays one scenario step: speech and tools through the target's session, everything else as a machine event. */
export function playStep(s: Step, to: StepTarget): void {
  if (s.say !== undefined) return to.userSays(s.say);
  if (s.noise !== undefined) {
    to.record({ type: 'noise', seconds: s.noise });
    return to.userNoise(s.noise);
  }
  if (s.tool !== undefined) return to.runTool(s.tool.name, s.tool.seconds);
  const effect = stepEffects(s);
  if (!effect) return;
  if (s.callerHangup) to.callerLeft();
  to.record(effect.entry);
  to.send(effect.event);
}

/** What a step does to the call, in terms of timeline entries and machine events. */
function stepEffects(s: Step): { entry: TimelineEntry; event: CallEvent } | null {
  if (s.dial !== undefined) return { entry: { type: 'dialRequest', number: s.dial }, event: { type: 'DIAL_REQUESTED', number: s.dial } };
  if (s.callerHangup) return { entry: { type: 'callerHangup' }, event: { type: 'CALLER_DISCONNECTED' } };
  if (s.roomDeleted) return { entry: { type: 'roomDeleted' }, event: { type: 'ROOM_DISCONNECTED', deleted: true } };
  if (s.endRequest !== undefined) {
    const source = s.endRequest === true ? 'frontend' : s.endRequest;
    return { entry: { type: 'endRequest', source }, event: { type: 'END_REQUESTED', source } };
  }
  if (s.sigterm) return { entry: { type: 'sigterm' }, event: { type: 'DRAIN' } };
  if (s.error !== undefined) return { entry: { type: 'error', message: s.error }, event: { type: 'FATAL_ERROR', message: s.error } };
  return null; // say, noise and tool steps are played by the session
}

export function runModel(scenario: Scenario, base: AgentConfig): RunResult {
  const config = scenarioConfig(scenario, base);
  const clock = FakeTimers.createClock(0, 10_000);
  const timeline: TimelineEvent[] = [];
  const record = (entry: TimelineEntry) => timeline.push({ t: clock.now / 1000, ...entry });

  const timers = {
    setTimeout: (fn: () => void, delay: number): unknown => clock.setTimeout(fn, delay),
    clearTimeout: (id: unknown) => clock.clearTimeout(id as number & FakeTimers.NodeTimer),
  };
  const pendingDials = new Map<string, unknown>();
  let done = false;
  const send = (event: CallEvent) => {
    if (!done) actor.send(event);
  };
  const session = new SessionModel(timers, scenario.model, config.presence.userAwayTimeout, { record, send });

  const onCommand = (c: Command) => {
    record(commandEntry(c));
    switch (c.type) {
      case 'checkIn':
        return session.checkIn(c.text, c.attempt, c.mode === 'llm');
      case 'goodbye':
        return session.sayFixed(c.text, 'goodbye');
      case 'warn':
        return session.sayFixed(c.text, 'warning');
      case 'holdCaller':
      case 'releaseCaller':
        if (config.dial.holdCaller.audioInput) session.setAudioEnabled(c.type === 'releaseCaller');
        return;
      case 'sessionClose':
        return session.close();
      case 'shutdown':
        done = true;
        return;
      case 'dialStart': {
        const plan = sipPlan(scenario.sip[c.number], config.dial.ringingTimeout);
        const id = timers.setTimeout(() => {
          pendingDials.delete(c.number);
          send(
            plan.sipStatus === undefined
              ? { type: 'DIAL_SETTLED', number: c.number, outcome: plan.outcome }
              : { type: 'DIAL_SETTLED', number: c.number, outcome: plan.outcome, sipStatus: plan.sipStatus },
          );
        }, ms(plan.seconds));
        pendingDials.set(c.number, id);
        return;
      }
      case 'dialCancel': {
        const id = pendingDials.get(c.number);
        if (id !== undefined) timers.clearTimeout(id);
        pendingDials.delete(c.number);
        return;
      }
    }
  };

  const actor = createActor(machineWithCommands(onCommand), { input: callSettings(config), clock: timers });
  let presence: PresenceLabel | null = null;
  actor.subscribe((snapshot) => {
    const label = presenceLabel(snapshot);
    if (label !== presence) record({ type: 'presence', state: (presence = label) });
  });
  actor.start();
  session.start();

  // Steps are scheduled before anything else, so at equal times a step precedes a machine deadline: speech at the
  // very instant a check-in is due counts as an answer.
  const target: StepTarget = {
    userSays: (text) => session.userSays(text),
    userNoise: (seconds) => session.userNoise(seconds),
    callerLeft: () => session.callerLeft(),
    runTool: (name, seconds) => {
      record({ type: 'toolStart', name });
      send({ type: 'TOOL_STARTED', name });
      clock.setTimeout(() => {
        if (done) return;
        record({ type: 'toolEnd', name });
        send({ type: 'TOOL_FINISHED', name });
      }, ms(seconds));
    },
    record,
    send,
  };
  for (const s of scenario.steps) {
    clock.setTimeout(() => {
      if (!done) playStep(s, target);
    }, Math.round(s.at * 1000));
  }

  clock.tick(Math.round(scenario.until * 1000));
  actor.stop();

  const violations = checkInvariants(timeline, config, scenario.until);
  const summary = summarize(timeline, violations);
  return { scenario, config, timeline, summary, failures: checkExpectations(scenario.expect, timeline, summary) };
}
