/**
 * One call, wired: the machine (through the CallBridge), the dialer, the room service, the task registry and the
 * bounded shutdown, the session record, room events, the end-session RPC and SIGTERM. `entry.ts`'s entry calls it,
 * in the framework's job process; the worker tests and the benchmark run that same entry without a room.
 */
import type { voice, JobContext } from '@livekit/agents';
import { DisconnectReason, RoomEvent, type Participant, type RemoteParticipant, type RemoteTrack } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import type { CallEvent, CloseReason } from '../../machines/events.js';
import { CallBridge, type BridgeLogger } from '../bridge/callBridge.js';
import { CalleeSpeech } from '../bridge/calleeSpeech.js';
import { callerLeftEffect, disconnectEffect } from '../bridge/roomEvents.js';
import type { OverrideRejection } from '../config/dispatch.js';
import type { AgentConfig } from '../config/schema.js';
import { apiFailureDetail } from '../dialer/apiFailure.js';
import { isDialedIdentity, SipDialer } from '../dialer/sipDialer.js';
import { roomLegLine } from '../dialer/voicemail.js';
import { callLifecycle, type CallLifecycle, type ShutdownReport } from '../lifecycle/shutdown.js';
import { observeCall } from '../observability/callObserver.js';
import { openRecordSink, type RecordSink } from '../record/sessionRecord.js';
import type { TimelineEntry } from '../timeline/timeline.js';
import { CallerHold } from './callerHold.js';
import { END_SESSION_RPC, endSessionHandler } from './endSessionRpc.js';
import { CallAgent } from './callAgent.js';

export interface CallSetup {
  ctx: JobContext;
  config: AgentConfig;
  session: voice.AgentSession;
  /** LiveKit server API (the job's own credentials, or the emulator's). */
  api: { url: string; apiKey: string; apiSecret: string };
  roomName: string;
  /** The caller, when there is a room (absent in a fake job). */
  caller?: RemoteParticipant;
  logger: BridgeLogger;
  /** Where the session record goes; default: a JSONL file in `config.record.dir` (when `record.enabled`). */
  sink?: RecordSink | null;
  /** Dispatch-metadata keys refused or narrowed (withDispatchMetadata): recorded as `overrideRejected`. */
  overrideRejections?: readonly OverrideRejection[];
  /** Extra shutdown callbacks, each with its own deadline (see CallLifecycle). */
  onShutdown?: { name: string; fn: (signal: AbortSignal) => Promise<void> | void; timeoutMs?: number }[];
}

export interface RunningCall {
  bridge: CallBridge;
  lifecycle: CallLifecycle;
  sink: RecordSink | null;
  /** Resolves with the report once the bounded shutdown has run. */
  report: Promise<ShutdownReport>;
}

export async function startCall(o: CallSetup): Promise<RunningCall> {
  const { ctx, config, session, api, roomName, logger } = o;
  const t0 = performance.now();
  const t = () => Math.round(performance.now() - t0) / 1000;
  const record =
    o.sink !== undefined
      ? o.sink
      : config.record.enabled
        ? openRecordSink(config.record.dir, `${roomName}-${ctx.job.id}`, (e) => logger.warn({ error: e.message }, 'session record write failed'))
        : null;
  // Every line below goes to the record as before, and also to the call span (observability) and, under a LiveKit
  // Cloud simulation, to the in-memory timeline onSimulationEnd checks.
  const observed = observeCall({ ctx, config, record, now: t, roomName, logger });
  const sink = observed.sink;
  sink?.write({ type: 'session', session: ctx.job.id, room: roomName, startedAt: new Date().toISOString(), mode: ctx.isFakeJob ? 'simulation' : 'agent' });

  for (const r of o.overrideRejections ?? []) sink?.write({ t: t(), type: 'overrideRejected', key: r.key });
  const lifecycle = callLifecycle(config, sink, t, logger);
  const rooms = new RoomServiceClient(api.url, api.apiKey, api.apiSecret);
  const caller = o.caller;
  const hold = caller
    ? new CallerHold(rooms, roomName, caller, () => ctx.room.remoteParticipants.values(), (identity, e) => logger.warn({ identity, error: apiFailureDetail(e) }, 'caller hold failed'))
    : null;
  const bridge = new CallBridge({
    session,
    config,
    dialer: new SipDialer({ ...api, roomName, trunkId: config.dial.sipTrunkId, ringingTimeout: config.dial.ringingTimeout, log: (f, m) => logger.warn(f, m) }),
    shutdown: (reason) => ctx.shutdown(reason),
    deleteRoom: async () => void (await rooms.deleteRoom(roomName)),
    ...(hold ? { muteCaller: (muted: boolean) => hold.set(muted) } : {}),
    // Answering-machine detection hears a dialed leg through the session's RoomIO, linked to it while it decides.
    ...(caller ? { screen: { line: roomLegLine(session, caller.identity, () => ctx.room.remoteParticipants.has(caller.identity)) } } : {}),
    onTimeline: (entry) => sink?.write({ t: t(), ...entry }),
    tasks: lifecycle.tasks,
    logger,
  });
  observed.watch(bridge);

  lifecycle.addShutdownCallback('bridge.drain', () => bridge.drain());
  for (const c of o.onShutdown ?? []) lifecycle.addShutdownCallback(c.name, c.fn, c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs });

  // SIGTERM reaching the job process (a process-group stop: systemd, a terminal). The framework's job process ignores
  // it on purpose: the worker drains on SIGTERM and lets calls finish. We follow it, unless the operator opted into a
  // polite wind-down (shutdown.onSigterm: 'drain': goodbye, then the close path).
  const onSigterm = () => {
    sink?.write({ t: t(), type: 'sigterm' });
    if (config.shutdown.onSigterm === 'drain') bridge.send({ type: 'DRAIN' });
  };
  process.on('SIGTERM', onSigterm);

  // The framework runs its shutdown callbacks together, with no timeout, on every exit path (room deleted, shutdown
  // requested, entry crashed). It gets exactly one from us, and that one is bounded by shutdown.budget. If the call is
  // still live here, the framework started the close (server termination, drain timeout, crash): the machine cancels
  // an in-flight dial and runs closeAction before the bounded shutdown awaits them.
  let resolveReport!: (r: ShutdownReport) => void;
  const report = new Promise<ShutdownReport>((r) => (resolveReport = r));
  ctx.addShutdownCallback(async () => {
    process.off('SIGTERM', onSigterm);
    if (!bridge.isEnded) {
      sink?.write({ t: t(), type: 'jobShutdown' });
      bridge.send({ type: 'JOB_SHUTDOWN' });
    }
    const reason: CloseReason | string = bridge.closeReason ?? 'job_shutdown';
    const r = await lifecycle.shutdown(reason);
    bridge.dispose();
    calleeSpeech.dispose();
    resolveReport(r);
    // The job process exits right after this callback without flushing the tracer: export the call span now, within
    // what is left of shutdown.budget.
    await observed.flush(r.budgetMs - r.durationMs);
  });

  // A room event, as the record stores it and as the machine hears it (nothing once the call has ended).
  const inbound = (entry: TimelineEntry, event: CallEvent) => {
    if (bridge.isEnded) return;
    sink?.write({ t: t(), ...entry });
    bridge.send(event);
  };

  // Only DisconnectReason.ROOM_DELETED means the room is gone. The framework's own room.disconnect() on its way out
  // (CLIENT_INITIATED) arrives after our close when we ended the call, and is then ignored by the ended machine.
  ctx.room.on(RoomEvent.Disconnected, (reason: DisconnectReason) => {
    const { entry, event } = disconnectEffect(reason);
    inbound(entry, event);
  });

  // A dialed participant (the callee) in a conference: the session's input hears only the caller, so presence hears
  // the callee through the room's active speakers and through the session's VAD on the callee's own track (a SIP leg
  // carries no audio levels: calleeSpeech.ts). A leg answering-machine detection is still deciding about, or one a
  // machine answered, is no callee.
  const isCallee = (identity: string) => isDialedIdentity(identity) && bridge.mayBeCallee(identity);
  const calleeSpeech = new CalleeSpeech(isCallee, (speaking) => inbound({ type: 'calleeSpeech', speaking }, { type: 'CALLEE_SPEAKING', speaking }));
  ctx.room.on(RoomEvent.ActiveSpeakersChanged, (speakers: Participant[]) => calleeSpeech.speakers(speakers.map((p) => p.identity)));
  ctx.room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _pub: unknown, p: RemoteParticipant) => {
    if (isDialedIdentity(p.identity) && session.vad) calleeSpeech.listen(p.identity, track, session.vad);
  });
  ctx.room.on(RoomEvent.TrackUnsubscribed, (_track: RemoteTrack, _pub: unknown, p: RemoteParticipant) => calleeSpeech.stop(p.identity));
  ctx.room.on(RoomEvent.ParticipantConnected, (p: RemoteParticipant) => {
    // The caller's identity back after a lost connection (a new session): the call goes on.
    if (caller && p.identity === caller.identity) return inbound({ type: 'callerReconnected' }, { type: 'CALLER_RECONNECTED' });
    hold?.joined(p.identity);
  });
  // The agent's own connection: while it reconnects nobody hears it, and presence pauses.
  ctx.room.on(RoomEvent.Reconnecting, () => inbound({ type: 'agentReconnecting' }, { type: 'AGENT_RECONNECTING' }));
  ctx.room.on(RoomEvent.Reconnected, () => inbound({ type: 'agentReconnected' }, { type: 'AGENT_RECONNECTED' }));
  ctx.room.on(RoomEvent.ParticipantAttributesChanged, (changed: Record<string, string>, p: Participant) => {
    if (changed['sip.callStatus'] !== 'active') return;
    hold?.joined(p.identity, true);
    if (isDialedIdentity(p.identity)) bridge.legAnswered(p.identity);
  });
  ctx.room.on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
    calleeSpeech.stop(p.identity);
    hold?.left(p.identity);
    // A deleted room removes everyone else before the agent: on the real server the caller's and the callee's
    // departures (reason ROOM_DELETED) arrive before the agent's own Disconnected. That is the room going, not a
    // hang-up.
    if (p.disconnectReason === DisconnectReason.ROOM_DELETED) {
      const { entry, event } = disconnectEffect(DisconnectReason.ROOM_DELETED);
      return inbound(entry, event);
    }
    if (caller && p.identity === caller.identity) {
      const { entry, event } = callerLeftEffect(p.disconnectReason);
      return inbound(entry, event);
    }
    else if (isDialedIdentity(p.identity) && bridge.dialedParticipantLeft(p.identity)) inbound({ type: 'calleeLeft' }, { type: 'CALLEE_LEFT' });
  });

  if (caller) {
    // `$caller` in endSession.allow is the caller this agent serves.
    const allow = config.endSession.allow.map((a) => (a === '$caller' ? caller.identity : a));
    const end = () => bridge.requestEnd('frontend');
    ctx.room.localParticipant?.registerRpcMethod(END_SESSION_RPC, endSessionHandler({ allow, end, log: (f, m) => logger.info(f, m) }));
  }

  bridge.start();
  await session.start({
    agent: new CallAgent(bridge, config.models.instructions),
    ...(caller
      ? {
          room: ctx.room,
          // The machine decides what a caller leaving means (e.g. let a dial settle), not the framework.
          // Pinned to the caller: no other participant is ever taken for them, and a caller who reconnects (same
          // identity, new session) is linked again.
          inputOptions: { closeOnDisconnect: false, participantIdentity: caller.identity },
        }
      : {}),
  });
  observed.sessionStarted();
  // The caller is in the room (the entry waited for them): they hear the greeting first.
  bridge.greet();
  return { bridge, lifecycle, sink: record, report };
}
