/** The config a running agent uses: agent.config.ts, then env overrides, then (per call) dispatch metadata. */
import { narrowDispatch, type OverrideRejection } from './dispatch.js';
import { ConfigError, envOverride, withOverrides } from './load.js';
import type { AgentConfig } from './schema.js';

export async function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): Promise<AgentConfig> {
  return withOverrides(await agentConfigFile(), envOverride(env), 'environment');
}

/**
 * agent.config.ts's default export, validated as it was imported. The build is CommonJS (scripts/build.ts), where
 * this `import()` is a `require()` that, as Node's own interop, gives the whole exports object as `default`, the ES
 * default export one level down (the framework reads an agent file the same way, ipc/job_proc_lazy_main.ts). Run
 * from the sources (tsx, vitest) it is the config itself. A config never has a `default` key: the schema refuses
 * unknown keys. (Why nothing built may default-import a file of this project: test/layout.test.ts.)
 */
export async function agentConfigFile(): Promise<AgentConfig> {
  const exported: AgentConfig | { default: AgentConfig } = (await import('../../agent.config.js')).default;
  return isModule(exported) ? exported.default : exported;
}

function isModule(exported: AgentConfig | { default: AgentConfig }): exported is { default: AgentConfig } {
  return 'default' in exported;
}

/**
 * Per-call overrides from the job's dispatch metadata (JSON with agent.config.ts keys). Metadata is untrusted: it may
 * tune the call but only narrow policy (`dispatch.ts`); every refused or narrowed key is in `rejected`. An invalid
 * override never stops the call: the defaults are used and the error says what was wrong.
 */
export function withDispatchMetadata(
  base: AgentConfig,
  metadata: string | undefined,
): { config: AgentConfig; error: string | null; rejected: OverrideRejection[] } {
  if (!metadata || !metadata.trim()) return { config: base, error: null, rejected: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch (e) {
    return { config: base, error: `invalid dispatch metadata: not JSON (${(e as Error).message}); using defaults`, rejected: [] };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { config: base, error: `invalid dispatch metadata: expected an object of config keys (got ${JSON.stringify(parsed)}); using defaults`, rejected: [] };
  }
  const { override, rejected } = narrowDispatch(base, parsed as Record<string, unknown>);
  try {
    return { config: withOverrides(base, override, 'dispatch metadata'), error: null, rejected };
  } catch (e) {
    if (e instanceof ConfigError) return { config: base, error: `${e.message}\nusing defaults`, rejected };
    throw e;
  }
}
