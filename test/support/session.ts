/** A real AgentSession with no room (the framework's FakeLLM, no VAD), bridged to the machine and the emulator. */
import { initializeLogger, voice } from '@livekit/agents';
import { TrackSource } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import type { CloseReason } from '../../machines/events.js';
import { CallerHold } from '../../src/presence/callerHold.js';
import { apiFailureDetail } from '../../src/dialer/apiFailure.js';
import { CallBridge, type CallBridgeOptions } from '../../src/bridge/callBridge.js';
import { defineConfig } from '../../src/config/load.js';
import type { AgentConfigInput } from '../../src/config/schema.js';
import { SipDialer } from '../../src/dialer/sipDialer.js';
import { CallAgent } from '../../src/agent/callAgent.js';
import { presenceAgentParts } from '../../src/presence/tools.js';
import { LiveKitApiEmulator } from '../../src/emulator/server.js';
import { createTextSession, userSaid } from '../../src/local/textSession.js';
import type { SipEntry } from '../../src/sip/entry.js';
import type { TimelineEntry } from '../../src/timeline/timeline.js';

initializeLogger({ pretty: false, level: 'error' });

export const API_KEY = 'APItest';
export const CALLER = 'caller';
export const CALLER_MIC = 'TR_caller_mic';
export const API_SECRET = 'test-secret-0123456789-0123456789-abcdef';

export async function startAgentCall(
  config: AgentConfigInput,
  opts: {
    sip?: Record<string, SipEntry>;
    llm?: voice.testing.FakeLLM;
    secret?: string;
    /** Builds the session instead of the default text session (e.g. one with a real VAD and audio input). */
    session?: (userAwayTimeout: number) => voice.AgentSession;
    /** Builds the agent the session starts with; default: production's CallAgent (the call's tools and turn hook). */
    agent?: (bridge: CallBridge) => voice.Agent;
    /** Answering-machine detection on answered dials: how the session hears a leg (built once the session exists). */
    screen?: (session: voice.AgentSession) => NonNullable<CallBridgeOptions['screen']>;
  } = {},
) {
  const resolved = defineConfig(config);
  const emulator = new LiveKitApiEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, sip: opts.sip ?? {} });
  const url = await emulator.start();
  const t0 = performance.now();
  const timeline: (TimelineEntry & { t: number })[] = [];
  const logs: { fields: Record<string, unknown>; msg: string }[] = [];
  const logger = { info: (fields: Record<string, unknown>, msg: string) => logs.push({ fields, msg }), warn: (fields: Record<string, unknown>, msg: string) => logs.push({ fields, msg }) };
  const shutdowns: CloseReason[] = [];
  const session = opts.session
    ? opts.session(resolved.presence.userAwayTimeout)
    : createTextSession(opts.llm ?? new voice.testing.FakeLLM([]), resolved.presence.userAwayTimeout);
  const secret = opts.secret ?? API_SECRET;
  const dialer = new SipDialer({ url, apiKey: API_KEY, apiSecret: secret, roomName: 'call-1', trunkId: 'ST_test', ringingTimeout: resolved.dial.ringingTimeout, log: logger.warn });
  const rooms = new RoomServiceClient(url, API_KEY, secret);
  // The caller, with a microphone track, as LiveKit would have them in the room.
  emulator.addParticipant('call-1', CALLER, [CALLER_MIC]);
  // dial.holdCaller.muteTrack as production wires it (src/agent/call.ts), the room's comings and goings from the emulator.
  const hold = new CallerHold(
    rooms,
    'call-1',
    { identity: CALLER, trackPublications: new Map([[CALLER_MIC, { sid: CALLER_MIC, source: TrackSource.SOURCE_MICROPHONE }]]) },
    () => emulator.identities('call-1').map((identity) => ({ identity })),
    (identity, e) => logger.warn({ identity, error: apiFailureDetail(e) }, 'caller hold failed'),
  );
  emulator.on('participantJoined', (room, identity) => room === 'call-1' && hold.joined(identity));
  emulator.on('participantLeft', (room, identity) => room === 'call-1' && hold.left(identity));
  const bridge = new CallBridge({
    session,
    config: resolved,
    dialer,
    shutdown: (reason) => shutdowns.push(reason),
    deleteRoom: () => rooms.deleteRoom('call-1').then(() => undefined),
    muteCaller: (held) => hold.set(held),
    onTimeline: (e) => timeline.push({ ...e, t: (performance.now() - t0) / 1000 }),
    logger,
    ...(opts.screen ? { screen: opts.screen(session) } : {}),
  }).start();
  await session.start({ agent: opts.agent ? opts.agent(bridge) : new CallAgent(presenceAgentParts(bridge), 'You are a test agent.') });
  return {
    session,
    bridge,
    emulator,
    timeline,
    logs,
    shutdowns,
    types: () => timeline.map((e) => e.type),
    /** Makes LiveKit believe the user said `text`: the same event its STT pipeline emits. */
    userSays: (text: string) => userSaid(session, text),
    async stop() {
      await bridge.drain();
      bridge.dispose();
      await session.close().catch(() => {});
      await emulator.stop();
    },
  };
}

export const until = async (cond: () => boolean, timeoutMs = 10_000) => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
