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
 * The share of a core this process gets when it has work: CPU time over wall time while spinning. 1 on a machine with
 * a core to spare; about 0.5 when two CPU hogs share two cores with it. (A sleeping process's timers still fire on
 * time on such a machine; what shrinks is how much work it gets done.)
 *
 * A window is the median of five 50 ms spins 100 ms apart; the result is the best of up to three windows (about 2 s
 * at most, less once a window finds most of a core). A burst that passes (the test runner transforming files, test
 * workers importing their modules, a child process starting) spoils a window, not all three; a hog that stays keeps
 * every window low.
 */
export async function cpuShare({ windows = 3, samples = 5, spinMs = 50, gapMs = 100 } = {}): Promise<number> {
  const spin = () => {
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    while (performance.now() - wall0 < spinMs);
    const cpu = process.cpuUsage(cpu0);
    return Math.min(1, (cpu.user + cpu.system) / 1000 / (performance.now() - wall0));
  };
  const pause = () => new Promise((r) => setTimeout(r, gapMs));
  let best = 0;
  for (let w = 0; w < windows && best < 0.9; w++) {
    const shares: number[] = [];
    for (let i = 0; i < samples; i++) {
      await pause();
      shares.push(spin());
    }
    best = Math.max(best, shares.sort((x, y) => x - y)[Math.floor(samples / 2)]!);
  }
  return best;
}

/**
 * The time scale agent mode should run at here and now: `base` when this process gets a whole core, slower (up to
 * real time) when it gets less. A session's reply is a chain of work that contends with every other session in the
 * process; on a busy machine the chain takes longer in real time, and a scaled clock multiplies that into simulated
 * seconds (a 0.6 s real delay is 3 s simulated at scale 0.2), enough to reorder a scenario's steps around the
 * machine's deadlines. Slowing the clock by the square of the measured slowdown keeps that drift near the idle one.
 */
export async function timeScaleFor(base: number): Promise<{ scale: number; cpuShare: number }> {
  const share = await cpuShare();
  return { scale: Math.min(1, base / (share * share)), cpuShare: share };
}
