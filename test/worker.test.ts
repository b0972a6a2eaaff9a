/**
 * The end of a call as it happens in production: the framework's unmodified worker (`cli.runApp`, `start`), its
 * process pool and its job processes, connected to the emulator through LIVEKIT_URL over LiveKit's agent worker
 * protocol. The job runs the production entry (`callEntry`) without a room (no SFU here; see roomlessAgent.ts).
 * Every close below is started the way production starts it: the call itself, the server's JobTermination, the
 * worker's SIGTERM, the entry throwing, rtc-node's Disconnected event with its DisconnectReason.
 *
 * Timing: nothing here asserts a wall-clock bound tighter than its design. "Exits" means the job process is gone,
 * polled with a generous limit; the framework would otherwise keep a job that its own ctx.shutdown() ended alive
 * forever (no kill timer applies), so exiting at all is the property. Budgets are checked on the report's own clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsTo, EXIT_LIMIT_MS, exitOf, killLines, logOf, reportOf, startWorker, types, type WorkerRun } from './support/worker/run.js';

const RINGING = '+15550001111'; // rings 40 s, then answers: always still ringing when a test ends the call
const SIP = { [RINGING]: { outcome: 'answered' as const, ringSeconds: 40 } };
describe('the framework worker and job process, against the emulator', () => {
  let w: WorkerRun;
  beforeAll(async () => {
    // No warm processes: each call's job process starts when the job is assigned (the framework's `dev` default).
    // Production keeps min(CPUs, 4) warm (worker-operator's drain test runs with those); each call takes a fresh job
    // process either way, and the ones left warm at the end are framework loads for nothing.
    w = await startWorker({ sip: SIP, env: { HARNESS_IDLE_PROCESSES: '0' } });
    await w.emulator.agents.worker(60_000);
  }, 90_000);
  afterAll(() => w?.stop(), 30_000);

  it('registers over the worker protocol and reports its status', async () => {
    const [worker] = w.emulator.agents.workers;
    expect(worker!.id).toMatch(/^AW_/);
    await w.waitFor((l) => l.msg === 'registered worker', 'the worker to log its registration');
  });

  it('a call that ends by itself: goodbye, close, ctx.shutdown, the framework sequence, the job process exits, the worker sees it', async () => {
    const { pid, job } = await w.call('self-end', { endAfterMs: 300 });
    // Stack traces name the agent's TypeScript, and the framework's thousands of source maps were never read.
    expect(w.lines.find((l) => l.pid === pid && l.harness === 'prewarmed')?.sourceMaps).toEqual({ agent: true, framework: false });
    const report = await reportOf(w, pid);
    expect(report).toMatchObject({ reason: 'end_requested', withinBudget: true, leaked: [] });
    await exitOf(pid, EXIT_LIMIT_MS);

    // The framework's own order: our report (inside its shutdown callbacks) before the process ends.
    const log = logOf(w, pid);
    expect(log).toContain('Job process shutdown');
    expect(log.indexOf('Job process shutdown')).toBeGreaterThan(log.indexOf('shutdown complete'));
    const record = w.record('self-end');
    expect(types(record)).toEqual(expect.arrayContaining(['goodbye', 'playoutEnd', 'sessionClose', 'shutdown', 'deleteRoom', 'shutdownReport']));
    expect(record.filter((r) => r.type === 'shutdown')).toHaveLength(1);
    expect(record.at(-1)).toMatchObject({ type: 'shutdownReport', reason: 'end_requested' });
    expect(callsTo(w, 'self-end', 'livekit.RoomService/DeleteRoom')).toHaveLength(1);
    await expect.poll(async () => (await w.info()).active_jobs, { timeout: 10_000 }).toBe(0);
    expect(job.job.id).toMatch(/^AJ_/);
  }, 120_000);

  // The calls below share nothing but the worker (each its own room, job process and record): they run side by
  // side, as a worker's calls do, while the two above check the worker when it is otherwise idle.
  describe.concurrent('calls side by side', () => {
    it('the server terminates the job mid-dial: the dial is cancelled explicitly, the room deleted, one shutdown, the record complete', async ({ expect }) => {
      const { pid, job } = await w.call('terminated', { dial: RINGING });
      await w.waitFor((l) => l.pid === pid && l.msg === 'dial started', 'the dial to start');
      w.emulator.agents.terminate(job.job.id);

      const report = await reportOf(w, pid);
      expect(report).toMatchObject({ reason: 'job_shutdown', withinBudget: true });
      await exitOf(pid, EXIT_LIMIT_MS);
      // Explicitly: the SIP participant removed (the ringing dial ends canceled/408, as livekit-sip ends it), not left
      // ringing into an empty room.
      expect(callsTo(w, 'terminated', 'livekit.RoomService/RemoveParticipant')).toHaveLength(1);
      expect(callsTo(w, 'terminated', 'livekit.SIP/CreateSIPParticipant').map((c) => c.status)).toEqual([408]);
      expect(callsTo(w, 'terminated', 'livekit.RoomService/DeleteRoom')).toHaveLength(1);
      const record = w.record('terminated');
      expect(types(record)).toEqual(expect.arrayContaining(['dialStart', 'jobShutdown', 'dialCancel', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']));
      expect(types(record)).not.toContain('goodbye');
      expect(record.find((r) => r.type === 'dialEnd')).toMatchObject({ outcome: 'cancelled' });
      expect(record.filter((r) => r.type === 'shutdown')).toEqual([expect.objectContaining({ reason: 'job_shutdown' })]);
      expect(record.at(-1)).toMatchObject({ type: 'shutdownReport', reason: 'job_shutdown' });
      expect(killLines(w.lines.filter((l) => l.pid === pid))).toEqual([]);
    }, 120_000);

    it('the connection is lost mid-dial (DisconnectReason.SIGNAL_CLOSE): not a deletion; the dial cancelled, closeAction still runs', async ({ expect }) => {
      const { pid } = await w.call('network-lost', { dial: RINGING, disconnect: { afterMs: 500, reason: 'SIGNAL_CLOSE' } });
      const report = await reportOf(w, pid);
      expect(report.reason).toBe('disconnected');
      await exitOf(pid, EXIT_LIMIT_MS);
      expect(callsTo(w, 'network-lost', 'livekit.RoomService/RemoveParticipant')).toHaveLength(1);
      expect(callsTo(w, 'network-lost', 'livekit.RoomService/DeleteRoom')).toHaveLength(1);
      const record = w.record('network-lost');
      expect(record.find((r) => r.type === 'disconnect')).toMatchObject({ reason: 'SIGNAL_CLOSE' });
      expect(record.find((r) => r.type === 'dialEnd')).toMatchObject({ outcome: 'cancelled' });
      expect(types(record)).not.toContain('roomDeleted');
    }, 120_000);

    it('the room is deleted mid-dial (DisconnectReason.ROOM_DELETED): nothing left to cancel or delete', async ({ expect }) => {
      const { pid } = await w.call('deleted', { dial: RINGING, disconnect: { afterMs: 500, reason: 'ROOM_DELETED' } });
      expect((await reportOf(w, pid)).reason).toBe('room_deleted');
      await exitOf(pid, EXIT_LIMIT_MS);
      expect(callsTo(w, 'deleted', 'livekit.RoomService/RemoveParticipant')).toHaveLength(0);
      expect(callsTo(w, 'deleted', 'livekit.RoomService/DeleteRoom')).toHaveLength(0);
      expect(types(w.record('deleted'))).toContain('roomDeleted');
    }, 120_000);

    it('a stuck shutdown callback and 20 stuck tasks: the job still exits, named in the report, and the framework never has to kill it', async ({ expect }) => {
      const { pid } = await w.call('stuck', { endAfterMs: 200, callbacks: ['hangs', 'throws', 'ok'], tasks: { count: 20, honourAbort: false } });
      const report = await reportOf(w, pid);
      expect(report.withinBudget).toBe(true);
      expect(report.durationMs).toBeLessThanOrEqual(report.budgetMs);
      // Every callback was attempted, each with its outcome; the leak report names what is still alive.
      expect(report.callbacks.map((c) => [c.name, c.outcome])).toEqual([
        ['bridge.drain', 'ok'],
        ['hangs-callback-0', 'timeout'],
        ['throws-callback-1', 'error'],
        ['ok-callback-2', 'ok'],
      ]);
      expect(report.leaked.map((t) => t.name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `background-${i}`).sort());
      expect(logOf(w, pid)).toContain('shutdown: 20 task(s) still alive at the deadline');
      await exitOf(pid, EXIT_LIMIT_MS);
      expect(logOf(w, pid)).toContain('Job process shutdown');
      expect(killLines(w.lines.filter((l) => l.pid === pid))).toEqual([]);
    }, 120_000);

    it('the entry throws after the call started: the framework closes the job and the call ends through the same close', async ({ expect }) => {
      const { pid } = await w.call('crashed', { dial: RINGING, throws: 'after' });
      const report = await reportOf(w, pid);
      expect(report.reason).toBe('job_shutdown');
      await exitOf(pid, EXIT_LIMIT_MS);
      expect(callsTo(w, 'crashed', 'livekit.RoomService/RemoveParticipant')).toHaveLength(1);
      expect(callsTo(w, 'crashed', 'livekit.RoomService/DeleteRoom')).toHaveLength(1);
    }, 120_000);

    it('the entry throws before the call started: the job process still exits cleanly', async ({ expect }) => {
      const { pid } = await w.call('crashed-early', { throws: 'before' });
      await exitOf(pid, EXIT_LIMIT_MS);
      expect(logOf(w, pid)).toContain('Job process shutdown');
      expect(killLines(w.lines.filter((l) => l.pid === pid))).toEqual([]);
    }, 120_000);

    it('SIGKILL mid-call: the session record still parses line by line up to the last event', async ({ expect }) => {
      const { pid } = await w.call('killed', { dial: RINGING });
      await w.waitFor((l) => l.pid === pid && l.msg === 'dial started', 'the dial to start');
      process.kill(pid, 'SIGKILL');
      await exitOf(pid, EXIT_LIMIT_MS);
      const record = w.record('killed');
      expect(record[0]).toMatchObject({ type: 'session', room: 'killed' });
      expect(types(record)).toContain('dialStart');
      expect(types(record)).not.toContain('shutdownReport');
    }, 120_000);

    it('dispatch metadata cannot move the record or widen the dial policy: refused, named, recorded; the tuning applies', async ({ expect }) => {
      const metadata = JSON.stringify({ record: { dir: '/tmp/elsewhere' }, dial: { allow: ['*'] }, checkIn: { maxPrompts: 1 } });
      const { pid } = await w.call('narrowed', { endAfterMs: 200 }, metadata);
      expect((await reportOf(w, pid)).reason).toBe('end_requested');
      const rejected = w.record('narrowed').filter((r) => r.type === 'overrideRejected').map((r) => r.key);
      expect(rejected).toEqual(['record.dir', 'dial.allow']);
      const refusals = w.lines.filter((l) => l.pid === pid && l.msg === 'dispatch metadata key refused').map((l) => l.key);
      expect(refusals).toEqual(['record.dir', 'dial.allow']);
    }, 120_000);
  });
});
