/**
 * The worker's options, one place for `npm start` and the tests that run the framework's real worker: the same
 * `ServerOptions` whichever agent file the worker's process pool forks.
 */
import { cli, ServerOptions } from '@livekit/agents';
import type { AgentConfig } from '../config/schema.js';
import { keepCallsThroughDrain } from './drain.js';

/** Runs the framework's CLI on these options, its drain made to keep running calls (drain.ts). */
export function runWorker(options: ServerOptions): void {
  keepCallsThroughDrain(options.drainTimeout);
  cli.runApp(options);
}

export function workerOptions(agent: string, config: AgentConfig, env: NodeJS.ProcessEnv = process.env): ServerOptions {
  return new ServerOptions({
    agent,
    agentName: env.AGENT_NAME ?? '',
    // Set explicitly: config validation guarantees our bounded shutdown (and what the job process does after it)
    // fits inside the kill timer the worker runs when it closes a job.
    shutdownProcessTimeout: config.shutdown.processTimeout * 1000,
    ...workerLoad(config.worker),
  });
}

/** The framework's CPU load and `loadThreshold`, or with `worker.maxCalls` the share of those calls running now. */
function workerLoad({ loadThreshold, maxCalls }: AgentConfig['worker']): Pick<ConstructorParameters<typeof ServerOptions>[0], 'loadFunc' | 'loadThreshold'> {
  if (maxCalls === undefined) return { loadThreshold };
  return { loadFunc: async (server) => server.activeJobs.length / maxCalls, loadThreshold: 1 };
}
