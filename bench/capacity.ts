/**
 * The capacity section of `npm run bench`: what one worker holds, and what this agent costs on top of the bare
 * framework. Every call runs in its own process (the layout the framework uses: one job process per call, each
 * loading Silero in its prewarm), hosted by `bench/capacityHost.ts` under `node --import tsx` (the Dockerfile now runs the build)
 * job processes, with real speech through the real Silero VAD and scripted STT / LLM / TTS (`bench/capacityCall.ts`).
 *
 * 1. Overhead: K calls of ours, K of the bare framework with the idle-user example's pattern, K processes running only
 *    the caller's audio through Silero (`vad`), K only reading the audio (`feed`), all side by side in one window, so
 *    the machine's noise hits them alike. CPU per process from /proc/<pid>/stat (utime + stime, every thread);
 *    memory per call as the RSS and heap (after GC) of its process minus the same process before the call started.
 * 2. Calls per worker: ours only, more processes at each step (started between windows, so their start-up is not
 *    measured), until a window breaks: check-in timing error p99 > 50 ms, or a check-in missed or doubled.
 * 3. The framework's load as its worker would read it in each window (its cgroup / host CPU monitor, the same formula
 *    as `@livekit/agents` cpu.ts), against `loadThreshold` (0.7 in production).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Side } from './capacityCall.js';
import { TIMING } from './capacityCall.js';
import type { HostMemory, HostRequest, WindowReport } from './capacityHost.js';

const HOST = join(import.meta.dirname, 'capacityHost.ts');
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const MB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The acceptance line for a step: check-in timing error p99 at most this, and no check-in missed or doubled. */
export const P99_LIMIT_MS = 50;
/** The framework's production default (`@livekit/agents` worker.ts, Default.loadThreshold). */
const LOAD_THRESHOLD = 0.7;

/** One benchmark process (one call, as a job process). */
class Host {
  private readonly child: ChildProcess;
  private stderr = '';
  readonly exited: Promise<number | null>;
  ready!: HostMemory;
  constructor(public side: Side) {
    this.child = fork(HOST, [], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.exited = new Promise((r) => this.child.on('exit', r));
    this.child.on('error', () => {}); // a send to a process that died: its request rejects through `exited`
  }
  get pid(): number {
    return this.child.pid!;
  }
  request<T>(msg: HostRequest | null, reply: string, timeoutMs = 60_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.side} host ${this.pid}: no ${reply} within ${timeoutMs} ms\n${this.stderr}`)), timeoutMs);
      const onMessage = (m: { type: string }) => {
        if (m.type !== reply) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(m as T);
      };
      this.child.on('message', onMessage);
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.side} host ${this.pid} exited (${code}) waiting for ${reply}\n${this.stderr}`));
      });
      if (msg) this.child.send(msg);
    });
  }
  async boot(): Promise<this> {
    // Importing @livekit/agents alone takes about 3 CPU-seconds: a busy shared machine can take a while.
    await this.request(null, 'booted', 180_000);
    this.ready = (await this.request<{ memory: HostMemory }>({ type: 'init', side: this.side }, 'ready', 60_000)).memory;
    return this;
  }
  /** CPU milliseconds this process used so far (all threads), from /proc. */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime (fields 14, 15) in 100 Hz ticks
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.send({ type: 'stop' } satisfies HostRequest);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat), for what else ran during a window. */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}

/**
 * What the framework's worker would read as its load here: its cpu monitor (cpu.ts) picks cgroup v2, then cgroup v1,
 * then the host's CPU times; usage over the interval divided by interval × CPU count (cgroup quota; cgroup v1 with
 * no quota counts 2 CPUs). On a shared machine this includes everything else running in the same cgroup.
 */
function frameworkCpuReader(): { name: string; read: () => number; cpus: number } {
  const int = (p: string) => Number.parseInt(readFileSync(p, 'utf8').trim(), 10);
  if (existsSync('/sys/fs/cgroup/cpu.stat')) {
    const [quota, period] = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    const n = quota === 'max' ? cpus().length : Number(quota) / Number(period ?? 100_000);
    const usec = () => Number(/^usage_usec (\d+)/m.exec(readFileSync('/sys/fs/cgroup/cpu.stat', 'utf8'))![1]);
    return { name: 'cgroup v2 cpu.stat', read: () => usec() / 1e6, cpus: n };
  }
  if (existsSync('/sys/fs/cgroup/cpuacct/cpuacct.usage')) {
    const quota = existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ? int('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') : -1;
    const period = existsSync('/sys/fs/cgroup/cpu/cpu.cfs_period_us') ? int('/sys/fs/cgroup/cpu/cpu.cfs_period_us') : 100_000;
    return { name: 'cgroup v1 cpuacct.usage', read: () => int('/sys/fs/cgroup/cpuacct/cpuacct.usage') / 1e9, cpus: quota > 0 ? quota / period : 2 };
  }
  return { name: 'host /proc/stat', read: () => machineJiffies().busy / 100, cpus: cpus().length };
}

function quantile(xs: number[], p: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return round(s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!);
}

interface Measured {
  host: Host;
  cpuMs: number;
  /** Heap and RSS after GC as the window started (when asked for). */
  start: HostMemory | null;
  report: WindowReport;
}

/** One measurement window over `hosts`: marks them, waits, collects their reports and CPU. */
async function measure(hosts: Host[], ms: number, memory = false) {
  const fw = frameworkCpuReader();
  const marks = await Promise.all(hosts.map((h) => h.request<{ memory: HostMemory | null }>({ type: 'mark', memory }, 'marked')));
  const cpu0 = hosts.map((h) => h.cpuMs());
  const m0 = machineJiffies();
  const fw0 = fw.read();
  const t0 = performance.now();
  await sleep(ms);
  const cpu1 = hosts.map((h) => h.cpuMs());
  const m1 = machineJiffies();
  const fw1 = fw.read();
  const wallMs = performance.now() - t0;
  const reports = await Promise.all(hosts.map((h) => h.request<{ report: WindowReport }>({ type: 'report' }, 'report')));
  const per: Measured[] = hosts.map((host, i) => ({ host, cpuMs: cpu1[i]! - cpu0[i]!, start: marks[i]!.memory, report: reports[i]!.report }));
  const machineCores = ((m1.busy - m0.busy) / (m1.total - m0.total)) * cpus().length;
  const oursCores = per.reduce((a, p) => a + p.cpuMs, 0) / wallMs;
  return {
    wallMs,
    per,
    /** Cores busy on the whole machine, ours included. */
    machineCores: round(machineCores),
    /** Cores busy with everything that is not a benchmark call (other work on the machine, the bench's parent). */
    otherCores: round(Math.max(0, machineCores - oursCores)),
    frameworkLoad: round(Math.min(1, Math.max(0, (fw1 - fw0) / ((wallMs / 1000) * fw.cpus)))),
    frameworkMonitor: fw.name,
  };
}

/** Boots run a few at a time (twice the cores): all at once, each one takes as long as the whole batch. */
let bootsRunning = 0;
const bootWaiting: (() => void)[] = [];
async function bootSlot<T>(fn: () => Promise<T>): Promise<T> {
  // A slot is handed from a finishing boot to the next waiting one directly.
  if (bootsRunning >= 2 * cpus().length) await new Promise<void>((r) => bootWaiting.push(r));
  else bootsRunning++;
  try {
    return await fn();
  } finally {
    const next = bootWaiting.shift();
    if (next) next();
    else bootsRunning--;
  }
}

/** `count` processes for one side: idle ones first, then new ones. Start-up happens here, outside every window. */
async function bootHosts(side: Side, count: number, idle: Host[], all: Host[]): Promise<Host[]> {
  const reused = idle.splice(0, count);
  const booted = await Promise.all(
    Array.from({ length: count - reused.length }, () =>
      bootSlot(() => {
        const h = new Host(side);
        all.push(h);
        return h.boot();
      }),
    ),
  );
  return [...reused, ...booted];
}

/**
 * One call in each of `hosts`, all started at once. The i-th call of a side starts its caller's loop at phase
 * i × 0.618 (mod 1): however many are added, they stay spread over the loop instead of speaking in step.
 */
async function addCalls(side: Side, hosts: Host[], first: number): Promise<Host[]> {
  await Promise.all(
    hosts.map(async (h, i) => {
      if (h.side !== side) await h.request({ type: 'drop', side }, 'dropped');
      h.side = side;
      await h.request({ type: 'add', count: 1, phase: ((first + i) * 0.6180339887) % 1 }, 'added');
    }),
  );
  return hosts;
}

function sideFigures(per: Measured[], wallMs: number) {
  const calls = per.reduce((a, p) => a + p.report.calls, 0);
  const cpuSeconds = per.reduce((a, p) => a + p.cpuMs, 0) / 1000;
  const callMinutes = (calls * wallMs) / 60_000;
  const avg = (f: (p: Measured) => number) => per.reduce((a, p) => a + f(p), 0) / per.length;
  const samples = per.flatMap((p) => p.report.samples.map((s) => s.errMs));
  return {
    processes: per.length,
    calls,
    cpuSecondsPerCallMinute: round(cpuSeconds / callMinutes, 3),
    /** The whole job process, warm (Silero loaded) with its call running. */
    rssMBPerProcess: round(avg((p) => p.report.memory.rssBytes) / MB, 1),
    rssDeltaMBPerCall: round(avg((p) => p.report.memory.rssBytes - p.host.ready.rssBytes) / MB, 2),
    /** V8 heap a call holds as the window starts (after GC; its process before the call as reference). */
    heapDeltaMBPerCallAtStart: round(avg((p) => (p.start ? p.start.heapUsedBytes - p.host.ready.heapUsedBytes : NaN)) / MB, 2),
    heapDeltaMBPerCall: round(avg((p) => p.report.memory.heapUsedBytes - p.host.ready.heapUsedBytes) / MB, 2),
    externalDeltaMBPerCall: round(avg((p) => p.report.memory.externalBytes - p.host.ready.externalBytes) / MB, 2),
    /** How old the calls were when their memory was read: the deltas above grow with it (see heapGrowth). */
    callAgeSeconds: round(avg((p) => p.report.callAgeSeconds), 1),
    /** Heap + external growth per call-minute over the window, after GC at both ends. */
    heapGrowthMBPerCallMinute: round(
      avg((p) => (p.start ? p.report.memory.heapUsedBytes + p.report.memory.externalBytes - p.start.heapUsedBytes - p.start.externalBytes : NaN)) / MB / (wallMs / 60_000),
      2,
    ),
    checkIns: per.reduce((a, p) => a + p.report.checkIns, 0),
    missed: per.reduce((a, p) => a + p.report.missed, 0),
    doubled: per.reduce((a, p) => a + p.report.doubled, 0),
    timerP99Ms: quantile(samples.map(Math.abs), 0.99),
  };
}

export interface CapacityOptions {
  quick: boolean;
  /** From coldStartBench (job process fork → prewarm done, production command): reused, not measured twice. */
  coldStart: { coldStartMs: number; samples: number[] };
}

export async function capacityBench(o: CapacityOptions) {
  const started = performance.now();
  // K calls of ours and of the bare framework; the `vad` and `feed` processes (one call each) only give CPU.
  const K = o.quick ? 2 : 4;
  const perSide: Record<Side, number> = { ours: K, bare: K, vad: o.quick ? 1 : K, feed: o.quick ? 1 : K };
  const overheadMs = o.quick ? 6_000 : 45_000;
  /** --quick keeps the section under a minute: a step that would end past this is not started (said in the results). */
  const budgetMs = o.quick ? 57_000 : Infinity;
  /** From the calls' start to the overhead window (start-up work of a fresh session settles). */
  const settleMs = o.quick ? 2_000 : 8_000;
  const stepMs = o.quick ? 6_000 : 60_000;
  const steps = o.quick ? [K, 4, 6] : [K, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32];
  const loadBefore = loadavg().map((x) => round(x));
  const log = (msg: string) => console.log(`capacity (${round((performance.now() - started) / 1000, 1)} s): ${msg}`);
  const all: Host[] = [];
  const idle: Host[] = [];
  const live: Host[] = [];
  try {
    // 1. Overhead, side by side.
    const sides: Side[] = ['ours', 'bare', 'vad', 'feed'];
    // Every process first, then every call at once: the sides' calls are the same age when their memory is read.
    const groups = await Promise.all(sides.map((s) => bootHosts(s, perSide[s], idle, all)));
    await Promise.all(sides.map((s, i) => addCalls(s, groups[i]!, 0)));
    await sleep(settleMs);
    const w = await measure(groups.flat(), overheadMs, true);
    const bySide = Object.fromEntries(sides.map((s) => [s, sideFigures(w.per.filter((p) => p.host.side === s), w.wallMs)])) as Record<Side, ReturnType<typeof sideFigures>>;
    // The other sides' processes end their calls and stay warm for the next steps (as the framework's idle pool).
    idle.push(...groups.slice(1).flat());
    await Promise.all(idle.map(async (h) => (await h.request({ type: 'drop', side: 'ours' }, 'dropped'), (h.side = 'ours'))));
    log(`overhead: ${K} calls of ours and of bare, ${round(w.wallMs / 1000, 1)} s window, machine ${w.machineCores} cores busy (${w.otherCores} not ours)`);
    live.push(...groups[0]!);

    const ours = bySide.ours;
    const bare = bySide.bare;
    const vadInference = Math.max(0, bySide.vad.cpuSecondsPerCallMinute - bySide.feed.cpuSecondsPerCallMinute);
    const overhead = {
      calls: perSide,
      windowSeconds: round(w.wallMs / 1000, 1),
      machineCoresBusy: w.machineCores,
      otherCoresBusy: w.otherCores,
      ours,
      bare,
      /** The caller's audio through Silero only (no AgentSession), one stream per process. */
      vadOnly: bySide.vad,
      /** The caller's audio read and dropped: the process itself plus feeding audio. */
      feedOnly: bySide.feed,
    };

    // 2. Calls per worker: ours, one process per call, more at each step.
    const rows = [];
    let maxCalls = 0;
    let p99AtMaxMs: number | null = null;
    let brokeAt: { calls: number; why: string } | null = null;
    let skippedSteps: number[] = [];
    for (const [i, n] of steps.entries()) {
      if (performance.now() - started + stepMs + 1_500 > budgetMs) {
        skippedSteps = steps.slice(i);
        log(`steps ${skippedSteps.join(', ')} skipped: --quick stays under ${budgetMs / 1000} s`);
        break;
      }
      if (live.length < n) {
        live.push(...(await addCalls('ours', await bootHosts('ours', n - live.length, idle, all), live.length)));
      }
      await sleep(1_000);
      const m = await measure(live, stepMs);
      const errs = m.per.flatMap((p) => p.report.samples.map((s) => s.errMs));
      const abs = errs.map(Math.abs);
      const lag = m.per.flatMap((p) => p.report.vadLagMs);
      const missed = m.per.reduce((a, p) => a + p.report.missed, 0);
      const doubled = m.per.reduce((a, p) => a + p.report.doubled, 0);
      const callsCores = m.per.reduce((a, p) => a + p.cpuMs, 0) / m.wallMs;
      const p99 = quantile(abs, 0.99);
      const why = !abs.length ? 'no check-in measured' : p99! > P99_LIMIT_MS ? `p99 ${p99} ms > ${P99_LIMIT_MS} ms` : missed ? `${missed} missed` : doubled ? `${doubled} doubled` : null;
      rows.push({
        calls: n,
        samples: abs.length,
        p50Ms: quantile(abs, 0.5),
        p99Ms: p99,
        maxMs: abs.length ? round(Math.max(...abs)) : null,
        missed,
        doubled,
        vadLagP50Ms: quantile(lag, 0.5),
        vadLagP99Ms: quantile(lag, 0.99),
        /** Worst process: event-loop delay p99, and its longest garbage collection pause. */
        eventLoopDelayP99Ms: round(Math.max(...m.per.map((p) => p.report.eventLoopDelayP99Ms))),
        gcPauseMaxMs: round(Math.max(...m.per.map((p) => p.report.gcMaxMs))),
        /** Check-ins later than the limit (the p99 with fewer than 100 samples is the worst one). */
        over50Ms: abs.filter((x) => x > P99_LIMIT_MS).length,
        /** Cores used by the calls' processes; per call; and the whole machine (others included). */
        callsCores: round(callsCores),
        coresPerCall: round(callsCores / n, 3),
        machineCores: m.machineCores,
        otherCores: m.otherCores,
        frameworkLoad: m.frameworkLoad,
        ok: why === null,
      });
      log(`${n} calls, p99 ${p99} ms over ${abs.length} check-ins, ${missed} missed, ${doubled} doubled, calls ${round(callsCores)} cores, machine ${m.machineCores} cores, framework load ${m.frameworkLoad}`);
      if (why) {
        brokeAt = { calls: n, why };
        break;
      }
      maxCalls = n;
      p99AtMaxMs = p99;
    }

    // 3. loadThreshold: the framework marks the worker full once its load reading reaches 0.7, and offers it no job.
    const monitorCpus = frameworkCpuReader().cpus;
    const coresPerCall = ours.cpuSecondsPerCallMinute / 60;
    // Where the measured readings cross the threshold (linear between steps; this machine, its other work included).
    let callsAtThreshold: number | null = null;
    for (let i = 0; i < rows.length && callsAtThreshold === null; i++) {
      const r = rows[i]!;
      const before = rows[i - 1];
      if (r.frameworkLoad < LOAD_THRESHOLD) continue;
      callsAtThreshold = before ? round(before.calls + ((LOAD_THRESHOLD - before.frameworkLoad) / (r.frameworkLoad - before.frameworkLoad)) * (r.calls - before.calls), 1) : r.calls;
    }
    const passing = rows.filter((r) => r.ok);
    const failing = rows.find((r) => !r.ok) ?? null;
    const highestPassingLoad = passing.length ? Math.max(...passing.map((r) => r.frameworkLoad)) : null;
    const loadThreshold = {
      production: LOAD_THRESHOLD,
      monitor: w.frameworkMonitor,
      monitorCpus,
      /** The framework's load reading at maxCalls (this machine, others' work included). */
      loadAtMaxCalls: passing.at(-1)?.frameworkLoad ?? null,
      /** Calls at which the readings measured here reach 0.7: past it the worker is marked full (null: never). */
      callsAtThreshold,
      refusesBeforeMaxCalls: callsAtThreshold !== null && callsAtThreshold < maxCalls,
      /** Calls at which our calls alone would reach 0.7 on an otherwise idle worker (measured CPU per call). */
      callsAtThresholdCallsOnly: round((LOAD_THRESHOLD * monitorCpus) / coresPerCall, 1),
      /** The highest load reading of a passing step, and the reading of the first failing one. */
      highestPassingLoad,
      failingLoad: failing?.frameworkLoad ?? null,
      /**
       * The highest reading at which timing was shown to hold in this run, rounded down to 0.05 (null when nothing
       * broke): a loadThreshold at or below it is backed by this run. The README weighs it across runs.
       */
      demonstratedThreshold: failing && highestPassingLoad !== null ? Math.floor(highestPassingLoad * 20 + 1e-9) / 20 : null,
    };

    return {
      layout: 'one process per call (as the framework runs job processes), each loading Silero once, under node --import tsx',
      call: {
        audio: `test/fixtures/speech-16k.wav (real speech, 3.9 s) looped with silence every ${TIMING.loopSeconds} s, 10 ms frames in real time`,
        vad: 'Silero (@livekit/agents-plugin-silero, VAD.load() defaults)',
        models: 'FakeSTT (a final transcript as the speech ends), ScriptedLLM (100 ms to first token), PacedTTS (4 words/s), RealtimeAudioOutput',
        userAwayTimeout: TIMING.userAwayTimeout,
        checkInInterval: TIMING.checkInInterval,
        checkInsPerSilence: 2,
      },
      cpuRatio: round(ours.cpuSecondsPerCallMinute / bare.cpuSecondsPerCallMinute),
      /**
       * V8 heap a call holds (after GC, its process before and during the call), ours / bare, read as the overhead
       * window starts: later the framework's per-call growth (heapGrowthMBPerCallMinute, the same on both sides)
       * swamps what the agent itself holds. memRatioAtEnd: the same at the end of the window.
       */
      memRatio: round(ours.heapDeltaMBPerCallAtStart / bare.heapDeltaMBPerCallAtStart),
      memRatioAtEnd: round(ours.heapDeltaMBPerCall / bare.heapDeltaMBPerCall),
      /** The same from RSS deltas: noisier (the allocator keeps and returns pages on its own schedule). */
      rssDeltaRatio: round(ours.rssDeltaMBPerCall / bare.rssDeltaMBPerCall),
      /** A whole job process with its call, ours / bare: what a deployment provisions per call. */
      processRssRatio: round(ours.rssMBPerProcess / bare.rssMBPerProcess),
      maxCalls,
      p99AtMaxMs,
      p99LimitMs: P99_LIMIT_MS,
      brokeAt,
      /** Nothing broke within the steps run (the --quick range is short): maxCalls is then only a lower bound. */
      maxCallsIsLowerBound: brokeAt === null,
      skippedSteps,
      coldStartMs: o.coldStart.coldStartMs,
      coldStartSamples: o.coldStart.samples.length,
      vadShare: {
        /** Silero per call-minute: the `vad` processes minus the `feed` processes (same audio, no VAD). */
        vadCpuSecondsPerCallMinute: round(vadInference, 3),
        /** Of one call of ours: Silero, and everything else (process, audio, session, machine, bridge, record). */
        ofOurCall: round(vadInference / ours.cpuSecondsPerCallMinute),
        restOfOurCall: round(1 - vadInference / ours.cpuSecondsPerCallMinute),
        /** Everything else, split: the process itself with the audio fed to it (`feed`), the AgentSession and the
         * scripted models (bare − vad), and what this agent adds (ours − bare); noisy, can be slightly negative. */
        processAndAudioOfOurCall: round(bySide.feed.cpuSecondsPerCallMinute / ours.cpuSecondsPerCallMinute),
        sessionOfOurCall: round((bare.cpuSecondsPerCallMinute - bySide.vad.cpuSecondsPerCallMinute) / ours.cpuSecondsPerCallMinute),
        agentOfOurCall: round((ours.cpuSecondsPerCallMinute - bare.cpuSecondsPerCallMinute) / ours.cpuSecondsPerCallMinute),
      },
      overhead,
      steps: rows,
      stepSeconds: stepMs / 1000,
      loadThreshold,
      machine: { cpus: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadavg().map((x) => round(x)) },
      wallSeconds: round((performance.now() - started) / 1000, 1),
    };
  } finally {
    await Promise.all(all.map((h) => h.stop()));
  }
}
