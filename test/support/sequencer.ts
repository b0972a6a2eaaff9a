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
 * a fraction of a core and slow themselves down towards real time. So they start first, beside light files. After
 * them the longest (the worker's calls), then CPU-heavy files and files that mostly wait on real timers in turn:
 * four workers on two cores, the waiting ones' share of the cores goes to the others.
 */
export const LONG_FILES = [
  'agent-mode.test.ts', // ~22 s, mostly waiting on scaled real timers
  'faults.test.ts', // ~10 s: agent mode on real timers
  'voicemail.test.ts', // ~8 s: AMD on real timers
  'room-wiring.test.ts', // ~8 s: real sessions on real timers
  'worker.test.ts', // ~30 s: a real worker and its job processes
  'property.test.ts', // ~10 s of CPU in this process: half the random calls
  'property-shard-2.test.ts', // ~10 s: the other half
  'property-sigterm.test.ts', // ~6 s: SIGTERM changes nothing, on random calls
  'graph.test.ts', // ~8 s of CPU in this process
  'worker-operator.test.ts', // ~20 s: two real workers
  'tools-api.test.ts', // ~8 s: real sessions on real timers
  'secrets.test.ts', // ~16 s: the real entry through a real worker and the commands
  'agent-edges.test.ts', // ~15 s: commands as child processes
  'bridge.test.ts', // ~8 s: real sessions on real timers
  'scenarios.test.ts', // ~5 s: commands as child processes
  'local-tty.test.ts', // ~8 s: local mode in a pseudo-terminal
  'silero-vad.test.ts', // ~7 s: real speech in real time
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
