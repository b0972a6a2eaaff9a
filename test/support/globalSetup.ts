/**
 * Once per `npm test`, before any test file: the build the tests' child processes run (the framework's worker and
 * its job processes, the CLI commands, the agent entry), from the same sources and by the same build as
 * `npm run build`, plus the harnesses the test worker forks. See scripts/build.ts.
 */
import type { TestProject } from 'vitest/node';
import { buildForTests } from './cli.js';

export async function setup(project: TestProject): Promise<void> {
  await buildForTests();
  // In watch mode, rebuild before each rerun so the child processes run the code as it is now.
  project.onTestsRerun(async () => void (await buildForTests()));
}
