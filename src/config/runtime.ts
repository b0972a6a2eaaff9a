/** The config a running agent uses: agent.config.ts, then env overrides, then (per call) dispatch metadata. */
import { ConfigError, envOverride, withOverrides } from './load.js';
import type { AgentConfig } from './schema.js';

export async function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): Promise<AgentConfig> {
  const base: AgentConfig = (await import('../../agent.config.js')).default;
  return withOverrides(base, envOverride(env), 'environment');
}

/**
 * Per-call overrides from the job's dispatch metadata (JSON with agent.config.ts keys). An invalid override never
 * stops the call: the defaults are used and the error says what was wrong.
 */
export function withDispatchMetadata(base: AgentConfig, metadata: string | undefined): { config: AgentConfig; error: string | null } {
  if (!metadata || !metadata.trim()) return { config: base, error: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch (e) {
    return { config: base, error: `invalid dispatch metadata: not JSON (${(e as Error).message}); using defaults` };
  }
  // The worker fixed its kill timer (ServerOptions.shutdownProcessTimeout) at startup; a call cannot move it.
  const processTimeout = (parsed as { shutdown?: { processTimeout?: unknown } } | null)?.shutdown?.processTimeout;
  if (processTimeout !== undefined) {
    return {
      config: base,
      error:
        `invalid dispatch metadata: shutdown.processTimeout (got ${JSON.stringify(processTimeout)}) is the worker's ` +
        `shutdownProcessTimeout, fixed when the worker starts; it cannot be overridden per call\nusing defaults`,
    };
  }
  try {
    return { config: withOverrides(base, parsed, 'dispatch metadata'), error: null };
  } catch (e) {
    if (e instanceof ConfigError) return { config: base, error: `${e.message}\nusing defaults` };
    throw e;
  }
}
