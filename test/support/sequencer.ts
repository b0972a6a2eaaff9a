/**
 * The order test files start in. vitest's own orders by the durations it cached on the last run, and a fresh clone
 * (CI) has none: it then starts the largest files first, which put the files that hold a worker longest (real worker
 * processes, real-time agent-mode runs, the 10,000-call property) last, each starting when the other worker had
 * nothing left to overlap it with. Here those start first, longest first; the rest follow in vitest's order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The files that hold a worker longest (seconds on an idle 2-core machine), longest first. */
export const LONG_FILES = [
  'worker.test.ts', // ~30 s: a real worker and its job processes
  'agent-mode.test.ts', // ~22 s, mostly waiting on scaled real timers
  'property.test.ts', // ~25 s of CPU
  'secrets.test.ts', // ~25 s: the real entry through a real worker and the commands
  'worker-operator.test.ts', // ~24 s: two real workers
  'agent-edges.test.ts', // ~15 s: commands as child processes
  'voicemail.test.ts', // ~13 s: AMD on real timers
  'scenarios.test.ts', // ~10 s: commands as child processes
  'faults.test.ts', // ~10 s: agent mode on real timers
  'graph.test.ts', // ~10 s of CPU
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
