/**
 * The `realStack` section of `npm run bench`: figures measured against LiveKit's real stack (livekit-server,
 * livekit-sip, redis and sipp phones, in the network namespaces of scripts/livekit-stack.sh), with the production
 * worker (`node dist/src/agent/main.js start`, scripted models) and web callers over real WebRTC:
 *
 * 1. `deleteRoom` → job process exit: RoomServiceClient.deleteRoom on a call in progress, until the job's pid is gone.
 * 2. End of goodbye → room gone: an unresponsive caller; from the bench first seeing the record's goodbye `playoutEnd`
 *    to listRooms no longer listing the room.
 * 3. The dialed leg answering → AMD's verdict: from the bench first seeing the leg's `sip.callStatus` turn `active`
 *    to the bench first seeing the record's `amd` line.
 * 4. The job processes' CPU and RSS per call with real media (N concurrent web calls, one worker), beside the
 *    loopback capacity bench's per-call figure.
 *
 * One clock: every interval is two sightings on the bench's own performance.now(). The record's `t` is the job
 * process's clock from its own start and sipp's trace is sipp's wall clock; they are only used for intervals inside
 * themselves (or labelled as a cross-check), never subtracted from the bench's clock.
 *
 * Run as `bash scripts/livekit-stack.sh exec npx tsx bench/realStack.ts [--quick] [--json]` (it needs the namespace
 * and the LK_E2E_* variables that command exports); `npm run bench` runs it that way through `realStackBench`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { AgentConfigInput } from '../src/config/schema.js';
import type { AgentWorker, RecordLine } from '../test/e2e/support/agentWorker.js';
import type { WebCall } from '../test/e2e/support/call.js';

const ROOT = join(import.meta.dirname, '..');
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 2 ** 20;
const log = (msg: string) => process.stderr.write(`realStack: ${msg}\n`);

/** How often the bench looks: the record file (a local read), and the server's API (an HTTP request each). */
const RECORD_POLL_MS = 20;
const API_POLL_MS = 50;
/** exitOf's own poll (test/support/worker/run.ts). */
const EXIT_POLL_MS = 20;
/** Callee ports from here: the e2e tests use 5070-5099, and each port is one sipp phone at a time. */
const CALLEE_PORT = 5100;
const DIAL_NUMBER = '+15551000100';
/**
 * How long a room waits for its job before the bench gives up on it and makes another. livekit-server picks a worker
 * weighted by 1 − its reported load and dispatches to none when every weight is 0, and does not retry. The e2e worker
 * reports its calls as its load (worker.maxCalls), so a saturated machine no longer refuses jobs; the retry stays so
 * that a refusal for any other reason is counted (`dispatch`) rather than ending the section.
 */
const DISPATCH_WAIT_MS = 20_000;
const DISPATCH_ATTEMPTS = 4;
/** Between sequential samples: the worker's next load report (every 2.5 s) no longer covers the previous call's end. */
const BETWEEN_SAMPLES_MS = 3_000;

// ---------------------------------------------------------------------------------------------------------------
// The section's shape.

export interface Spread {
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface LoopbackPerCall {
  source: string;
  /** Cores one call's process used (cpuSecondsPerCallMinute / 60). */
  coresPerCall: number;
  cpuSecondsPerCallMinute: number;
  rssMBPerProcess: number;
  rssDeltaMBPerCall: number;
}

export interface PerCallStep {
  calls: number;
  windowSeconds: number;
  /** Mean over the calls' job processes: CPU time (utime + stime, all threads) / window. */
  coresPerCall: number;
  cpuSecondsPerCallMinute: number;
  /** VmRSS of a call's job process (the whole process), averaged over 1 s samples and over the calls; the largest sample. */
  rssMBPerCall: number;
  rssMaxMB: number;
  /**
   * The rest of the worker's process tree, shared by its calls: the worker itself, its inference process (the
   * end-of-turn model every call's turns run through: per-call work done outside the job process), and the idle,
   * prewarmed job processes.
   */
  worker: { mainCores: number; inferenceCores: number; idleJobsCores: number; mainRssMB: number; inferenceRssMB: number; idleJobs: number };
  /** Everything on the machine over the window (other work included: the stack, the callers, anything else). */
  machineCoresBusy: number;
  /** Check-ins the calls made in the window: the calls were live, with their presence cycle running. */
  checkInsInWindow: number;
}

export type Absent = { absent: string };

export interface RealStackFigures {
  stack: { server: string; sip: string; note: string };
  deleteRoomToExit:
    | (Spread & {
        calls: number;
        measured: string;
        deleteRoomRequestMedianMs: number;
        /** Inside the job's own clock (record `t`): its roomDeleted line → its shutdownReport line. */
        jobClockRoomDeletedToReportMs: number[];
        shutdownReasons: string[];
        killLines: string[];
      })
    | Absent;
  goodbyeEndToRoomGone:
    | (Spread & {
        calls: number;
        measured: string;
        recordPollMs: number;
        listRoomsPollMs: number;
        listRoomsRequestMedianMs: number;
        /**
         * Inside the job's own clock (record `t`): goodbye playoutEnd → shutdownReport, which brackets the session
         * close, the room deletion (the record's deleteRoom line is the command, written before the close) and the
         * shutdown callbacks.
         */
        jobClockPlayoutEndToReportMs: number[];
      })
    | Absent;
  answerToAmdVerdict:
    | (Spread & {
        dials: number;
        measured: string;
        pollMs: number;
        verdicts: { category: string; reason: string | null; speechDurationMs: number | null; delayMs: number | null }[];
        /** Cross-check on the host's wall clock (sipp's trace timestamp vs the bench's Date): sipp's 200 OK → the bench sees `active`. */
        sipp200ToActiveSeenMs: (number | null)[];
        note: string;
      })
    | Absent;
  perCall:
    | {
        measured: string;
        call: string;
        steps: PerCallStep[];
        loopback: LoopbackPerCall | Absent;
        /** Real stack / loopback, per step (CPU per call; job process RSS). */
        ratios: { calls: number; cpu: number | null; rss: number | null }[];
      }
    | Absent;
  /** Rooms livekit-server did not dispatch (see DISPATCH_WAIT_MS), each replaced by a new room. */
  dispatch: { refused: number; waitedMs: number; reasons: string[] };
  meta: { quick: boolean; wallSeconds: number; loadavgBefore: number[]; loadavgAfter: number[]; cpus: number };
}

export type RealStackSection = RealStackFigures | Absent;

// ---------------------------------------------------------------------------------------------------------------
// The loopback capacity bench's per-call figure, read from its results (never recomputed here).

interface CapacityLike {
  overhead?: { ours?: { cpuSecondsPerCallMinute?: number; rssMBPerProcess?: number; rssDeltaMBPerCall?: number } };
}

export function loopbackPerCall(capacity: CapacityLike | undefined, source: string): LoopbackPerCall | Absent {
  const ours = capacity?.overhead?.ours;
  if (ours?.cpuSecondsPerCallMinute === undefined || ours.rssMBPerProcess === undefined || ours.rssDeltaMBPerCall === undefined) {
    return { absent: `${source}: no capacity.overhead.ours figures` };
  }
  return {
    source,
    coresPerCall: round(ours.cpuSecondsPerCallMinute / 60, 3),
    cpuSecondsPerCallMinute: ours.cpuSecondsPerCallMinute,
    rssMBPerProcess: ours.rssMBPerProcess,
    rssDeltaMBPerCall: ours.rssDeltaMBPerCall,
  };
}

function fromResultsFile(): LoopbackPerCall | Absent {
  const file = join(ROOT, 'bench', 'results.json');
  if (!existsSync(file)) return { absent: 'bench/results.json does not exist yet (run npm run bench)' };
  const results = JSON.parse(readFileSync(file, 'utf8')) as { capacity?: CapacityLike; meta?: { date?: string; quick?: boolean } };
  return loopbackPerCall(results.capacity, `bench/results.json capacity.overhead.ours (${results.meta?.quick ? '--quick ' : ''}run of ${results.meta?.date ?? 'unknown date'})`);
}

/** The ratios of the real stack's per-call figures to the loopback ones. */
export function withLoopback(section: RealStackSection, loopback: LoopbackPerCall | Absent): RealStackSection {
  if ('absent' in section || 'absent' in section.perCall) return section;
  const ratios = section.perCall.steps.map((s) => ({
    calls: s.calls,
    cpu: 'absent' in loopback ? null : round(s.coresPerCall / loopback.coresPerCall, 2),
    rss: 'absent' in loopback ? null : round(s.rssMBPerCall / loopback.rssMBPerProcess, 2),
  }));
  return { ...section, perCall: { ...section.perCall, loopback, ratios } };
}

// ---------------------------------------------------------------------------------------------------------------
// The parent's side (outside the namespace): is the stack there, then run this file inside it.

const sh = (cmd: string): string | null => {
  try {
    return execFileSync('sh', ['-c', cmd], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
};

/**
 * What `npm run bench` calls: the section, or `{ absent }` saying why not. The child prints its progress on stderr
 * (passed through) and the section as the last JSON line of its stdout.
 */
export async function realStackBench(o: { quick: boolean; timeoutMs?: number }): Promise<RealStackSection> {
  if (sh('command -v livekit-server') === null) return { absent: 'livekit-server is not on PATH (install the stack: npm run stack:install)' };
  const status = sh('bash scripts/livekit-stack.sh status');
  if (status === null) return { absent: '`bash scripts/livekit-stack.sh status` failed' };
  if (!/^livekit-server: up$/m.test(status) || !/^redis: up$/m.test(status)) {
    return { absent: `the stack is not up (npm run stack:up): ${status.trim().split('\n').join(', ')}` };
  }
  const timeoutMs = o.timeoutMs ?? (o.quick ? 12 : 25) * 60_000;
  // Its own process group, so a timeout stops the child and everything it started (worker, phones), and nothing else.
  const child = spawn('bash', ['scripts/livekit-stack.sh', 'exec', 'npx', 'tsx', 'bench/realStack.ts', '--json', ...(o.quick ? ['--quick'] : [])], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }, timeoutMs);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(timer);
  if (timedOut) return { absent: `bench/realStack.ts did not finish within ${timeoutMs / 1000} s` };
  for (const line of out.trim().split('\n').reverse()) {
    if (!line.startsWith('{"realStack":')) continue;
    return (JSON.parse(line) as { realStack: RealStackSection }).realStack;
  }
  return { absent: `bench/realStack.ts exited ${code} without a result; its stdout ended: ${out.slice(-500)}` };
}

// ---------------------------------------------------------------------------------------------------------------
// The child's side (inside the namespace).

/** The test support, loaded only once the stack is known to be there: stack.ts throws at import without LK_E2E_*. */
async function support() {
  const [stack, agentWorker, call, phone, webCaller, run] = await Promise.all([
    import('../test/e2e/support/stack.js'),
    import('../test/e2e/support/agentWorker.js'),
    import('../test/e2e/support/call.js'),
    import('../test/e2e/support/phone.js'),
    import('../test/e2e/support/webCaller.js'),
    import('../test/support/worker/run.js'),
  ]);
  return { ...stack, ...agentWorker, ...call, ...phone, ...webCaller, exitOf: run.exitOf };
}
type Support = Awaited<ReturnType<typeof support>>;

/** Why the stack cannot be measured from here, or null. */
async function unavailable(): Promise<string | null> {
  if (!process.env.LK_E2E_SRV_IP || !process.env.LK_E2E_AGENT_NS) return 'LK_E2E_SRV_IP / LK_E2E_AGENT_NS are not set (run through `bash scripts/livekit-stack.sh exec`)';
  if (sh('command -v livekit-server') === null) return 'livekit-server is not on PATH';
  const res = await fetch(`http://${process.env.LK_E2E_SRV_IP}:7880/`, { signal: AbortSignal.timeout(5_000) }).catch((e: Error) => e);
  if (res instanceof Error || !res.ok) return `livekit-server does not answer at ${process.env.LK_E2E_SRV_IP}:7880 (${res instanceof Error ? res.message : res.status})`;
  return null;
}

function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mid = (s.length - 1) / 2;
  return { samplesMs: xs.map((x) => round(x)), medianMs: round((s[Math.floor(mid)]! + s[Math.ceil(mid)]!) / 2), minMs: round(s[0]!), maxMs: round(s.at(-1)!) };
}

const median = (xs: number[]) => spread(xs).medianMs;

/** Everything a measurement started, undone however the run ends (a failure, a timeout's SIGTERM). */
const cleanups: (() => Promise<unknown> | void)[] = [];
async function cleanUp(): Promise<void> {
  for (const f of cleanups.splice(0).reverse()) await Promise.resolve(f()).catch(() => undefined);
}
/** Runs `fn` with `undo` registered for a failure or a signal meanwhile, then runs `undo` itself. */
async function undone<T>(undo: () => Promise<unknown> | void, fn: () => Promise<T>): Promise<T> {
  cleanups.push(undo);
  try {
    return await fn();
  } finally {
    cleanups.splice(cleanups.indexOf(undo), 1);
    await Promise.resolve(undo()).catch(() => undefined);
  }
}

async function withWorker<T>(s: Support, config: AgentConfigInput, fn: (w: AgentWorker) => Promise<T>): Promise<T> {
  const w = await s.startAgentWorker({ config });
  return undone(() => w.stop(), () => fn(w));
}

/** Polls `probe` every `everyMs` on the bench's clock; resolves with its value and when it was first seen. */
async function sighting<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs: number, everyMs: number): Promise<{ value: T; at: number }> {
  const t0 = performance.now();
  for (;;) {
    const value = await probe();
    const at = performance.now();
    if (value !== undefined) return { value, at };
    if (at - t0 > timeoutMs) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** The record's lines, or none while the file does not exist yet. */
const recordOf = (w: AgentWorker, room: string): RecordLine[] => {
  try {
    return w.record(room);
  } catch {
    return [];
  }
};

/** livekit-server's log lines written since `from` (a byte offset): read from there, not the whole file each time. */
function serverLogSince(s: Support, from: number): { msg?: string; room?: string; error?: string }[] {
  const file = join(s.STACK.logs, 'livekit-server.log');
  const size = statSync(file).size;
  if (size <= from) return [];
  const buf = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  return buf
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { msg?: string; room?: string; error?: string }];
      } catch {
        return [];
      }
    });
}

const dispatch = { refused: 0, waitedMs: 0, reasons: [] as string[] };

/**
 * A web call as `webCall` (test/e2e/support/call.ts) makes it: a room dispatched to the worker, the caller in it,
 * its job. A room livekit-server refuses to dispatch (see DISPATCH_WAIT_MS) is deleted and another one made.
 */
async function dispatchedCall(s: Support, w: AgentWorker, what: string): Promise<WebCall> {
  for (let attempt = 1; ; attempt++) {
    const room = s.uniqueRoom(what);
    const logFrom = statSync(join(s.STACK.logs, 'livekit-server.log')).size;
    const t0 = performance.now();
    await w.createRoom(room);
    const caller = await s.joinWebCaller(room);
    const job = w.job(room);
    job.catch(() => undefined); // given up on below: its own timeout must not surface as unhandled
    const refusal = sighting(
      () => serverLogSince(s, logFrom).find((l) => l.room === room && l.msg === 'no worker available to handle job')?.error ?? undefined,
      'a refusal',
      DISPATCH_WAIT_MS,
      500,
    ).then(
      (r) => ({ refused: r.value }),
      () => ({ refused: `no job within ${DISPATCH_WAIT_MS} ms` }),
    );
    const got = await Promise.race([job.then((j) => ({ job: j }), () => null), refusal]);
    if (got && 'job' in got) return { room, caller, job: got.job };
    const why = got?.refused ?? 'the job never started';
    dispatch.refused++;
    dispatch.waitedMs += round(performance.now() - t0);
    dispatch.reasons.push(why);
    log(`room ${room} not dispatched (${why}); another room`);
    await caller.leave().catch(() => undefined);
    await s.roomService().deleteRoom(room).catch(() => undefined);
    if (attempt >= DISPATCH_ATTEMPTS) throw new Error(`${DISPATCH_ATTEMPTS} rooms in a row not dispatched: ${why}`);
    await sleep(BETWEEN_SAMPLES_MS);
  }
}

/** `calls` sequential calls on the worker, each measured by `measure` while it runs, its caller leaving after however it went. */
async function eachCall(s: Support, w: AgentWorker, what: string, calls: number, measure: (call: WebCall) => Promise<void>): Promise<void> {
  for (let i = 0; i < calls; i++) {
    if (i) await sleep(BETWEEN_SAMPLES_MS);
    const call = await dispatchedCall(s, w, what);
    await undone(() => call.caller.leave(), () => measure(call));
  }
}

/** 1. A call in progress, its room deleted by a backend: how long until its job process is gone. */
async function deleteRoomToExit(s: Support, calls: number): Promise<RealStackFigures['deleteRoomToExit']> {
  // A caller who says one sentence and stays: nothing of the presence cycle happens in the time measured.
  return withWorker(s, { presence: { userAwayTimeout: 60 } }, async (w) => {
    const total: number[] = [];
    const request: number[] = [];
    const jobClock: number[] = [];
    const reasons: string[] = [];
    await eachCall(s, w, 'bench-delete', calls, async (call) => {
      await w.waitForRecord(call.room, (l) => l.type === 'userState' && l.state === 'listening', 'the caller to finish speaking', 30_000);
      const t0 = performance.now();
      await s.roomService().deleteRoom(call.room);
      request.push(performance.now() - t0);
      await s.exitOf(call.job.pid, 60_000);
      total.push(performance.now() - t0);
      const rec = recordOf(w, call.room);
      const deleted = rec.find((l) => l.type === 'roomDeleted');
      const report = rec.find((l) => l.type === 'shutdownReport');
      reasons.push(String(report?.reason ?? 'no shutdownReport'));
      if (deleted?.t !== undefined && report?.t !== undefined) jobClock.push(round((report.t - deleted.t) * 1000));
      log(`deleteRoom → exit: ${round(total.at(-1)!)} ms (request ${round(request.at(-1)!)} ms)`);
    });
    return {
      calls,
      ...spread(total),
      measured: `bench clock: performance.now() just before RoomServiceClient.deleteRoom → process.kill(pid, 0) failing (exitOf, polled every ${EXIT_POLL_MS} ms); the caller had spoken once and finished`,
      deleteRoomRequestMedianMs: median(request),
      jobClockRoomDeletedToReportMs: jobClock,
      shutdownReasons: reasons,
      killLines: w.killLines(),
    };
  });
}

/** 2. An unresponsive caller (two check-ins, goodbye): from the goodbye's end to the room gone from the server. */
async function goodbyeEndToRoomGone(s: Support, calls: number): Promise<RealStackFigures['goodbyeEndToRoomGone']> {
  // The e2e unresponsive-caller test's timings.
  const config = s.quietCallerConfig();
  return withWorker(s, config, async (w) => {
    const gone: number[] = [];
    const listRooms: number[] = [];
    const jobClock: number[] = [];
    await eachCall(s, w, 'bench-goodbye', calls, async (call) => {
      const { room } = call;
      const seen = await sighting(() => recordOf(w, room).find((l) => l.type === 'playoutEnd' && l.prompt === 'goodbye'), 'goodbye playoutEnd', 90_000, RECORD_POLL_MS);
      const end = await sighting(
        async () => {
          const t = performance.now();
          const rooms = await s.roomService().listRooms([room]);
          listRooms.push(performance.now() - t);
          return rooms.length === 0 ? true : undefined;
        },
        `room ${room} gone`,
        30_000,
        API_POLL_MS,
      );
      gone.push(end.at - seen.at);
      const report = await w.waitForRecord(room, (l) => l.type === 'shutdownReport', 'the shutdown report', 30_000);
      if (report.t !== undefined && seen.value.t !== undefined) jobClock.push(round((report.t - seen.value.t) * 1000));
      log(`goodbye end → room gone: ${round(gone.at(-1)!)} ms`);
    });
    return {
      calls,
      ...spread(gone),
      measured: `bench clock: the first read of the record file holding the goodbye's playoutEnd (polled every ${RECORD_POLL_MS} ms) → the first listRooms([room]) that no longer lists it (polled every ${API_POLL_MS} ms between requests)`,
      recordPollMs: RECORD_POLL_MS,
      listRoomsPollMs: API_POLL_MS,
      listRoomsRequestMedianMs: round(median(listRooms), 1),
      jobClockPlayoutEndToReportMs: jobClock,
    };
  });
}

/** sipp's trace timestamp of the 200 OK it sent for the INVITE, as epoch ms (sipp prints local time, µs). */
function sipp200Epoch(trace: string): number | null {
  const m = /-{10,} (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+)\n[^\n]*message sent[^\n]*\n\nSIP\/2\.0 200 OK\r?\n(?:[^\n]+\n)*?CSeq: \d+ INVITE/.exec(trace);
  if (!m) return null;
  // Local time, as sipp wrote it (Date parses a date-time without a zone as local), to the ms; then the µs left.
  const time = m[2]!;
  return new Date(`${m[1]}T${time.slice(0, 12)}`).getTime() + Number(time.slice(12) || 0) / 10 ** (time.length - 12);
}

/** Seconds of quiet after the callee's greeting: longer than AMD's detection budget, so the greeting is heard once. */
const GREETING_QUIET_SECONDS = 40;

type Verdict = { category: string; reason: string | null; speechDurationMs: number | null; delayMs: number | null };

/** 3. A dial answered by a sipp callee (a greeting, then quiet), with AMD on: from the leg going active to AMD's verdict. */
async function answerToAmdVerdict(s: Support, dials: number): Promise<RealStackFigures['answerToAmdVerdict']> {
  const sip = await fetch(`http://127.0.0.1:8090/`, { signal: AbortSignal.timeout(5_000) }).catch((e: Error) => e);
  if (sip instanceof Error) return { absent: `livekit-sip does not answer its health check at 127.0.0.1:8090 (${sip.message})` };
  const trunk = await s.outboundTrunk(CALLEE_PORT, s.STACK.ip);
  return undone(
    () => s.removeTrunks(),
    () => {
      const config = s.e2eConfig(trunk, { dial: { sipTrunkId: trunk, ringingTimeout: 20, allow: ['+1555*'], amd: { enabled: true, models: 'session' } } });
      return withWorker(s, config, async (w): Promise<RealStackFigures['answerToAmdVerdict']> => {
        const ms: number[] = [];
        const verdicts: Verdict[] = [];
        const cross: (number | null)[] = [];
        for (let i = 0; i < dials; i++) {
          if (i) await sleep(BETWEEN_SAMPLES_MS);
          // The speech WAV once (a 3.9 s greeting), then quiet longer than AMD's budget: the greeting is heard once.
          const phone = s.startCallee({ ringMs: 1_000, answer: true }, CALLEE_PORT, { quietSeconds: GREETING_QUIET_SECONDS });
          let call: WebCall | undefined;
          const outcome = await undone(
            async () => {
              phone.stop();
              if (!call) return;
              await s.roomService().deleteRoom(call.room).catch(() => undefined);
              await call.caller.leave().catch(() => undefined);
              await s.exitOf(call.job.pid, 30_000).catch(() => undefined);
            },
            async (): Promise<Absent | null> => {
              call = await dispatchedCall(s, w, 'bench-amd');
              const { room, job } = call;
              await s.dialFromChat(w, call, DIAL_NUMBER);
              // Both sightings in one loop, on one clock: the leg's call status from the server, the record's amd line.
              let activeAt: number | undefined;
              let dialEnd: RecordLine | undefined;
              const amd = await sighting(
                async () => {
                  const rec = recordOf(w, room);
                  const line = rec.find((l) => l.type === 'amd');
                  dialEnd = rec.find((l) => l.type === 'dialEnd');
                  if (activeAt === undefined) {
                    const legs = await s.roomService().listParticipants(room);
                    if (legs.some((p) => p.attributes['sip.callStatus'] === 'active')) activeAt = performance.now();
                  }
                  // The amd line comes before its dialEnd: a dialEnd without one means AMD never decided.
                  return line ?? (dialEnd ? null : undefined);
                },
                'amd record line',
                90_000,
                API_POLL_MS,
              );
              if (amd.value === null) return { absent: `the dial ended (${JSON.stringify(dialEnd)}) with no amd line in the record; worker log: ${w.logFile}` };
              if (activeAt === undefined) return { absent: `the amd line came (${JSON.stringify(amd.value)}) before the bench saw the leg active` };
              ms.push(amd.at - activeAt);
              // The framework's own line for the verdict (job process log): why it decided, and its own speech figures.
              const p = w.lines.find((l) => l.msg === 'amd prediction' && l.pid === job.pid);
              verdicts.push({
                category: String(amd.value.category),
                reason: typeof p?.reason === 'string' ? p.reason : null,
                speechDurationMs: typeof p?.speechDurationMs === 'number' ? p.speechDurationMs : null,
                delayMs: typeof p?.delayMs === 'number' ? p.delayMs : null,
              });
              const sipp = sipp200Epoch(phone.trace());
              cross.push(sipp === null ? null : round(performance.timeOrigin + activeAt - sipp));
              log(`answer → amd verdict: ${round(ms.at(-1)!)} ms (${verdicts.at(-1)!.category}, ${verdicts.at(-1)!.reason})`);
              return null;
            },
          );
          if (outcome) return outcome;
        }
        const classified = verdicts.every((v) => v.reason === 'llm');
        return {
          dials,
          ...spread(ms),
          measured: `bench clock: the first listParticipants showing the leg's sip.callStatus 'active' → the first read of the record holding the amd line (one loop, every ${API_POLL_MS} ms between rounds); callee: sipp answering after 1 s with a 3.9 s greeting, then quiet`,
          pollMs: API_POLL_MS,
          verdicts,
          sipp200ToActiveSeenMs: cross,
          note: classified
            ? 'a classification by the session LLM'
            : `not a classification: with models 'session' AMD asks the session's LLM for a save_prediction tool call; the scripted model (src/models/scriptedLlm.ts, the framework's FakeLLM) answers the transcript with its reply text and no tool call, which amd.ts parses as uncertain ("wait for more"), so only AMD's own fallback (reason above) settles it: the figure is that fallback's timing (dial.amd.detectionTimeout 20 s / noSpeechTimeout 10 s, counted from when AMD starts listening), not a model's`,
        };
      });
    },
  );
}

// /proc readers. CPU times are in clock ticks (USER_HZ); memory in kB.
const CLK_TCK = Number(sh('getconf CLK_TCK')?.trim() || 100);
function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime, stime (fields 14, 15): every thread
  } catch {
    return null;
  }
}
function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
};
/** `root` and every process under it (from each process's ppid in /proc). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      /* gone meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => (out.push(p), (children.get(p) ?? []).forEach(walk));
  walk(root);
  return out;
}
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}

/** The caller's line as in the loopback capacity bench: the sentence, again every LOOP_MS, quiet in between. */
const LOOP_MS = 10_800;

/** CPU (ms) and RSS samples of a group of processes over one window. */
class Watched {
  private readonly cpu0: (number | null)[];
  readonly rss: number[][];
  constructor(readonly pids: number[]) {
    this.cpu0 = pids.map(cpuMs);
    this.rss = pids.map(() => []);
  }
  sample(): void {
    this.pids.forEach((p, i) => {
      const r = rssBytes(p);
      if (r !== null) this.rss[i]!.push(r);
    });
  }
  /** CPU ms each process used since the window started (null: it ended meanwhile). */
  used(): (number | null)[] {
    return this.pids.map((p, i) => {
      const now = cpuMs(p);
      return now === null || this.cpu0[i] === null ? null : now - this.cpu0[i]!;
    });
  }
}
const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const sum = (xs: (number | null)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);

/** 4. N concurrent web calls on one worker: each call's job process, CPU and RSS over a fixed window. */
async function perCall(s: Support, steps: number[], windowMs: number, settleMs: number): Promise<RealStackFigures['perCall']> {
  // The loopback capacity bench's presence timings (bench/capacityCall.ts TIMING): away 1.5 s after both went quiet,
  // check-ins 1.5 s apart; more prompts than fit in one silence, so no call ends in the window.
  const config: AgentConfigInput = {
    presence: { userAwayTimeout: 1.5 },
    checkIn: { mode: 'fixed', interval: 1.5, maxPrompts: 10, messages: ['Are you still there?'] },
  };
  return withWorker(s, config, async (w) => {
    const live: { call: WebCall; stop: () => void }[] = [];
    const rows: PerCallStep[] = [];
    const hangUpAll = async () => {
      for (const { call, stop } of live.splice(0)) {
        stop();
        await s.roomService().deleteRoom(call.room).catch(() => undefined);
        await call.caller.leave().catch(() => undefined);
      }
    };
    await undone(hangUpAll, async () => {
      for (const n of steps) {
        while (live.length < n) {
          const call = await dispatchedCall(s, w, 'bench-percall');
          const joined = performance.now();
          let open = true;
          // Speaks again every LOOP_MS from its join (the first sentence is the join's own).
          void (async () => {
            for (let k = 1; open; k++) {
              await sleep(Math.max(0, joined + k * LOOP_MS - performance.now()));
              if (open) await call.caller.speak();
            }
          })();
          live.push({ call, stop: () => void (open = false) });
        }
        await Promise.all(live.map(({ call }) => w.waitForRecord(call.room, (l) => l.type === 'userState' && l.state === 'speaking', 'the caller speaking (VAD)', 30_000)));
        await sleep(settleMs);
        const jobPids = live.map(({ call }) => call.job.pid);
        const rest = processTree(w.pid).filter((p) => !jobPids.includes(p));
        const inference = rest.filter((p) => cmdline(p).includes('inference_proc'));
        const idle = rest.filter((p) => cmdline(p).includes('job_proc'));
        const main = rest.filter((p) => !inference.includes(p) && !idle.includes(p));
        const groups = { jobs: new Watched(jobPids), main: new Watched(main), inference: new Watched(inference), idle: new Watched(idle) };
        const checkInsBefore = live.map(({ call }) => recordOf(w, call.room).filter((l) => l.type === 'checkIn').length);
        const m0 = machineJiffies();
        const t0 = performance.now();
        while (performance.now() - t0 < windowMs) {
          for (const g of Object.values(groups)) g.sample();
          await sleep(Math.min(1_000, Math.max(0, windowMs - (performance.now() - t0))));
        }
        const used = { jobs: groups.jobs.used(), main: groups.main.used(), inference: groups.inference.used(), idle: groups.idle.used() };
        const m1 = machineJiffies();
        const wallMs = performance.now() - t0;
        if (used.jobs.some((c) => c === null)) throw new Error(`a call's job process ended during the window (${JSON.stringify(jobPids)})`);
        const coresPerCall = sum(used.jobs) / jobPids.length / wallMs;
        const checkIns = live.reduce((a, { call }, i) => a + recordOf(w, call.room).filter((l) => l.type === 'checkIn').length - checkInsBefore[i]!, 0);
        const groupRssMB = (g: Watched) => round(g.rss.reduce((a, xs) => a + avg(xs), 0) / MB, 1);
        const row: PerCallStep = {
          calls: n,
          windowSeconds: round(wallMs / 1000, 1),
          coresPerCall: round(coresPerCall, 3),
          cpuSecondsPerCallMinute: round(coresPerCall * 60, 2),
          rssMBPerCall: round(avg(groups.jobs.rss.map(avg)) / MB, 1),
          rssMaxMB: round(Math.max(...groups.jobs.rss.flat()) / MB, 1),
          worker: {
            mainCores: round(sum(used.main) / wallMs, 3),
            inferenceCores: round(sum(used.inference) / wallMs, 3),
            idleJobsCores: round(sum(used.idle) / wallMs, 3),
            mainRssMB: groupRssMB(groups.main),
            inferenceRssMB: groupRssMB(groups.inference),
            idleJobs: idle.length,
          },
          machineCoresBusy: round(((m1.busy - m0.busy) / (m1.total - m0.total)) * cpus().length, 2),
          checkInsInWindow: checkIns,
        };
        rows.push(row);
        log(`${n} call(s): ${row.coresPerCall} cores and ${row.rssMBPerCall} MB RSS per call, inference process ${row.worker.inferenceCores} cores (window ${row.windowSeconds} s, machine ${row.machineCoresBusy} cores busy, ${checkIns} check-ins)`);
      }
    });
    return {
      measured: `each call's job process (the worker's "job started" pid): utime + stime from /proc/<pid>/stat (all threads, ${CLK_TCK} Hz ticks) over the window, VmRSS from /proc/<pid>/status every 1 s; the callers (rtc-node in the bench process) are not counted`,
      call: `a web caller over WebRTC: the committed speech WAV (4.3 s), again every ${LOOP_MS / 1000} s, silence frames between; the agent's reply and check-ins as tones (scripted models, real Silero VAD, the framework's end-of-turn model in the worker's inference process); presence timings of the loopback bench (away 1.5 s, check-ins 1.5 s apart); calls added between windows, ${settleMs / 1000} s settle before each`,
      steps: rows,
      loopback: { absent: 'filled in by withLoopback' },
      ratios: [],
    };
  });
}

const PARTS = ['delete', 'goodbye', 'amd', 'percall'] as const;
type Part = (typeof PARTS)[number];

async function measureAll(quick: boolean, only: Part[] = [...PARTS]): Promise<RealStackSection> {
  const why = await unavailable();
  if (why) return { absent: why };
  const started = performance.now();
  const loadavgBefore = loadavg().map((x) => round(x, 2));
  // rtc-node (the callers) logs at debug level to stdout unless NODE_ENV is production (its log.ts), as the e2e
  // config sets it; set before the support below loads it.
  process.env.NODE_ENV = 'production';
  // The worker runs the production build: built from the sources as `npm run build` (and the e2e suite) does. The
  // build is staged and swapped in whole, so a worker already running from dist/ never sees it half written.
  const { build, PRODUCTION_SOURCES } = await import('../scripts/build.js');
  await build(join(ROOT, 'dist'), PRODUCTION_SOURCES);
  const s = await support();
  const attempt = async <T>(part: Part, what: string, fn: () => Promise<T | Absent>): Promise<T | Absent> => {
    if (!only.includes(part)) return { absent: `not run (--only ${only.join(',')})` };
    log(`${what}...`);
    try {
      return await fn();
    } catch (e) {
      log(`${what} failed: ${(e as Error).message}`);
      return { absent: `${what} failed: ${(e as Error).message.split('\n')[0]}` };
    } finally {
      await cleanUp();
    }
  };
  const deleteRoom = await attempt('delete', 'deleteRoom → job exit', () => deleteRoomToExit(s, quick ? 3 : 5));
  const goodbye = await attempt('goodbye', 'goodbye end → room gone', () => goodbyeEndToRoomGone(s, quick ? 2 : 4));
  const amd = await attempt('amd', 'answer → AMD verdict', () => answerToAmdVerdict(s, quick ? 1 : 3));
  const windowMs = quick ? 15_000 : 60_000;
  const perCallFigures = await attempt('percall', 'per-call CPU and memory', () => perCall(s, [1, 3], windowMs, quick ? 5_000 : 10_000));
  // The module versions built into the binaries (as scripts/livekit-stack.sh checks them): livekit-sip's own
  // --version says 0.0.0-dev when built from a tools module.
  const built = (bin: string, mod: string) =>
    sh(`go version -m "$(command -v ${bin})" 2>/dev/null | awk '($1 == "mod" || $1 == "dep") && $2 == "${mod}" { print $3; exit }'`)?.trim() || 'unknown';
  const section: RealStackFigures = {
    stack: {
      server: `livekit-server ${built('livekit-server', 'github.com/livekit/livekit-server')}`,
      sip: `livekit-sip ${built('livekit-sip', 'github.com/livekit/sip')}`,
      note: "production worker (dist/, scripted models, real Silero VAD) in its own network namespace; callers and phones in the stack's; one shared machine",
    },
    deleteRoomToExit: deleteRoom,
    goodbyeEndToRoomGone: goodbye,
    answerToAmdVerdict: amd,
    perCall: perCallFigures,
    dispatch,
    meta: { quick, wallSeconds: round((performance.now() - started) / 1000, 1), loadavgBefore, loadavgAfter: loadavg().map((x) => round(x, 2)), cpus: cpus().length },
  };
  return withLoopback(section, fromResultsFile());
}

// Run as a script (import.meta.url is the real path; argv[1] may go through a symlink).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, only: { type: 'string' } } });
  // --only amd,percall: some parts alone, to look at one figure without waiting for the others.
  const only = values.only?.split(',').filter((p): p is Part => (PARTS as readonly string[]).includes(p));
  // A timeout's SIGTERM (realStackBench) still stops the worker and the phones and removes the trunk.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void cleanUp().finally(() => process.exit(1)));
  const result = await measureAll(values.quick, only).catch((e: Error): Absent => ({ absent: `failed: ${e.message.split('\n')[0]}` }));
  await cleanUp();
  if (values.json) process.stdout.write(`${JSON.stringify({ realStack: result })}\n`);
  else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0); // rtc-node's native handles and Silero keep the loop alive
}
