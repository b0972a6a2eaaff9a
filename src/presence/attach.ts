/**
 * The presence layer on an agent someone else wrote: `attachPresence({ ctx, session, config })`, called before
 * `session.start`. It wires one call: the machine (through the CallBridge), the dialer, the room service, the task
 * registry and the bounded shutdown, the session record, room events, the end-session RPC and SIGTERM. The
 * adopter's `AgentSession` and `voice.Agent` stay theirs: the layer only listens to the session, speaks through it
 * when the machine says so, and hands back the tools and input options to give it.
 *
 * Nothing here reads `process.env` or files: the config is the object passed in (validated by the same schema as
 * `agent.config.ts`), narrowed per call by the dispatch metadata. This agent's own entry (`src/agent/entry.ts`) goes
 * through exactly this function.
 */
import { log, voice, type JobContext } from '@livekit/agents';
import { DisconnectReason, RoomEvent, type Participant, type RemoteParticipant, type RemoteTrack } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import type { CallEvent, CloseReason, DialRefusal, EndSource } from '../../machines/events.js';
import { CallBridge, type BridgeLogger } from '../bridge/callBridge.js';
import { CalleeSpeech } from '../bridge/calleeSpeech.js';
import { callerLeftEffect, disconnectEffect } from '../bridge/roomEvents.js';
import type { OverrideRejection } from '../config/dispatch.js';
import { parseOrThrow } from '../config/load.js';
import { withDispatchMetadata } from '../config/dispatch.js';
import { configSchema, type AgentConfig, type AgentConfigInput } from '../config/schema.js';
import { apiFailureDetail } from '../dialer/apiFailure.js';
import { isDialedIdentity, SipDialer } from '../dialer/sipDialer.js';
import { roomLegLine } from '../dialer/voicemail.js';
import { callLifecycle, type CallLifecycle, type ShutdownReport } from '../lifecycle/shutdown.js';
import { observeCall } from '../observability/callObserver.js';
import { openRecordSink, type RecordSink } from '../record/sessionRecord.js';
import type { TimelineEntry } from '../timeline/timeline.js';
import { CallerHold } from './callerHold.js';
import { END_SESSION_RPC, endSessionHandler } from './endSessionRpc.js';
import { presenceAgentParts, requestCheckedDial, type PresenceAgentParts } from './tools.js';

export type { PresenceAgentParts };

/** A line of the call's timeline, as the session record stores it: seconds since the call started, and the entry. */
export type TimelineLine = TimelineEntry & { t: number };

export interface PresenceOptions {
  /** The job this call runs in (the framework's `JobContext`). */
  ctx: JobContext;
  /** The adopter's session: listened to, spoken through, closed by the layer; its options stay as they are. */
  session: voice.AgentSession;
  /**
   * The presence config, as in `agent.config.ts`: every key optional, the defaults filled in, validated (a bad value
   * throws naming the key). Already-validated configs pass through unchanged.
   */
  config?: AgentConfigInput;
  /** Apply the job's dispatch metadata as per-call overrides, narrowed as `agent.config.ts` documents. Default true. */
  dispatchMetadata?: boolean;
  /** The caller (`await ctx.waitForParticipant()`). Without one (no room) the room features are off. */
  caller?: RemoteParticipant;
  /** LiveKit server API for the dialer and the room. Default: the job's own URL and credentials (`ctx.info`). */
  api?: { url: string; apiKey: string; apiSecret: string };
  /** Default: the job's room name. */
  roomName?: string;
  /** Default: the framework's logger, with the room name. */
  logger?: BridgeLogger;
  /** Where the session record goes; default: a JSONL file in `config.record.dir` (when `record.enabled`). */
  sink?: RecordSink | null;
  /** Extra shutdown callbacks, each bounded by its own deadline within `shutdown.budget`. */
  onShutdown?: { name: string; fn: (signal: AbortSignal) => Promise<void> | void; timeoutMs?: number }[];
}

export interface PresenceCall extends PresenceAgentParts {
  /** The config this call runs with (defaults, dispatch metadata applied). */
  config: AgentConfig;
  /**
   * Spread into `session.start({ inputOptions })`: the session follows the caller only (a reconnect with a new session
   * is linked again), and the layer, not RoomIO, decides what the caller leaving means.
   */
  inputOptions: { closeOnDisconnect: false; participantIdentity?: string };
  /** Ends the call through its one close path (goodbye, session close, `ctx.shutdown()`, `closeAction`). */
  requestEnd(source?: EndSource): void;
  /** Dials `number` into the call under the dial guard; returns why it was refused, or null when it started. */
  dial(number: string): DialRefusal | null;
  /** Every timeline line as it happens (what the session record stores). Returns the unsubscribe. */
  subscribe(listener: (line: TimelineLine) => void): () => void;
  /** Resolves with the shutdown report once the bounded shutdown has run. */
  report: Promise<ShutdownReport>;
  /** Why the call ended (or is ending), once it is. */
  readonly closeReason: CloseReason | null;
  /** The machine and its adapters, for tests and tools. */
  bridge: CallBridge;
  lifecycle: CallLifecycle;
  /** The session record, when there is one. */
  sink: RecordSink | null;
}

/** Validates an adopter's config with the schema `agent.config.ts` uses; errors name the key and the bad value. */
export function presenceConfig(input: AgentConfigInput = {}): AgentConfig {
  return parseOrThrow(configSchema, input, 'attachPresence({ config })');
}

export function attachPresence(o: PresenceOptions): PresenceCall {
  const { ctx, session } = o;
  const roomName = o.roomName ?? (ctx.room?.name || ctx.job.room?.name || '');
  const logger: BridgeLogger = o.logger ?? childLogger(roomName);
  const validated = presenceConfig(o.config);
  const narrowed = o.dispatchMetadata === false ? { config: validated, error: null, rejected: [] as OverrideRejection[] } : withDispatchMetadata(validated, ctx.job.metadata);
  if (narrowed.error) logger.warn({ error: narrowed.error }, 'dispatch metadata ignored');
  for (const r of narrowed.rejected) logger.warn({ key: r.key, reason: r.reason }, 'dispatch metadata key refused');
  const config = narrowed.config;
  // presence.userAwayTimeout is the session's own away timer (AgentSession reads it each time it arms the timer): the
  // layer sets it, so a per-call override applies and the adopter need not pass it twice.
  session.sessionOptions.userAwayTimeout = config.presence.userAwayTimeout;
  const api = o.api ?? { url: ctx.info.url, apiKey: ctx.info.apiKey ?? '', apiSecret: ctx.info.apiSecret ?? '' };

  const t0 = performance.now();
  const t = () => Math.round(performance.now() - t0) / 1000;
  const record =
    o.sink !== undefined
      ? o.sink
      : config.record.enabled
        ? openRecordSink(config.record.dir, `${roomName}-${ctx.job.id}`, (e) => logger.warn({ error: e.message }, 'session record write failed'))
        : null;
  // Every line goes to the record, to the call span (observability), under a LiveKit Cloud simulation to the
  // in-memory timeline onSimulationEnd checks, and to the adopter's subscribers.
  const observed = observeCall({ ctx, config, record, now: t, roomName, logger });
  const listeners = new Set<(line: TimelineLine) => void>();
  const write = (line: Parameters<RecordSink['write']>[0]) => {
    observed.sink?.write(line);
    if ('t' in line && typeof line.t === 'number') for (const l of listeners) l(line as TimelineLine);
  };
  write({ type: 'session', session: ctx.job.id, room: roomName, startedAt: new Date().toISOString(), mode: ctx.isFakeJob ? 'simulation' : 'agent' });

  for (const r of narrowed.rejected) write({ t: t(), type: 'overrideRejected', key: r.key });
  const lifecycle = callLifecycle(config, observed.sink, t, logger);
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
    onTimeline: (entry) => write({ t: t(), ...entry }),
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
    write({ t: t(), type: 'sigterm' });
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
      write({ t: t(), type: 'jobShutdown' });
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
    write({ t: t(), ...entry });
    bridge.send(event);
  };

  // A dialed participant (the callee) in a conference: the session's input hears only the caller, so presence hears
  // the callee through the room's active speakers and through the session's VAD on the callee's own track (a SIP leg
  // carries no audio levels: calleeSpeech.ts). A leg answering-machine detection is still deciding about, or one a
  // machine answered, is no callee.
  const isCallee = (identity: string) => isDialedIdentity(identity) && bridge.mayBeCallee(identity);
  const calleeSpeech = new CalleeSpeech(isCallee, (speaking) => inbound({ type: 'calleeSpeech', speaking }, { type: 'CALLEE_SPEAKING', speaking }));
  if (ctx.room) wireRoom();

  function wireRoom(): void {
    const room = ctx.room;
    // Only DisconnectReason.ROOM_DELETED means the room is gone. The framework's own room.disconnect() on its way out
    // (CLIENT_INITIATED) arrives after our close when we ended the call, and is then ignored by the ended machine.
    room.on(RoomEvent.Disconnected, (reason: DisconnectReason) => {
      const { entry, event } = disconnectEffect(reason);
      inbound(entry, event);
    });
    room.on(RoomEvent.ActiveSpeakersChanged, (speakers: Participant[]) => calleeSpeech.speakers(speakers.map((p) => p.identity)));
    room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _pub: unknown, p: RemoteParticipant) => {
      if (isDialedIdentity(p.identity) && session.vad) calleeSpeech.listen(p.identity, track, session.vad);
    });
    room.on(RoomEvent.TrackUnsubscribed, (_track: RemoteTrack, _pub: unknown, p: RemoteParticipant) => calleeSpeech.stop(p.identity));
    room.on(RoomEvent.ParticipantConnected, (p: RemoteParticipant) => {
      // The caller's identity back after a lost connection (a new session): the call goes on.
      if (caller && p.identity === caller.identity) return inbound({ type: 'callerReconnected' }, { type: 'CALLER_RECONNECTED' });
      hold?.joined(p.identity);
    });
    // The agent's own connection: while it reconnects nobody hears it, and presence pauses.
    room.on(RoomEvent.Reconnecting, () => inbound({ type: 'agentReconnecting' }, { type: 'AGENT_RECONNECTING' }));
    room.on(RoomEvent.Reconnected, () => inbound({ type: 'agentReconnected' }, { type: 'AGENT_RECONNECTED' }));
    room.on(RoomEvent.ParticipantAttributesChanged, (changed: Record<string, string>, p: Participant) => {
      if (changed['sip.callStatus'] !== 'active') return;
      hold?.joined(p.identity, true);
      if (isDialedIdentity(p.identity)) bridge.legAnswered(p.identity);
    });
    room.on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
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
      } else if (isDialedIdentity(p.identity) && bridge.dialedParticipantLeft(p.identity)) inbound({ type: 'calleeLeft' }, { type: 'CALLEE_LEFT' });
    });
  }

  if (caller) {
    // `$caller` in endSession.allow is the caller this agent serves.
    const allow = config.endSession.allow.map((a) => (a === '$caller' ? caller.identity : a));
    const end = () => bridge.requestEnd('frontend');
    ctx.room.localParticipant?.registerRpcMethod(END_SESSION_RPC, endSessionHandler({ allow, end, log: (f, m) => logger.info(f, m) }));
  }

  // The session has started once it leaves `initializing` (AgentSession.start's last step, after the framework set up
  // its tracer): the call span starts, and the greeting is said.
  const onAgentState = (ev: voice.AgentStateChangedEvent) => {
    if (ev.oldState !== 'initializing') return;
    session.off(voice.AgentSessionEventTypes.AgentStateChanged, onAgentState);
    observed.sessionStarted();
    bridge.greet();
  };
  session.on(voice.AgentSessionEventTypes.AgentStateChanged, onAgentState);

  bridge.start();
  return {
    config,
    ...presenceAgentParts(bridge),
    inputOptions: caller ? { closeOnDisconnect: false, participantIdentity: caller.identity } : { closeOnDisconnect: false },
    requestEnd: (source = 'backend') => bridge.requestEnd(source),
    dial: (number) => requestCheckedDial(bridge, number),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    report,
    get closeReason() {
      return bridge.closeReason;
    },
    bridge,
    lifecycle,
    sink: record,
  };
}

function childLogger(room: string): BridgeLogger {
  const logger = log().child({ room });
  return { info: (f, m) => logger.info(f, m), warn: (f, m) => logger.warn(f, m) };
}
