/**
 * Agent mode: the same scenario through the real AgentSession (simulated line, see `agent/simulatedSession.ts`),
 * the real CallBridge and SipDialer, and the LiveKit API emulator over real HTTP, on a real clock scaled by
 * `timeScale`. It prints the same timeline as model mode, in simulated seconds.
 */
import { voice } from '@livekit/agents';
import { RoomServiceClient } from 'livekit-server-sdk';
import { callSettings, checkInText } from '../../machines/call.machine.js';
import type { CloseReason } from '../../machines/events.js';
import { CallBridge, type BridgeLogger } from '../bridge/callBridge.js';
import type { AgentConfig } from '../config/schema.js';
import { SipDialer } from '../dialer/sipDialer.js';
import { LiveKitApiEmulator } from '../emulator/server.js';
import { createSimulatedSession } from './agent/simulatedSession.js';
import { checkExpectations } from './expect.js';
import { checkInvariants } from './invariants.js';
import { presenceLabel, scenarioConfig, stepEffects, type RunResult } from './runModel.js';
import type { Scenario } from './scenario.js';
import { summarize, type PresenceLabel, type TimelineEntry, type TimelineEvent } from './timeline.js';

const ROOM = 'simulated-call';
const API_KEY = 'APIsimulator';
// Only ever shared between this process and its own loopback emulator.
const API_SECRET = 'simulator-emulator-secret-0123456789-abcdef';

export interface AgentRunOptions {
  /** Real seconds per simulated second (0.05 runs a minute of call in 3 s). */
  timeScale: number;
  /** Simulated seconds of slack added to every expectation's `within` (a real clock jitters). */
  slack?: number;
  logger?: BridgeLogger;
  /** Every timeline event as it happens. */
  onEvent?: (e: TimelineEvent) => void;
}

/** Runs until shutdown (then lets the close finish) or until `scenario.until`, whichever comes first. */
export async function runAgent(scenario: Scenario, base: AgentConfig, opts: AgentRunOptions): Promise<RunResult> {
  const config = scenarioConfig(scenario, base);
  const scale = opts.timeScale;
  const timeline: TimelineEvent[] = [];
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
    opts.onEvent?.(e);
  };

  const emulator = new LiveKitApiEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, sip: scenario.sip, timeScale: scale });
  const url = await emulator.start();
  const settings = callSettings(config);
  let checkInAttempt = 1;
  const { session, user } = createSimulatedSession({
    model: scenario.model,
    timeScale: scale,
    userAwayTimeout: config.presence.userAwayTimeout,
    checkInInstructions: config.checkIn.instructions,
    checkInText: () => checkInText(settings, checkInAttempt),
  });
  const rooms = new RoomServiceClient(url, API_KEY, API_SECRET);
  const bridge = new CallBridge({
    session,
    config,
    dialer: new SipDialer({ url, apiKey: API_KEY, apiSecret: API_SECRET, roomName: ROOM, trunkId: 'ST_simulator', ringingTimeout: config.dial.ringingTimeout, log: opts.logger?.warn.bind(opts.logger) }),
    shutdown: () => {},
    deleteRoom: () => rooms.deleteRoom(ROOM).then(() => undefined),
    onTimeline: (entry) => {
      if (entry.type === 'checkIn') checkInAttempt = entry.attempt;
      record(entry);
    },
    clock: { setTimeout: (fn, ms) => setTimeout(fn, ms * scale), clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout) },
    ...(opts.logger ? { logger: opts.logger } : {}),
  });

  let presence: PresenceLabel | null = null;
  bridge.actor.subscribe((snapshot) => {
    const label = presenceLabel(snapshot);
    if (label !== presence) record({ type: 'presence', state: (presence = label) });
  });
  t0 = performance.now(); // the call starts now: model mode's t = 0
  bridge.start();
  await session.start({ agent: new voice.Agent({ instructions: config.models.instructions }) });

  const timers: NodeJS.Timeout[] = [];
  const later = (seconds: number, fn: () => void) => timers.push(setTimeout(fn, Math.max(0, seconds * 1000 * scale - (performance.now() - t0))));
  for (const s of scenario.steps) {
    later(s.at, () => {
      if (bridge.isEnded) return;
      if (s.say !== undefined) return user.says(s.say);
      if (s.noise !== undefined) {
        record({ type: 'noise', seconds: s.noise });
        return user.noise(s.noise);
      }
      if (s.tool !== undefined) {
        const { name, seconds } = s.tool;
        void bridge.pauseDuring(name, () => new Promise<void>((r) => setTimeout(r, seconds * 1000 * scale)));
        return;
      }
      if (s.dial !== undefined) return void bridge.requestDial(s.dial);
      const effect = stepEffects(s);
      if (!effect) return;
      if (s.callerHangup) user.leaves();
      record(effect.entry);
      bridge.send(effect.event);
    });
  }

  const reason = await Promise.race<CloseReason | null>([
    bridge.ended,
    new Promise((r) => later(scenario.until, () => r(null))),
  ]);
  if (reason !== null) await bridge.drain();
  const until = reason === null ? scenario.until : now();
  timers.forEach(clearTimeout);
  user.leaves();
  bridge.dispose();
  await session.close().catch(() => {});
  await emulator.stop();

  const violations = checkInvariants(timeline, config, until);
  const summary = summarize(timeline, violations);
  return { scenario, config, timeline, summary, failures: checkExpectations(scenario.expect, timeline, summary, opts.slack ?? 0) };
}
