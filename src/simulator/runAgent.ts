/**
 * Agent mode: the same scenario through the real AgentSession (simulated line, see `agent/simulatedSession.ts`),
 * the real CallBridge and SipDialer, and the LiveKit API emulator over real HTTP, on a real clock scaled by
 * `timeScale`. It prints the same timeline as model mode, in simulated seconds.
 */
import { randomUUID } from 'node:crypto';
import { voice } from '@livekit/agents';
import { RoomServiceClient } from 'livekit-server-sdk';
import type { CallEvent, CloseReason } from '../../machines/events.js';
import { CallAgent } from '../agent/callAgent.js';
import { presenceAgentParts } from '../presence/tools.js';
import { CallBridge, type BridgeLogger } from '../bridge/callBridge.js';
import type { AgentConfig } from '../config/schema.js';
import { SipDialer } from '../dialer/sipDialer.js';
import { callLifecycle, type ShutdownReport } from '../lifecycle/shutdown.js';
import { JsonlFileSink } from '../record/sessionRecord.js';
import { LiveKitApiEmulator } from '../emulator/server.js';
import { checkInInstructionsOf, followCheckIns } from '../models/scriptedLlm.js';
import { legGreeting } from '../sip/plan.js';
import { createSimulatedSession } from './agent/simulatedSession.js';
import { amdScriptedLlm } from './amdModel.js';
import { checkExpectations } from './expect.js';
import { checkInvariants, TIMER_ROUNDING } from '../timeline/invariants.js';
import { presenceLabel } from '../timeline/presence.js';
import { watchStalls } from './schedulingProbe.js';
import { playStep, scenarioSetup, type RunResult, type StepTarget } from './runModel.js';
import { words, type Scenario } from './scenario.js';
import { summarize, type PresenceLabel, type TimelineEntry, type TimelineEvent } from '../timeline/timeline.js';

const ROOM = 'simulated-call';
const API_KEY = 'APIsimulator';
// Only ever shared between this process and its own loopback emulator.
const API_SECRET = 'simulator-emulator-secret-0123456789-abcdef';
/**
 * Real seconds the timeline's stamps may drift from the machine's scaled timers on an unloaded event loop (timer
 * granularity); the stalls measured during the run (schedulingProbe.ts) come on top.
 */
const REAL_CLOCK_JITTER = 0.005;

/** Faults to inject (the fault matrix in test/faults.test.ts). */
export interface AgentFaults {
  /** The LLM fails every generated check-in. */
  llmFailsCheckIn?: boolean;
  /** The TTS fails the goodbye. */
  ttsFailsGoodbye?: boolean;
  /** The goodbye's audio never finishes playing. */
  goodbyeNeverFinishes?: boolean;
  /** The LiveKit API: unreachable (connection refused) or rejecting our token. */
  api?: 'unreachable' | 'jwt-rejected';
  /** Extra shutdown callbacks. */
  callbacks?: ('hangs' | 'throws')[];
  /** Every machine event is delivered twice, and each settled dial and playout is reported again afterwards. */
  duplicateEvents?: boolean;
  /** A burst of events (speech, dials, end requests) after shutdown. */
  eventsAfterShutdown?: boolean;
  /** A SIGTERM step played the moment the goodbye starts (whenever the scaled clock puts it). */
  sigtermDuringGoodbye?: boolean;
}

export interface AgentRunOptions {
  /** Real seconds per simulated second (0.05 runs a minute of call in 3 s). */
  timeScale: number;
  /** Simulated seconds of slack added to every expectation's `within` (a real clock jitters). */
  slack?: number;
  logger?: BridgeLogger;
  /** Every timeline event as it happens. */
  onEvent?: (e: TimelineEvent) => void;
  /**
   * Called once the session has started and the steps are scheduled. Runs that share a process start one after
   * another on it: starting a session is the costliest moment of a run, and twenty at once hold the event loop long
   * enough (most of a second on a busy machine) to shift every early step of every run.
   */
  onStarted?: () => void;
  /** Write the session record (JSONL) into this directory. */
  recordDir?: string;
  faults?: AgentFaults;
}

/** The event loop's measured stalls during the run, in real milliseconds (see schedulingProbe.ts). */
export interface SchedulingDelay {
  stalledMs: number;
  maxStallMs: number;
  /** Stalled milliseconds before each timeline event, index for index: how far the real clock can have drifted. */
  stalledBefore: number[];
  /** Stalled milliseconds while the bounded shutdown ran: how far past its budget a busy machine may push it. */
  duringShutdownMs: number;
}

export interface AgentRunResult extends RunResult {
  scheduling: SchedulingDelay;
  shutdown: ShutdownReport | null;
  /** The session record file, with `recordDir`. */
  recordFile: string | null;
  /** The conversation as the model read it: the agent's chat messages, in order. */
  chat: { role: string; text: string }[];
}

/**
 * Runs several scenarios side by side in this process, starting each once the one before it has started (see
 * `onStarted`). Agent mode spends nearly all its time waiting on (scaled) timers, so they overlap well.
 */
export async function runAgentSideBySide(scenarios: readonly Scenario[], base: AgentConfig, opts: (scenario: Scenario) => AgentRunOptions): Promise<AgentRunResult[]> {
  const runs: Promise<AgentRunResult>[] = [];
  for (const scenario of scenarios) {
    let started!: () => void;
    const ready = new Promise<void>((r) => (started = r));
    const run = runAgent(scenario, base, { ...opts(scenario), onStarted: started });
    runs.push(run);
    // A run that fails before it starts must not hold the others.
    await Promise.race([ready, run.then(() => undefined, () => undefined)]);
  }
  return Promise.all(runs);
}

/** Runs until shutdown (then lets the close finish) or until `scenario.until`, whichever comes first. */
export async function runAgent(scenario: Scenario, base: AgentConfig, opts: AgentRunOptions): Promise<AgentRunResult> {
  const { config, rejected } = scenarioSetup(scenario, base);
  const faults = opts.faults ?? {};
  const sink = opts.recordDir ? new JsonlFileSink(opts.recordDir, `${slug(scenario.name)}-${randomUUID().slice(0, 8)}`) : null;
  const scale = opts.timeScale;
  const timeline: TimelineEvent[] = [];
  const stalls = watchStalls();
  const stalledBefore: number[] = [];
  let t0 = performance.now();
  // Entries recorded in one synchronous turn (the commands of one machine transition) share one timestamp, as they
  // do on model mode's virtual clock.
  let turnT: number | null = null;
  const now = () => {
    if (turnT === null) {
      turnT = (performance.now() - t0) / 1000 / scale;
      queueMicrotask(() => (turnT = null));
    }
    return turnT;
  };
  const record = (entry: TimelineEntry) => {
    const e = { t: now(), ...entry } as TimelineEvent;
    timeline.push(e);
    stalledBefore.push(stalls.stalledMs);
    sink?.write(e);
    opts.onEvent?.(e);
  };

  const emulator = new LiveKitApiEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, sip: scenario.sip, timeScale: scale });
  const emulatorUrl = await emulator.start();
  // Connection refused: a port nothing listens on (the emulator's own, once it is closed, is not reused that fast).
  const url = faults.api === 'unreachable' ? 'http://127.0.0.1:9' : emulatorUrl;
  const secret = faults.api === 'jwt-rejected' ? `${API_SECRET}-wrong` : API_SECRET;
  sink?.write({ type: 'session', session: slug(scenario.name), room: ROOM, startedAt: new Date().toISOString(), mode: 'simulation' });
  const goodbyeTexts: string[] = Object.values(config.goodbye.messages);
  const checkIns = followCheckIns(config);
  const { session, user, audio } = createSimulatedSession({
    model: scenario.model,
    timeScale: scale,
    userAwayTimeout: config.presence.userAwayTimeout,
    checkInInstructions: checkInInstructionsOf(config),
    checkInText: checkIns.text,
    greeting: config.greeting,
    ...(faults.llmFailsCheckIn ? { llmFault: (isCheckIn: boolean) => (isCheckIn ? new Error('LLM unavailable (injected)') : null) } : {}),
    ...(faults.ttsFailsGoodbye ? { ttsFault: (text: string) => (goodbyeTexts.includes(text) ? new Error('TTS unavailable (injected)') : null) } : {}),
  });
  const lifecycle = callLifecycle(config, sink, now, opts.logger);
  const rooms = new RoomServiceClient(url, API_KEY, secret);
  const bridge = new CallBridge({
    session,
    config,
    dialer: new SipDialer({ url, apiKey: API_KEY, apiSecret: secret, roomName: ROOM, trunkId: 'ST_simulator', ringingTimeout: config.dial.ringingTimeout, log: opts.logger?.warn.bind(opts.logger) }),
    shutdown: () => {},
    deleteRoom: () => rooms.deleteRoom(ROOM).then(() => undefined),
    onTimeline: (entry) => {
      // The jobShutdown step already recorded the moment the framework began ending the job; the bridge's own entry
      // for the session close that follows would only repeat it.
      if (entry.type === 'jobShutdown' && timeline.some((e) => e.type === 'jobShutdown')) return;
      checkIns.observe(entry);
      if (entry.type === 'goodbye' && faults.goodbyeNeverFinishes) audio.stall();
      record(entry);
      if (entry.type === 'goodbye' && faults.sigtermDuringGoodbye) setImmediate(() => playStep({ at: now(), sigterm: true }, target, config));
    },
    tasks: lifecycle.tasks,
    // Answering-machine detection: the real voice.AMD hears the leg's scripted greeting on the simulated line,
    // classifies it with the framework's FakeLLM (scripted by the simulator's greeting rule, amdModel.ts) and the
    // session's own (fake) transcripts, on timings scaled like everything else.
    screen: {
      line: user.line((number) => legGreeting(scenario.sip[number])),
      models: { llm: amdScriptedLlm(scenario.sip), stt: null },
      timeScale: scale,
    },
    clock: { setTimeout: (fn, ms) => setTimeout(fn, ms * scale), clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout) },
    ...(opts.logger ? { logger: opts.logger } : {}),
  });

  lifecycle.addShutdownCallback('bridge.drain', () => bridge.drain());
  for (const [i, kind] of (faults.callbacks ?? []).entries()) {
    lifecycle.addShutdownCallback(`${kind}-callback-${i}`, () =>
      kind === 'hangs' ? new Promise<void>(() => {}) : Promise.reject(new Error('upload failed (injected)')),
    );
  }
  if (faults.duplicateEvents) duplicateEvents(bridge);

  let presence: PresenceLabel | null = null;
  bridge.actor.subscribe((snapshot) => {
    const label = presenceLabel(snapshot);
    if (label !== presence) record({ type: 'presence', state: (presence = label) });
  });
  t0 = performance.now(); // the call starts now: model mode's t = 0
  for (const r of rejected) record({ type: 'overrideRejected', key: r.key });
  bridge.start();
  await session.start({ agent: new CallAgent(presenceAgentParts(bridge), config.models.instructions) });
  bridge.greet();

  const timers: NodeJS.Timeout[] = [];
  const later = (seconds: number, fn: () => void) => timers.push(setTimeout(fn, Math.max(0, seconds * 1000 * scale - (performance.now() - t0))));
  const target: StepTarget = {
    userSays: (text) => user.says(text),
    userNoise: (seconds) => user.noise(seconds),
    callerLeft: () => user.leaves(),
    // As the framework's finalizeSession does: close the real session; the bridge maps that close to JOB_SHUTDOWN.
    closeSession: () => {
      skipUserTurnFlushWait(session);
      void session.close().catch(() => {});
    },
    runTool: (name, seconds) => void bridge.pauseDuring(name, () => new Promise<void>((r) => setTimeout(r, seconds * 1000 * scale))),
    speechSeconds: (text) => words(text) / scenario.model.speechRate,
    later: (seconds, fn) => void timers.push(setTimeout(() => !bridge.isEnded && fn(), seconds * 1000 * scale)),
    record,
    send: (event) => bridge.send(event),
  };
  for (const s of scenario.steps) {
    later(s.at, () => {
      if (!bridge.isEnded) playStep(s, target, config);
    });
  }
  opts.onStarted?.();

  const reason = await Promise.race<CloseReason | null>([
    bridge.ended,
    new Promise((r) => later(scenario.until, () => r(null))),
  ]);
  const until = reason === null ? scenario.until : now();
  if (faults.eventsAfterShutdown && reason !== null) {
    for (const event of AFTER_SHUTDOWN) bridge.send(event);
    user.says('hello, are you still there');
    bridge.requestDial('+15550001111');
  }
  // What the framework does after ctx.shutdown(): close the session, then run the shutdown callback (ours: bounded).
  await session.close().catch(() => {});
  const stalledBeforeShutdown = stalls.stalledMs;
  const shutdown = await lifecycle.shutdown(reason ?? 'scenario_end');
  const duringShutdownMs = stalls.stalledMs - stalledBeforeShutdown;
  timers.forEach(clearTimeout);
  user.leaves();
  bridge.dispose();
  await emulator.stop();
  stalls.stop();
  const scheduling: SchedulingDelay = { stalledMs: stalls.stalledMs, maxStallMs: stalls.maxStallMs, stalledBefore, duringShutdownMs };

  // The timeline is stamped on the real clock while the machine's timers run on its own scaled clock: allow 5 ms of
  // real jitter between the two (50 simulated ms at scale 0.1) plus the longest stall measured, still far below any
  // rule's timing on an idle machine. Expectations' `within` get the run's measured stalls on top of `slack`.
  const jitter = (REAL_CLOCK_JITTER + scheduling.maxStallMs / 1000) / scale;
  const violations = checkInvariants(timeline, config, until, Math.max(TIMER_ROUNDING, jitter));
  const summary = summarize(timeline, violations);
  const failures = checkExpectations(scenario.expect, timeline, summary, (opts.slack ?? 0) + scheduling.stalledMs / 1000 / scale);
  const chat = session.history.items.flatMap((i) => (i.type === 'message' ? [{ role: i.role, text: i.textContent ?? '' }] : []));
  return { scenario, config, timeline, summary, failures, scheduling, shutdown, recordFile: sink?.path ?? null, chat };
}

/**
 * `session.close()` commits the user's turn first (AudioRecognition.commitUserTurn) and, unless a final transcript
 * came within the last 500 ms, pushes 500 ms of silence to the STT and waits 500 ms of REAL time for it to flush
 * before the session emits its close. A scaled clock magnifies that fixed wait (2.5 simulated seconds at scale 0.2,
 * 10 at 0.05), and the simulated STT has nothing to flush: like the endpointing delay (simulatedSession.ts), agent
 * mode leaves it out, by marking a final transcript as just received. The rest of the close is the framework's own.
 * In production the framework's close therefore reaches the machine about 0.5 s after finalizeSession starts.
 * Internal state (agents-js 1.9): if it moves, the wait comes back and test/agent-mode.test.ts shows the lag.
 */
function skipUserTurnFlushWait(session: voice.AgentSession): void {
  const recognition = (session as unknown as { activity?: { audioRecognition?: { lastFinalTranscriptTime?: number } } }).activity?.audioRecognition;
  if (recognition && typeof recognition.lastFinalTranscriptTime === 'number') recognition.lastFinalTranscriptTime = Date.now();
}

const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

/** Events a misbehaving transport might still deliver after the job shut down. */
const AFTER_SHUTDOWN: CallEvent[] = [
  { type: 'END_REQUESTED', source: 'frontend' },
  { type: 'USER_STATE', state: 'away' },
  { type: 'CALLER_DISCONNECTED' },
  { type: 'ROOM_DISCONNECTED', deleted: true },
  { type: 'DRAIN' },
];

/** Every event twice, and settled dials / finished playouts reported again afterwards (stale, out of order). */
function duplicateEvents(bridge: CallBridge): void {
  const send = bridge.send.bind(bridge);
  bridge.send = (event: CallEvent) => {
    send(event);
    send(event);
    if (event.type === 'DIAL_SETTLED' || event.type === 'PLAYOUT_FINISHED') setTimeout(() => send(event), 5);
  };
}
