/**
 * What a call's dispatch metadata may change. Dispatch metadata is often built from what a client sent, so it is
 * untrusted: it may tune the call (timings, prompts, counts, texts) but never widen policy. Policy keys are refused
 * (`dial.sipTrunkId`, `dial.amd.models`, `models.*`, `record.*`, `shutdown.*`, `worker.*`) or accepted only as far as they narrow
 * what the operator configured (`dial.allow` and `endSession.allow` intersected with the configured lists,
 * `dial.deny` only grown, `dial.maxPerCall` and `maxCallDuration.seconds` only lowered). Every refusal names its key
 * path.
 */
import { ConfigError, withOverrides } from './load.js';
import type { AgentConfig } from './schema.js';

export interface OverrideRejection {
  /** The key path, e.g. `dial.allow`. */
  key: string;
  reason: string;
}

/** Refused outright: who the call is billed to, what runs it, where its data goes, how the worker kills it. */
const REFUSED = ['dial.sipTrunkId', 'dial.amd.models', 'models', 'record', 'shutdown', 'worker'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether pattern `a` matches everything pattern `b` matches (`*`, `prefix*` or an exact value). */
function covers(a: string, b: string): boolean {
  if (a === '*') return true;
  if (b === '*') return false;
  if (a.endsWith('*')) return (b.endsWith('*') ? b.slice(0, -1) : b).startsWith(a.slice(0, -1));
  return a === b;
}

/** The patterns matching what both lists match: for each overlapping pair, the narrower of the two. */
export function intersectPatterns(requested: readonly string[], configured: readonly string[]): string[] {
  const out = new Set<string>();
  for (const r of requested) {
    for (const c of configured) {
      if (covers(c, r)) out.add(r);
      else if (covers(r, c)) out.add(c);
    }
  }
  return [...out];
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

function take(o: Obj, path: string): { found: boolean; value: unknown } {
  const keys = path.split('.');
  let node: unknown = o;
  for (const k of keys.slice(0, -1)) {
    if (!isObj(node)) return { found: false, value: undefined };
    node = node[k];
  }
  const last = keys.at(-1)!;
  if (!isObj(node) || !(last in node)) return { found: false, value: undefined };
  const value = node[last];
  delete node[last];
  return { found: true, value };
}

function put(o: Obj, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = o;
  for (const k of keys.slice(0, -1)) node = (node[k] = isObj(node[k]) ? node[k] : {}) as Obj;
  node[keys.at(-1)!] = value;
}

/** Leaf key paths of a value under `prefix` (an object's keys, or the prefix itself). */
function leaves(prefix: string, v: unknown): string[] {
  return isObj(v) && Object.keys(v).length ? Object.entries(v).flatMap(([k, x]) => leaves(`${prefix}.${k}`, x)) : [prefix];
}

/**
 * Splits a parsed dispatch override into what may be applied and what was refused. The input is not modified.
 * Values of the wrong type are left in place for the schema to reject with its usual message.
 */
export function narrowDispatch(base: AgentConfig, parsed: Obj): { override: Obj; rejected: OverrideRejection[] } {
  const override = structuredClone(parsed);
  const rejected: OverrideRejection[] = [];

  for (const path of REFUSED) {
    const { found, value } = take(override, path);
    if (found) for (const key of leaves(path, value)) rejected.push({ key, reason: 'policy: not overridable per call' });
  }

  const lists = [
    { path: 'dial.allow', configured: base.dial.allow },
    { path: 'endSession.allow', configured: base.endSession.allow },
  ];
  for (const { path, configured } of lists) {
    const { found, value } = take(override, path);
    if (!found) continue;
    if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) {
      put(override, path, value); // the schema names the bad value
      continue;
    }
    const narrowed = intersectPatterns(value, configured);
    if (!sameSet(narrowed, value)) rejected.push({ key: path, reason: `widens the configured list; narrowed to [${narrowed.join(', ')}]` });
    put(override, path, narrowed);
  }

  const deny = take(override, 'dial.deny');
  if (deny.found) {
    if (Array.isArray(deny.value) && deny.value.every((x) => typeof x === 'string')) {
      const kept = base.dial.deny.filter((d) => !(deny.value as string[]).includes(d));
      if (kept.length) rejected.push({ key: 'dial.deny', reason: `would remove configured denials; kept [${kept.join(', ')}]` });
      put(override, 'dial.deny', [...base.dial.deny, ...(deny.value as string[]).filter((d) => !base.dial.deny.includes(d))]);
    } else put(override, 'dial.deny', deny.value);
  }

  const max = take(override, 'dial.maxPerCall');
  if (max.found) {
    if (typeof max.value === 'number' && max.value > base.dial.maxPerCall) {
      rejected.push({ key: 'dial.maxPerCall', reason: `raises the configured limit (${base.dial.maxPerCall})` });
    } else put(override, 'dial.maxPerCall', max.value);
  }

  const limit = base.maxCallDuration;
  if (limit && 'maxCallDuration' in override) {
    const requested = override.maxCallDuration;
    if (requested === null) {
      delete override.maxCallDuration;
      rejected.push({ key: 'maxCallDuration', reason: `removes the configured limit (${limit.seconds} s)` });
    } else if (isObj(requested) && typeof requested.seconds === 'number' && requested.seconds > limit.seconds) {
      delete requested.seconds;
      rejected.push({ key: 'maxCallDuration.seconds', reason: `raises the configured limit (${limit.seconds} s)` });
    }
  }
  return { override, rejected };
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
