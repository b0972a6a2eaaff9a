/**
 * How long this process's event loop was kept from running timers on time: the scheduling delay a busy machine (or
 * many sessions sharing one process) adds to agent mode's real clock. Agent mode stamps its timeline on that real
 * clock, so its agreement with model mode and its timing invariants allow exactly what was measured here, never a
 * guess that only holds on an idle machine.
 *
 * One probe timer per process (shared by concurrent runs): every INTERVAL_MS it notes how late it fired. Lateness up
 * to TIMER_GRANULARITY_MS is the timer's own granularity, not a stall, and is not counted; Node's
 * `monitorEventLoopDelay` would count it on every tick and, summed over a run, drift by percents.
 */
const INTERVAL_MS = 10;
const TIMER_GRANULARITY_MS = 2;

interface Watcher {
  /** Stalled milliseconds since this watcher started. */
  stalledMs: number;
  /** The longest single stall since this watcher started. */
  maxStallMs: number;
}

const watchers = new Set<Watcher>();
let timer: NodeJS.Timeout | null = null;
let last = 0;

function tick(): void {
  const now = performance.now();
  const late = now - last - INTERVAL_MS;
  last = now;
  if (late <= TIMER_GRANULARITY_MS) return;
  for (const w of watchers) {
    w.stalledMs += late;
    w.maxStallMs = Math.max(w.maxStallMs, late);
  }
}

export interface StallWatch {
  /** Milliseconds the event loop stalled since `watchStalls()`, up to the last probe tick. */
  readonly stalledMs: number;
  readonly maxStallMs: number;
  stop(): void;
}

export function watchStalls(): StallWatch {
  const w: Watcher = { stalledMs: 0, maxStallMs: 0 };
  watchers.add(w);
  if (!timer) {
    last = performance.now();
    timer = setInterval(tick, INTERVAL_MS);
    timer.unref();
  }
  return {
    get stalledMs() {
      return w.stalledMs;
    },
    get maxStallMs() {
      return w.maxStallMs;
    },
    stop() {
      if (!watchers.delete(w) || watchers.size > 0 || !timer) return;
      clearInterval(timer);
      timer = null;
    },
  };
}

/**
 * The share of a core this process gets when it has work: CPU time over wall time while spinning for `ms`, the
 * median of three samples. 1 on a machine with a core to spare; about 0.5 when two CPU hogs share two cores with it.
 * (A sleeping process's timers still fire on time on such a machine; what shrinks is how much work it gets done.)
 */
export function cpuShare(ms = 60): number {
  const sample = () => {
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    while (performance.now() - wall0 < ms);
    const cpu = process.cpuUsage(cpu0);
    return Math.min(1, (cpu.user + cpu.system) / 1000 / (performance.now() - wall0));
  };
  const shares = [sample(), sample(), sample()].sort((x, y) => x - y);
  return shares[1]!;
}

/**
 * The time scale agent mode should run at here and now: `base` when this process gets a whole core, slower (up to
 * real time) when it gets less. A session's reply is a chain of work that contends with every other session in the
 * process; on a busy machine the chain takes longer in real time, and a scaled clock multiplies that into simulated
 * seconds (a 0.6 s real delay is 3 s simulated at scale 0.2), enough to reorder a scenario's steps around the
 * machine's deadlines. Slowing the clock by the square of the measured slowdown keeps that drift near the idle one.
 */
export function timeScaleFor(base: number): { scale: number; cpuShare: number } {
  const share = cpuShare();
  return { scale: Math.min(1, base / (share * share)), cpuShare: share };
}
