/** What the configured models need from the environment (a module of its own: the worker's entry checks it before any plugin loads). */
import type { AgentConfig } from '../config/schema.js';

/**
 * The environment variables the configured models need and do not have. The OpenAI plugins read OPENAI_API_KEY only
 * when a job builds its session, after it has joined the room: without it every call would crash there and leave its
 * caller in a silent room, so the worker refuses to start instead (src/agent/main.ts).
 */
export function missingModelKeys(config: AgentConfig, env: NodeJS.ProcessEnv): string[] {
  return config.models.provider === 'openai' && !env.OPENAI_API_KEY ? ['OPENAI_API_KEY'] : [];
}
