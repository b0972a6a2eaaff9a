/**
 * A real JobContext, built as the framework's console runner builds one (`console.ts`: a `Job`, a fake job with no
 * LiveKit room, a real rtc-node `Room`), running the production `startCall` with a text AgentSession (the framework's
 * FakeLLM) against the emulator. Optionally under a LiveKit Cloud simulation: the job then carries the
 * `lk.simulator.dispatch` attribute exactly as a simulation's dispatch delivers it, and `ctx.simulationContext()`
 * builds its SimulationContext as the framework does.
 *
 * With a `room` (a CallRoom, see rtcRoom.ts) the job is the one production runs: `startCall` gets the room's caller and
 * binds the session to the room, as `callEntry` does after its `joinRoom`; the emulator holds the same participants
 * (so the server API can mute and remove them), and deleting the room there disconnects the agent's room with
 * ROOM_DELETED, as LiveKit does. The close then follows the framework's job process (`ipc/job_proc_lazy_main.ts`): its
 * own `Disconnected` listener closes the job; a close runs finalizeSession (`session.close()`), then `room.disconnect()`
 * (`Disconnected(CLIENT_INITIATED)` while still connected), then the shutdown callbacks.
 */
import { ATTRIBUTE_SIMULATOR_DISPATCH, JobContext, JobProcess, Scenario, SimulationDispatch, SimulationMode, voice, type RunningJobInfo } from '@livekit/agents';
import { Job, JobType, Room as RoomInfo } from '@livekit/protocol';
import { DisconnectReason, ParticipantKind, Room, RoomEvent, type RemoteParticipant } from '@livekit/rtc-node';
import { startCall, type RunningCall } from '../../src/agent/call.js';
import type { BridgeLogger } from '../../src/bridge/callBridge.js';
import { defineConfig } from '../../src/config/load.js';
import type { AgentConfig, AgentConfigInput } from '../../src/config/schema.js';
import { LiveKitApiEmulator } from '../../src/emulator/server.js';
import { createTextSession, userSaid } from '../../src/local/textSession.js';
import type { RecordLine, RecordSink } from '../../src/record/sessionRecord.js';
import type { SipEntry } from '../../src/sip/entry.js';
import type { CallRoom } from './rtcRoom.js';
import { API_KEY, API_SECRET } from './session.js';

export const ROOM = 'call-1';
/** A call that reaches its unresponsive close within a couple of seconds: one fixed check-in, a short goodbye. */
export const QUICK_CALL = {
  presence: { userAwayTimeout: 0.3 },
  checkIn: { mode: 'fixed', interval: 0.2, maxPrompts: 1 },
  goodbye: { maxSeconds: 1 },
} as const;
export const SIMULATION_RUN = 'SR_presence';

export interface JobOptions {
  /** Run under a simulation (the dispatch attribute on the job). */
  simulation?: boolean;
  /** The project mandates redaction (`job.enableRedaction`, which sets `ctx._redactionEnabled`). */
  redaction?: boolean;
  onShutdown?: (reason: string) => void;
  /** The job's room (default: a new, unconnected one, and the job is a fake job as in console mode). */
  room?: Room;
}

export function jobContext(o: JobOptions = {}): JobContext {
  const dispatch = new SimulationDispatch({
    simulationRunId: SIMULATION_RUN,
    jobId: 'SJ_1',
    scenario: new Scenario({ label: 'caller goes quiet during a dial', instructions: 'ask for the manager, then stay silent' }),
    mode: SimulationMode.TEXT,
  });
  const job = new Job({
    id: 'AJ_test',
    type: JobType.JT_ROOM,
    room: new RoomInfo({ name: ROOM }),
    enableRedaction: o.redaction ?? false,
    attributes: o.simulation ? { [ATTRIBUTE_SIMULATOR_DISPATCH]: dispatch.toJsonString() } : {},
  });
  // Without a room of its own the job is a console-style fake job; with one it is a dispatched job, as in production.
  const info: RunningJobInfo = { acceptArguments: { name: '', identity: 'agent', metadata: '' }, job, url: '', token: '', workerId: 'test', fakeJob: o.room === undefined };
  const inference = { doInference: () => Promise.reject(new Error('no inference in these tests')) };
  return new JobContext(new JobProcess(), info, o.room ?? new Room(), () => {}, o.onShutdown ?? (() => {}), inference);
}

/** A session record kept in memory: every line startCall writes, and the final one (the shutdown report). */
export class MemoryRecord implements RecordSink {
  readonly lines: RecordLine[] = [];
  closedWith: RecordLine | null = null;
  /** Called with each line as it is written (a test reacting to what the call just did). */
  onWrite: ((line: RecordLine) => void) | null = null;

  write(line: RecordLine): void {
    this.lines.push(line);
    this.onWrite?.(line);
  }

  async close(last: RecordLine): Promise<void> {
    this.closedWith = last;
  }

  types(): RecordLine['type'][] {
    return this.lines.map((l) => l.type);
  }

  of<K extends RecordLine['type']>(type: K): Extract<RecordLine, { type: K }>[] {
    return this.lines.filter((l): l is Extract<RecordLine, { type: K }> => l.type === type);
  }
}

export interface CallJob {
  ctx: JobContext;
  config: AgentConfig;
  call: RunningCall;
  emulator: LiveKitApiEmulator;
  /** The emulator's URL, for a backend's own server API client. */
  url: string;
  session: voice.AgentSession;
  /** Every reason the call passed to `ctx.shutdown()`, in order. */
  shutdowns: readonly string[];
  userSays(text: string): void;
  /** Waits for the call's own `ctx.shutdown()` and for the job process's close (its shutdown callbacks included). */
  ended(): Promise<string>;
  stop(): Promise<void>;
}

export interface CallJobOptions extends Omit<JobOptions, 'room' | 'onShutdown'> {
  sip?: Record<string, SipEntry>;
  /** The LiveKit room the call runs in (its caller: the first non-agent participant, as `ctx.waitForParticipant()`). */
  room?: CallRoom;
  /** Where the session record goes (default: none). */
  sink?: RecordSink;
  logger?: BridgeLogger;
}

export async function startCallJob(config: AgentConfigInput, o: CallJobOptions = {}): Promise<CallJob> {
  const resolved = defineConfig({ ...config, record: { enabled: false } });
  const emulator = new LiveKitApiEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, sip: o.sip ?? {} });
  const url = await emulator.start();
  const shutdowns: string[] = [];
  let shutdown!: (reason: string) => void;
  const shutdownRequested = new Promise<string>((r) => (shutdown = r));
  const room = o.room;
  let closeJob: (() => void) | null = null;
  const ctx = jobContext({
    ...(o.simulation !== undefined ? { simulation: o.simulation } : {}),
    ...(o.redaction !== undefined ? { redaction: o.redaction } : {}),
    ...(room ? { room: room.room } : {}),
    onShutdown: (reason) => {
      shutdowns.push(reason);
      shutdown(reason);
      closeJob?.();
    },
  });
  const session = createTextSession(new voice.testing.FakeLLM([]), resolved.presence.userAwayTimeout);
  const logger = o.logger ?? { info: () => {}, warn: () => {} };

  let caller: RemoteParticipant | undefined;
  let jobClosed: Promise<void> | null = null;
  if (room) {
    // The server's view of the same room: the server API can mute the caller's tracks and remove participants.
    for (const p of room.room.remoteParticipants.values()) emulator.addParticipant(ROOM, p.identity, [...p.trackPublications.keys()]);
    // LiveKit disconnects everyone, the agent included, from a room it deletes (whoever asked for it).
    emulator.on('roomDeleted', (name) => void (name === ROOM && room.disconnect(DisconnectReason.ROOM_DELETED)));
    // The job process's close (job_proc_lazy_main.ts): once, whatever started it.
    let closing = false;
    const close = (): Promise<void> =>
      (jobClosed ??= (async () => {
        // The close runs after the event that started it has been handled (an emitted 'close', then awaited steps).
        await new Promise((r) => setImmediate(r));
        await session.close().catch(() => {}); // finalizeSession
        room.clientDisconnect(); // room.disconnect()
        await Promise.allSettled(ctx.shutdownCallbacks.map((cb) => cb())); // runShutdownCallbacks
      })());
    closeJob = () => {
      closing = true;
      void close();
    };
    // Registered before the entry runs, as the job process does: a room disconnect it did not cause closes the job.
    room.room.on(RoomEvent.Disconnected, () => {
      if (!closing) void close();
    });
    // As joinRoom's ctx.waitForParticipant() (which needs a connected room): the first participant that is no agent.
    caller = [...room.room.remoteParticipants.values()].find((p) => p.kind !== ParticipantKind.AGENT);
    // The text session speaks text: no TTS, so the audio output RoomIO attaches stays switched off.
    session.output.setAudioEnabled(false);
  }

  // As callEntry passes them (entry.ts), with the emulator's credentials and this test's record and logger. Called
  // outside the job's AsyncLocalStorage context (runWithJobContext): inside it, session.start would connect the room
  // itself (ctx.connect()), which needs an SFU; production's joinRoom has connected the room by then.
  const call = await startCall({
    ctx,
    config: resolved,
    session,
    api: { url, apiKey: API_KEY, apiSecret: API_SECRET },
    roomName: ctx.room.name || ctx.job.room?.name || '',
    ...(caller ? { caller } : {}),
    logger,
    sink: o.sink ?? null,
  });
  let callbacks: Promise<void> | null = null;
  return {
    ctx,
    config: resolved,
    call,
    emulator,
    url,
    session,
    shutdowns,
    userSays: (text) => userSaid(session, text),
    async ended() {
      const reason = await shutdownRequested;
      // The job process: every shutdown callback together (runShutdownCallbacks), awaited.
      callbacks ??= jobClosed ?? Promise.allSettled(ctx.shutdownCallbacks.map((cb) => cb())).then(() => undefined);
      await callbacks;
      return reason;
    },
    async stop() {
      await call.bridge.drain();
      call.bridge.dispose();
      await session.close().catch(() => {});
      await emulator.stop();
      room?.dispose();
    },
  };
}
