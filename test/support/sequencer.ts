/**
 * The order test files start in. vitest's own orders by the durations it cached on the last run, and a fresh clone
 * (CI) has none: it then starts the largest files first, which put the files that hold a worker longest (real worker
 * processes, real-time agent-mode runs, the 10,000-call property) last, each starting when the other worker had
 * nothing left to overlap it with. Here those start first (see LONG_FILES); the rest follow in vitest's order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that hold a worker longest (seconds on an idle 2-core machine), in the order they start. The agent-mode
 * files (scaled real clocks) choose their time scale from the share of a core they measure as they start
 * (schedulingProbe.ts): next to a file that keeps one core busy in its own process (the property test, the graph)
 * they get the other core and run fast; next to files that fork child processes (real workers, commands) they would
 * measure a fraction of a core and slow themselves down up to real time. So they go first, beside the CPU-bound
 * files, and the files with child processes follow.
 */
export const LONG_FILES = [
  'agent-mode.test.ts', // ~22 s, mostly waiting on scaled real timers
  'property.test.ts', // ~25 s of CPU in this process
  'faults.test.ts', // ~10 s: agent mode on real timers
  'graph.test.ts', // ~10 s of CPU in this process
  'worker.test.ts', // ~25 s: a real worker and its job processes
  'worker-operator.test.ts', // ~22 s: two real workers
  'secrets.test.ts', // ~16 s: the real entry through a real worker and the commands
  'agent-edges.test.ts', // ~15 s: commands as child processes
  'scenarios.test.ts', // ~9 s: commands as child processes
  'voicemail.test.ts', // ~9 s: AMD on real timers
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
