/**
 * The worker's options, one place for `npm start` and the tests that run the framework's real worker: the same
 * `ServerOptions` whichever agent file the worker's process pool forks.
 */
import { ServerOptions } from '@livekit/agents';
import type { AgentConfig } from '../config/schema.js';

export function workerOptions(agent: string, config: AgentConfig, env: NodeJS.ProcessEnv = process.env): ServerOptions {
  return new ServerOptions({
    agent,
    agentName: env.AGENT_NAME ?? '',
    // Set explicitly: config validation guarantees our bounded shutdown (and what the job process does after it)
    // fits inside the kill timer the worker runs when it closes a job.
    shutdownProcessTimeout: config.shutdown.processTimeout * 1000,
    loadThreshold: config.worker.loadThreshold,
  });
}
