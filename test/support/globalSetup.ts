/**
 * Once per `npm test`, before any test file: the build the tests' child processes run (the framework's worker and
 * its job processes, the CLI commands, the agent entry), from the same sources and by the same build as
 * `npm run build`, plus the harnesses the test worker forks. See scripts/build.ts.
 */
import { buildForTests } from './cli.js';

export async function setup(): Promise<void> {
  await buildForTests();
}
