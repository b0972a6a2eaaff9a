/**
 * Turning user input into a validated AgentConfig: `defineConfig` (agent.config.ts), overrides merged on top
 * (env, a scenario's `config`, dispatch metadata), and one error that names every bad key path and value.
 */
import type { z } from 'zod';
import { configSchema, type AgentConfig, type AgentConfigInput } from './schema.js';

export class ConfigError extends Error {
  constructor(
    /** Where the bad input came from, e.g. "agent.config.ts" or "scenario config". */
    readonly source: string,
    readonly problems: readonly { path: string; value: unknown; message: string }[],
  ) {
    super(
      `invalid ${source}:\n` +
        problems.map((p) => `  - ${p.path || '(root)'}: ${p.message} (got ${show(p.value)})`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Validates with a schema and throws a ConfigError naming every key path and bad value. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    source,
    result.error.issues.flatMap((issue) => {
      // An unknown key is reported once per key, with the key itself in the path.
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({
          path: [...issue.path, key].join('.'),
          value: valueAt(input, [...issue.path, key]),
          message: 'unknown key',
        }));
      }
      const path = issue.path.join('.');
      const value = 'input' in issue && issue.input !== undefined ? issue.input : valueAt(input, issue.path);
      return [{ path, value, message: issue.message }];
    }),
  );
}

/** agent.config.ts calls this: the config is validated when it is imported, before anything starts. */
export function defineConfig(input: AgentConfigInput = {}): AgentConfig {
  return parseOrThrow(configSchema, input, 'agent.config.ts');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects; arrays and scalars (and `null`) in `over` replace what `base` had. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Applies an override (any subset of keys) to a validated config and validates the result again. */
export function withOverrides(base: AgentConfig, override: unknown, source: string): AgentConfig {
  if (override === undefined) return base;
  if (!isPlainObject(override)) {
    throw new ConfigError(source, [{ path: '', value: override, message: 'expected an object of config keys' }]);
  }
  return parseOrThrow(configSchema, deepMerge(base, override), source);
}

/**
 * Environment overrides, for deployments that tune without a rebuild. `AGENT_CONFIG_JSON` takes any subset of
 * keys as JSON; the named variables below cover the knobs people change most.
 */
export const ENV_OVERRIDES = {
  AGENT_USER_AWAY_TIMEOUT: ['presence', 'userAwayTimeout'],
  AGENT_ACTIVITY_SIGNAL: ['presence', 'activitySignal'],
  AGENT_CHECKIN_MODE: ['checkIn', 'mode'],
  AGENT_CHECKIN_INTERVAL: ['checkIn', 'interval'],
  AGENT_CHECKIN_MAX_PROMPTS: ['checkIn', 'maxPrompts'],
  AGENT_CLOSE_ACTION: ['closeAction'],
  AGENT_DIAL_ALLOW: ['dial', 'allow'],
  SIP_OUTBOUND_TRUNK_ID: ['dial', 'sipTrunkId'],
  AGENT_SHUTDOWN_BUDGET: ['shutdown', 'budget'],
  // Where session records go: in a container, a mounted volume (the container's own disk is gone with it).
  AGENT_RECORD_DIR: ['record', 'dir'],
  AGENT_MODEL_PROVIDER: ['models', 'provider'],
  AGENT_LOAD_THRESHOLD: ['worker', 'loadThreshold'],
  AGENT_MAX_CALLS: ['worker', 'maxCalls'],
} as const satisfies Record<string, readonly string[]>;

/** Reads env overrides into one override object. Numbers and booleans are parsed; lists are comma separated. */
export function envOverride(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  if (env.AGENT_CONFIG_JSON) {
    try {
      out = JSON.parse(env.AGENT_CONFIG_JSON) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError('environment', [
        { path: 'AGENT_CONFIG_JSON', value: env.AGENT_CONFIG_JSON, message: `not valid JSON (${(e as Error).message})` },
      ]);
    }
  }
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value: unknown =
      name === 'AGENT_DIAL_ALLOW'
        ? raw.split(',').map((s) => s.trim())
        : /^-?\d+(\.\d+)?$/.test(raw)
          ? Number(raw)
          : raw === 'true' || raw === 'false'
            ? raw === 'true'
            : raw;
    let node = out;
    path.forEach((key, i) => {
      if (i === path.length - 1) node[key] = value;
      else node = (node[key] = isPlainObject(node[key]) ? node[key] : {}) as Record<string, unknown>;
    });
  }
  return out;
}
