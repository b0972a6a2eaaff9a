/**
 * Model mode: the real machine plus a model of the AgentSession's presence rules and a scripted dialer, all on one
 * virtual clock (@sinonjs/fake-timers). An hour of call runs in milliseconds, deterministically.
 */
import { voice } from '@livekit/agents';
import { DisconnectReason } from '@livekit/rtc-node';
import FakeTimers from '@sinonjs/fake-timers';
import { callSettings } from '../../machines/call.machine.js';
import type { CallEvent, Command } from '../../machines/events.js';
import { calleeSpeechEvent, callerLeftEffect, disconnectEffect, sessionCloseEvent } from '../bridge/roomEvents.js';
import type { OverrideRejection } from '../config/dispatch.js';
import { withOverrides } from '../config/load.js';
import { withDispatchMetadata } from '../config/dispatch.js';
import { dialNoteHeadline, dialReportNote } from '../dialer/outcomeNote.js';
import { dialedIdentity, isDialedIdentity } from '../dialer/sipDialer.js';
import type { AgentConfig } from '../config/schema.js';
import { createCallActor } from '../commands.js';
import { sipPlan } from '../sip/plan.js';
import { checkGreetings, screenModel } from './amdModel.js';
import { checkExpectations } from './expect.js';
import { checkInvariants } from '../timeline/invariants.js';
import { presenceLabel } from '../timeline/presence.js';
import { words, type DisconnectKind, type Scenario, type Step } from './scenario.js';
import { ms, SessionModel } from './sessionModel.js';
import { commandEntry, summarize, type AmdCategory, type PresenceLabel, type Summary, type TimelineEntry, type TimelineEvent } from '../timeline/timeline.js';

export interface RunResult {
  scenario: Scenario;
  config: AgentConfig;
  timeline: TimelineEvent[];
  summary: Summary;
  /** Unmet `expect` entries. */
  failures: string[];
}

/** The scenario's config: agent.config.ts (or `base`) with the scenario's overrides, validated. */
export function scenarioConfig(scenario: Scenario, base: AgentConfig): AgentConfig {
  return scenarioSetup(scenario, base).config;
}

/**
 * The config a scenario's call runs with: its `config` on top of `base` (the operator's agent.config.ts), then its
 * `dispatchMetadata` exactly as the agent applies a job's (`withDispatchMetadata`), with the keys it refused.
 */
export function scenarioSetup(scenario: Scenario, base: AgentConfig): { config: AgentConfig; rejected: OverrideRejection[] } {
  const configured = withOverrides(base, scenario.config, `scenario "${scenario.name}" config`);
  const { config, rejected } = withDispatchMetadata(configured, scenario.dispatchMetadata);
  if (config.dial.amd.enabled) checkGreetings(scenario.sip, config, (text) => words(text) / scenario.model.speechRate, `scenario "${scenario.name}"`);
  return { config, rejected };
}

/** What plays a `calleeSays` step: the identity the dialer gives the first dialed participant. */
const SIMULATED_CALLEE = [{ identity: dialedIdentity('+15550001111', 1) }];

/** The call a scenario step is played into: model mode's session model, or agent mode's real session. */
export interface StepTarget {
  userSays(text: string): void;
  userNoise(seconds: number): void;
  /** The caller hung up: no more speech from them. */
  callerLeft(): void;
  /** Run a tool for `seconds`, with presence paused while it runs. */
  runTool(name: string, seconds: number): void;
  /** How long saying `text` takes (the scenario model's speech rate). */
  speechSeconds(text: string): number;
  /** Run `fn` after `seconds` of the call's time (unless the call ended). */
  later(seconds: number, fn: () => void): void;
  /**
   * What the framework does first when it ends a job (its `finalizeSession`): `session.close()` on the session,
   * which interrupts what is playing. Agent mode closes the real AgentSession and the bridge maps that close to the
   * machine event (`sessionCloseEvent`); model mode closes its model and sends what the same mapping gives.
   */
  closeSession(): void;
  record(entry: TimelineEntry): void;
  send(event: CallEvent): void;
}

/** The rtc-node DisconnectReason a `disconnect` step stands for. */
export const DISCONNECT_REASONS: Record<DisconnectKind, DisconnectReason> = {
  network: DisconnectReason.SIGNAL_CLOSE,
};

/** What the framework's close of the session (reason `user_initiated`, its finalizeSession) is to the machine. */
const frameworkCloseEvent = (): CallEvent => sessionCloseEvent(voice.CloseReason.USER_INITIATED);

/** Plays one scenario step: speech, tools and the framework's close through the target's session, everything else as a machine event. */
export function playStep(s: Step, to: StepTarget, config: AgentConfig): void {
  if (s.say !== undefined) return to.userSays(s.say);
  if (s.noise !== undefined) {
    to.record({ type: 'noise', seconds: s.noise });
    return to.userNoise(s.noise);
  }
  if (s.tool !== undefined) return to.runTool(s.tool.name, s.tool.seconds);
  if (s.calleeSays !== undefined) {
    // The room's active speakers, through the same mapping as the agent's ActiveSpeakersChanged handler.
    const start = calleeSpeechEvent(false, SIMULATED_CALLEE, isDialedIdentity);
    const stop = calleeSpeechEvent(true, [], isDialedIdentity);
    to.record({ type: 'calleeSpeech', speaking: true });
    if (start) to.send(start);
    return to.later(to.speechSeconds(s.calleeSays), () => {
      to.record({ type: 'calleeSpeech', speaking: false });
      if (stop) to.send(stop);
    });
  }
  if (s.jobShutdown) {
    to.record({ type: 'jobShutdown' });
    return to.closeSession();
  }
  const effect = stepEffects(s, config);
  if (!effect) return;
  if (s.callerHangup) to.callerLeft();
  to.record(effect.entry);
  if (effect.event) to.send(effect.event);
}

/**
 * What a step does to the call, in terms of a timeline entry and a machine event (none: the step changes nothing).
 * Room disconnects go through the same `disconnectEffect` as `src/agent/call.ts` (event and record entry).
 */
function stepEffects(s: Step, config: AgentConfig): { entry: TimelineEntry; event: CallEvent | null } | null {
  if (s.dial !== undefined) return { entry: { type: 'dialRequest', number: s.dial }, event: { type: 'DIAL_REQUESTED', number: s.dial } };
  if (s.callerHangup) return callerLeftEffect(DisconnectReason.CLIENT_INITIATED);
  // What production makes of the caller's connection and the agent's own (src/agent/call.ts).
  if (s.callerConnection === 'lost') return callerLeftEffect(DisconnectReason.SIGNAL_CLOSE);
  if (s.callerConnection === 'back') return { entry: { type: 'callerReconnected' }, event: { type: 'CALLER_RECONNECTED' } };
  if (s.agentConnection === 'reconnecting') return { entry: { type: 'agentReconnecting' }, event: { type: 'AGENT_RECONNECTING' } };
  if (s.agentConnection === 'reconnected') return { entry: { type: 'agentReconnected' }, event: { type: 'AGENT_RECONNECTED' } };
  if (s.roomDeleted) return disconnectEffect(DisconnectReason.ROOM_DELETED);
  if (s.disconnect !== undefined) return disconnectEffect(DISCONNECT_REASONS[s.disconnect]);
  if (s.endRequest !== undefined) {
    const source = s.endRequest === true ? 'frontend' : s.endRequest;
    return { entry: { type: 'endRequest', source }, event: { type: 'END_REQUESTED', source } };
  }
  // SIGTERM reaching the job process: the framework's job process ignores it (the worker drains and lets calls
  // finish); only shutdown.onSigterm 'drain' winds the call down.
  if (s.sigterm) return { entry: { type: 'sigterm' }, event: config.shutdown.onSigterm === 'drain' ? { type: 'DRAIN' } : null };
  if (s.error !== undefined) return { entry: { type: 'error', message: s.error }, event: { type: 'FATAL_ERROR', message: s.error } };
  return null; // say, noise, tool and jobShutdown steps are played by the session
}

/** `RoomEvent.Disconnected` with `reason`: the machine event production sends, the timeline entry it records. */
export function runModel(scenario: Scenario, base: AgentConfig): RunResult {
  const { config, rejected } = scenarioSetup(scenario, base);
  const clock = FakeTimers.createClock(0, 10_000);
  const timeline: TimelineEvent[] = [];
  /** Each dial's AMD verdict, as recorded: what its report to the caller says. */
  const amdVerdicts = new Map<string, AmdCategory>();
  const record = (entry: TimelineEntry) => {
    if (entry.type === 'amd') amdVerdicts.set(entry.number, entry.category);
    timeline.push({ t: clock.now / 1000, ...entry });
  };

  const timers = {
    setTimeout: (fn: () => void, delay: number): unknown => clock.setTimeout(fn, delay),
    clearTimeout: (id: unknown) => clock.clearTimeout(id as number & FakeTimers.NodeTimer),
    now: () => clock.now,
  };
  const pendingDials = new Map<string, unknown>();
  let done = false;
  const send = (event: CallEvent) => {
    if (done) return;
    actor.send(event);
    if (event.type === 'DIAL_SETTLED') reportDial(event);
  };
  // As the bridge's reportDial: the model tells the caller how a dial it settled went, unless the call is closing or
  // the answer's greeting (heard while AMD listened: the screen model plays it) already has its reply.
  const reportDial = (event: Extract<CallEvent, { type: 'DIAL_SETTLED' }>) => {
    const note = dialReportNote(
      { ...event, amd: amdVerdicts.get(event.number) ?? null, greeted: config.dial.amd.enabled, closing: actor.getSnapshot().context.closeReason !== null },
      config.dial.onVoicemail,
    );
    if (note !== null) session.speak({ text: dialNoteHeadline(note)!, prompt: null, interruptible: true, think: true });
  };
  const session = new SessionModel(timers, scenario.model, config.presence.userAwayTimeout, { record, send });
  // As the bridge's applyAudioInput: with dial.holdCaller.audioInput the input is off while the caller is held,
  // except while answering-machine detection listens to a dialed leg.
  let callerHeld = false;
  let legListening = false;
  const applyAudioInput = () => {
    if (config.dial.holdCaller.audioInput) session.setAudioEnabled(!callerHeld || legListening);
  };
  const screen = screenModel({
    config,
    sip: scenario.sip,
    session,
    clock: timers,
    record,
    send,
    legListening: (listening) => {
      legListening = listening;
      applyAudioInput();
    },
  });

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
        callerHeld = c.type === 'holdCaller';
        return applyAudioInput();
      case 'sessionClose':
        return session.close();
      case 'shutdown':
        done = true;
        return;
      case 'dialStart': {
        const plan = sipPlan(scenario.sip[c.number], config.dial.ringingTimeout);
        const id = timers.setTimeout(() => {
          pendingDials.delete(c.number);
          // Answered: answering-machine detection decides what the dial's outcome is.
          if (plan.outcome === 'answered' && config.dial.amd.enabled) return screen.start(c.number);
          send(
            plan.sipStatus === undefined
              ? { type: 'DIAL_SETTLED', number: c.number, outcome: plan.outcome }
              : { type: 'DIAL_SETTLED', number: c.number, outcome: plan.outcome, sipStatus: plan.sipStatus },
          );
        }, ms(plan.seconds));
        pendingDials.set(c.number, id);
        return;
      }
      // However the machine ends a dial (a room deleted mid-dial is only recorded), nothing more comes of it.
      case 'dialEnd':
      case 'dialCancel': {
        const id = pendingDials.get(c.number);
        if (id !== undefined) timers.clearTimeout(id);
        pendingDials.delete(c.number);
        screen.abort(c.number);
        return;
      }
    }
  };

  const actor = createCallActor(onCommand, { input: callSettings(config), clock: timers });
  let presence: PresenceLabel | null = null;
  actor.subscribe((snapshot) => {
    const label = presenceLabel(snapshot);
    if (label !== presence) record({ type: 'presence', state: (presence = label) });
  });
  for (const r of rejected) record({ type: 'overrideRejected', key: r.key });
  actor.start();
  session.start();
  // The greeting, as the bridge says it once the session has started (its generated form says the fixed text here).
  if (config.greeting.mode !== 'off') session.speak({ text: config.greeting.text, prompt: null, interruptible: true, think: config.greeting.mode === 'llm' });

  // Steps are scheduled before anything else, so at equal times a step precedes a machine deadline: speech at the
  // very instant a check-in is due counts as an answer.
  const target: StepTarget = {
    userSays: (text) => session.userSays(text),
    userNoise: (seconds) => session.userNoise(seconds),
    callerLeft: () => session.callerLeft(),
    closeSession: () => {
      session.frameworkClose();
      send(frameworkCloseEvent());
    },
    runTool: (name, seconds) => {
      record({ type: 'toolStart', name });
      send({ type: 'TOOL_STARTED', name });
      clock.setTimeout(() => {
        if (done) return;
        record({ type: 'toolEnd', name });
        send({ type: 'TOOL_FINISHED', name });
      }, ms(seconds));
    },
    speechSeconds: (text) => words(text) / scenario.model.speechRate,
    later: (seconds, fn) => void clock.setTimeout(() => !done && fn(), ms(seconds)),
    record,
    send,
  };
  for (const s of scenario.steps) {
    clock.setTimeout(() => {
      if (!done) playStep(s, target, config);
    }, Math.round(s.at * 1000));
  }

  clock.tick(Math.round(scenario.until * 1000));
  actor.stop();

  const violations = checkInvariants(timeline, config, scenario.until);
  const summary = summarize(timeline, violations);
  return { scenario, config, timeline, summary, failures: checkExpectations(scenario.expect, timeline, summary) };
}
