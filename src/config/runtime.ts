/**
 * The config this agent runs with: agent.config.ts, then env overrides. (Per call, the presence layer then applies the
 * dispatch metadata: dispatch.ts's withDispatchMetadata.)
 */
import { envOverride, withOverrides } from './load.js';
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
