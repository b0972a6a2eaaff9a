/**
 * A call's whole job lifecycle in this process, with no LiveKit server: a fake-job `JobContext` (the framework's own
 * `fakeJob` mode: no room), the real `startCall` wiring, a real AgentSession (text, FakeLLM) and the API emulator.
 * After `ctx.shutdown()` it follows the framework's job-process sequence (`ipc/job_proc_lazy_main.ts`): close the
 * session, run every shutdown callback together with no timeout, then, in `exit: 'framework'`, `process.exit(0)`.
 *
 * Run as a child (`tsx src/lifecycle/fakeJob.ts <json options>`) it prints one JSON line per event, so the lifecycle
 * test and the benchmark can watch it exit on its own, or not.
 */
import { initializeLogger, JobContext, JobProcess, voice, type RunningJobInfo } from '@livekit/agents';
import { Job, Room as RoomProto } from '@livekit/protocol';
import { Room } from '@livekit/rtc-node';
import { startCall } from '../agent/call.js';
import { defineConfig } from '../config/load.js';
import type { AgentConfigInput } from '../config/schema.js';
import { LiveKitApiEmulator } from '../emulator/server.js';
import { createTextSession } from '../local/textSession.js';
import type { SipEntry } from '../simulator/scenario.js';

export interface FakeJobOptions {
  config?: AgentConfigInput;
  /** Background tasks the agent starts: `cooperative` ones stop on abort, `stuck` ones ignore it. */
  tasks?: { count: number; honourAbort: boolean };
  /** Extra shutdown callbacks: `hangs` never returns (an upload to a dead endpoint), `throws` rejects. */
  callbacks?: ('hangs' | 'throws' | 'ok')[];
  /** How the call ends: an end request after `afterMs`, or SIGTERM from outside (`signal`). */
  end?: { afterMs: number } | 'signal';
  /** Dial this number at start (scripted in `sip`). */
  dial?: string;
  sip?: Record<string, SipEntry>;
  /** After the callbacks: `framework` calls process.exit(0) as the job process does; `natural` lets the loop drain. */
  exit: 'framework' | 'natural';
  recordDir?: string;
}

const KEY = 'APIfakejob';
const SECRET = 'fake-job-emulator-secret-0123456789abcdef';
const emit = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, at: performance.now(), ...fields })}\n`);

export async function runFakeJob(o: FakeJobOptions): Promise<void> {
  initializeLogger({ pretty: false, level: 'error' });
  const emulator = new LiveKitApiEmulator({ apiKey: KEY, apiSecret: SECRET, sip: o.sip ?? {} });
  const url = await emulator.start();
  const config = defineConfig({
    presence: { userAwayTimeout: 30 },
    record: { enabled: o.recordDir !== undefined, dir: o.recordDir ?? './sessions' },
    ...o.config,
  });

  const info: RunningJobInfo = {
    acceptArguments: { name: 'agent', identity: 'agent', metadata: '' },
    job: new Job({ id: `AJ_fake_${process.pid}`, room: new RoomProto({ name: 'fake-room' }) }),
    url,
    token: '',
    workerId: 'fake-worker',
    fakeJob: true,
  };
  let closed: (reason: string) => void = () => {};
  const closing = new Promise<string>((r) => (closed = r));
  const ctx = new JobContext(new JobProcess(), info, new Room(), () => {}, (reason) => closed(reason), {} as never);
  const session: voice.AgentSession = createTextSession(new voice.testing.FakeLLM([]), config.presence.userAwayTimeout);
  const logs: { msg: string; fields: Record<string, unknown> }[] = [];
  const logger = { info: (fields: Record<string, unknown>, msg: string) => logs.push({ msg, fields }), warn: (fields: Record<string, unknown>, msg: string) => emit('log', { msg, fields }) };

  const call = await startCall({
    ctx,
    config,
    session,
    api: { url, apiKey: KEY, apiSecret: SECRET },
    roomName: 'fake-room',
    logger,
    onShutdown: (o.callbacks ?? []).map((kind, i) => ({
      name: `${kind}-callback-${i}`,
      fn: (): Promise<void> =>
        kind === 'hangs'
          ? new Promise(() => setInterval(() => {}, 1000)) // a dead endpoint: never settles, keeps a handle open
          : kind === 'throws'
            ? Promise.reject(new Error('upload failed: 503'))
            : Promise.resolve(),
    })),
  });

  for (let i = 0; i < (o.tasks?.count ?? 0); i++) {
    void call.lifecycle.tasks
      .run(`background-${i}`, (signal) =>
        o.tasks!.honourAbort
          ? new Promise<void>((resolve) => {
              const tick = setInterval(() => {}, 250);
              signal.addEventListener('abort', () => (clearInterval(tick), resolve()), { once: true });
            })
          : new Promise<void>(() => setInterval(() => {}, 250)), // ignores its signal: a leak
      )
      .catch(() => {});
  }
  if (o.dial) call.bridge.requestDial(o.dial);
  emit('started', { pid: process.pid });

  if (o.end && o.end !== 'signal') {
    const after = o.end.afterMs;
    setTimeout(() => {
      emit('closeTrigger');
      call.bridge.send({ type: 'END_REQUESTED', source: 'backend' });
    }, after);
  } else {
    process.once('SIGTERM', () => emit('closeTrigger'));
  }

  // --- the framework's job-process sequence after ctx.shutdown() ---
  const reason = await closing;
  emit('shutdownRequested', { reason });
  await session.close().catch(() => {}); // finalizeSession
  const results = await Promise.allSettled(ctx.shutdownCallbacks.map((cb) => Promise.resolve().then(() => cb())));
  const report = await call.report;
  await emulator.stop(); // the "server" side goes away once the job is done with it
  emit('callbacksDone', { rejected: results.filter((r) => r.status === 'rejected').length, report });
  if (o.exit === 'framework') {
    emit('exit', { how: 'process.exit' });
    process.exit(0);
  }
  // Natural exit: 'beforeExit' fires only once nothing (no timer, socket, server or child) keeps the loop alive.
  process.once('beforeExit', () => emit('beforeExit', { resources: process.getActiveResourcesInfo() }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void runFakeJob(JSON.parse(process.argv[2] ?? '{"exit":"natural"}') as FakeJobOptions);
}
