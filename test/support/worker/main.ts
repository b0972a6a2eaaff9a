/**
 * The worker process of the worker tests: the framework's own CLI (`cli.runApp`, run with `start`) with the same
 * `ServerOptions` as `npm start` (src/agent/server.ts), forking `roomlessAgent.ts` (or HARNESS_AGENT). The health server's port comes
 * from HARNESS_HTTP_PORT so tests never collide on the production default (8081).
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../../../src/observability/sourceMaps.js'; // first, as in the production entry (src/agent/main.ts)
import { runWorker, workerOptions } from '../../../src/agent/server.js';
import { loadRuntimeConfig } from '../../../src/config/runtime.js';

// HARNESS_AGENT: another agent file for the same worker (the benchmark's idle-example baseline).
// Its sibling as built (.js) or, run through tsx, as written (.ts).
const agent = process.env.HARNESS_AGENT || fileURLToPath(new URL(`./roomlessAgent${extname(import.meta.url)}`, import.meta.url));
// A promise chain rather than top-level await: the build is CommonJS (scripts/build.ts).
void loadRuntimeConfig().then((config) => {
  const options = workerOptions(agent, config);
  options.port = Number(process.env.HARNESS_HTTP_PORT);
  if (process.env.HARNESS_IDLE_PROCESSES) options.numIdleProcesses = Number(process.env.HARNESS_IDLE_PROCESSES);
  // HARNESS_FRAMEWORK_DRAIN: the framework's drain as it is (test/deploy.test.ts shows what it does to calls).
  if (process.env.HARNESS_FRAMEWORK_DRAIN === '1') void import('@livekit/agents').then(({ cli }) => cli.runApp(options));
  else runWorker(options);
});
