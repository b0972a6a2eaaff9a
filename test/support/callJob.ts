/**
 * A real JobContext, built as the framework's console runner builds one (`console.ts`: a `Job`, a fake job with no
 * LiveKit room, a real rtc-node `Room`), running the production `startCall` with a text AgentSession (the framework's
 * FakeLLM) against the emulator. Optionally under a LiveKit Cloud simulation: the job then carries the
 * `lk.simulator.dispatch` attribute exactly as a simulation's dispatch delivers it, and `ctx.simulationContext()`
 * builds its SimulationContext as the framework does.
 */
import { ATTRIBUTE_SIMULATOR_DISPATCH, JobContext, JobProcess, Scenario, SimulationDispatch, SimulationMode, voice, type RunningJobInfo } from '@livekit/agents';
import { Job, JobType, Room as RoomInfo } from '@livekit/protocol';
import { Room } from '@livekit/rtc-node';
import { startCall, type RunningCall } from '../../src/agent/call.js';
import { defineConfig } from '../../src/config/load.js';
import type { AgentConfig, AgentConfigInput } from '../../src/config/schema.js';
import { LiveKitApiEmulator } from '../../src/emulator/server.js';
import { createTextSession, userSaid } from '../../src/local/textSession.js';
import type { SipEntry } from '../../src/sip/entry.js';
import { API_KEY, API_SECRET } from './session.js';

export const ROOM = 'call-1';
export const SIMULATION_RUN = 'SR_presence';

export interface JobOptions {
  /** Run under a simulation (the dispatch attribute on the job). */
  simulation?: boolean;
  /** The project mandates redaction (`job.enableRedaction`, which sets `ctx._redactionEnabled`). */
  redaction?: boolean;
  onShutdown?: (reason: string) => void;
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
  const info: RunningJobInfo = { acceptArguments: { name: '', identity: 'agent', metadata: '' }, job, url: '', token: '', workerId: 'test', fakeJob: true };
  const inference = { doInference: () => Promise.reject(new Error('no inference in these tests')) };
  return new JobContext(new JobProcess(), info, new Room(), () => {}, o.onShutdown ?? (() => {}), inference);
}

export interface CallJob {
  ctx: JobContext;
  config: AgentConfig;
  call: RunningCall;
  emulator: LiveKitApiEmulator;
  userSays(text: string): void;
  /** Waits for the call's own `ctx.shutdown()`, then runs the job's shutdown callbacks as the job process does. */
  ended(): Promise<string>;
  stop(): Promise<void>;
}

export async function startCallJob(config: AgentConfigInput, o: JobOptions & { sip?: Record<string, SipEntry> } = {}): Promise<CallJob> {
  const resolved = defineConfig({ ...config, record: { enabled: false } });
  const emulator = new LiveKitApiEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, sip: o.sip ?? {} });
  const url = await emulator.start();
  let shutdown!: (reason: string) => void;
  const shutdownRequested = new Promise<string>((r) => (shutdown = r));
  const ctx = jobContext({ ...o, onShutdown: (reason) => shutdown(reason) });
  const session = createTextSession(new voice.testing.FakeLLM([]), resolved.presence.userAwayTimeout);
  const quiet = { info: () => {}, warn: () => {} };
  const call = await startCall({ ctx, config: resolved, session, api: { url, apiKey: API_KEY, apiSecret: API_SECRET }, roomName: ROOM, logger: quiet, sink: null });
  let callbacks: Promise<void> | null = null;
  return {
    ctx,
    config: resolved,
    call,
    emulator,
    userSays: (text) => userSaid(session, text),
    async ended() {
      const reason = await shutdownRequested;
      // The job process: every shutdown callback together (runShutdownCallbacks), awaited.
      callbacks ??= Promise.allSettled(ctx.shutdownCallbacks.map((cb) => cb())).then(() => undefined);
      await callbacks;
      return reason;
    },
    async stop() {
      await call.bridge.drain();
      call.bridge.dispose();
      await session.close().catch(() => {});
      await emulator.stop();
    },
  };
}
