/**
 * The order test files start in. vitest's own orders by the durations it cached on the last run, and a fresh clone
 * (CI) has none: it then starts the largest files first, which put the files that hold a worker longest (real worker
 * processes, real-time agent-mode runs, the 10,000-call property) last, each starting when the other worker had
 * nothing left to overlap it with. Here those start first (see LONG_FILES); the rest follow in vitest's order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that hold a worker for seconds (measured on an idle 2-core machine, four vitest workers), in the order
 * they start. The agent-mode files (scaled real clocks) choose their time scale from the share of a core they
 * measure in their first second or two (schedulingProbe.ts): beside the property test or the graph (a core and more
 * each, with their garbage collector) or files that fork child processes (real workers, commands) they would measure
 * a fraction of a core and slow themselves down towards real time (measured: 0.40 of a core, scale 1, the file 113 s
 * instead of 29 s); and started beside them at the idle scale, their first seconds reorder steps. So they start
 * first, beside files that also wait. After them the longest (the two real-worker files), then CPU-heavy files and
 * files that mostly wait on real timers in turn (four workers on two cores: the waiting ones' share of the cores
 * goes to the others), the ones that wait longest before the end, so the last seconds are short files.
 */
export const LONG_FILES = [
  'agent-mode.test.ts', // ~22 s, mostly waiting on scaled real timers
  'faults.test.ts', // ~10 s: agent mode on real timers
  'voicemail.test.ts', // ~8 s: AMD on real timers
  'room-wiring.test.ts', // ~8 s: real sessions on real timers
  'worker.test.ts', // ~20 s alone, ~40 s in the suite: a real worker and its job processes
  'worker-operator.test.ts', // ~15 s alone, ~40 s in the suite: two real workers, one draining
  'property.test.ts', // ~13 s of CPU in this process: half the random calls
  'silero-vad.test.ts', // ~7 s: real speech in real time
  'property-shard-2.test.ts', // ~13 s: the other half
  'local-tty.test.ts', // ~8 s: local mode in a pseudo-terminal
  'secrets.test.ts', // ~16 s: the real entry through a real worker and the commands
  'tools-api.test.ts', // ~8 s: real sessions on real timers
  'property-sigterm.test.ts', // ~10 s: SIGTERM changes nothing, on random calls
  'bridge.test.ts', // ~8 s: real sessions on real timers
  'agent-edges.test.ts', // ~15 s: commands as child processes
  'graph.test.ts', // ~6 s of CPU in this process
  'scenarios.test.ts', // ~5 s: commands as child processes
];

const rank = (spec: TestSpecification) => {
  const i = LONG_FILES.findIndex((name) => spec.moduleId.endsWith(`/test/${name}`));
  return i < 0 ? LONG_FILES.length : i;
};

export class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rest = await super.sort(files.filter((f) => rank(f) === LONG_FILES.length));
    return [...files.filter((f) => rank(f) < LONG_FILES.length).sort((a, b) => rank(a) - rank(b)), ...rest];
  }
}
