/**
 * `npm run config-doc`: the configuration reference, generated from the zod schema (src/config/schema.ts), where each
 * key carries its description (`.describe`), its default and its rule. Writes `docs/configuration.md` and
 * `docs/agent.config.schema.json` (JSON Schema, for editors). `test/config-doc.test.ts` fails when either is out of date.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { configSchema } from '../src/config/schema.js';
import { isMainModule, ROOT } from './build.js';

export const CONFIG_DOC = join(ROOT, 'docs', 'configuration.md');
export const CONFIG_JSON_SCHEMA = join(ROOT, 'docs', 'agent.config.schema.json');

/** A JSON Schema node, as z.toJSONSchema writes it (the parts read here). */
interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  anyOf?: Node[];
  items?: Node;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  minLength?: number;
  pattern?: string;
}

export interface ConfigKey {
  path: string;
  default: string;
  rule: string;
  description: string;
}

/** What a user writes (the input side: defaults are optional there). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Every key, depth first, in the schema's order. An object key is a row only when it has no keys of its own. */
export function configKeys(): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const walk = (node: Node, path: string, inherited: string) => {
    const object = objectOf(node);
    // An object that is off unless given (maxCallDuration: null) is a row of its own, then its keys.
    if (object && node.default === null) keys.push({ path, default: 'null', rule: `${ruleOf(object)} or null`, description: node.description ?? object.description ?? inherited });
    if (object?.properties && Object.keys(object.properties).length) {
      for (const [name, child] of Object.entries(object.properties)) walk(child, path ? `${path}.${name}` : name, child.description ? '' : node.description ?? inherited);
      return;
    }
    keys.push({ path, default: defaultOf(node), rule: ruleOf(node), description: node.description ?? inherited });
  };
  walk(configJsonSchema() as Node, '', '');
  return keys;
}

/** The object branch of a node (maxCallDuration is an object or null). */
function objectOf(node: Node): Node | undefined {
  if (node.properties) return node;
  return node.anyOf?.find((n) => n.properties);
}

function defaultOf(node: Node): string {
  if (node.default === undefined) return '(none)';
  const json = JSON.stringify(node.default);
  return json.length > 60 ? `${json.slice(0, 57)}…` : json;
}

function ruleOf(node: Node): string {
  if (node.anyOf) return node.anyOf.map(ruleOf).join(' or ');
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  const type = Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any');
  const parts: string[] = [type === 'integer' ? 'whole number' : type];
  if (node.exclusiveMinimum !== undefined) parts.push(`> ${node.exclusiveMinimum}`);
  if (node.minimum !== undefined) parts.push(`≥ ${node.minimum}`);
  if (node.maximum !== undefined && node.maximum !== Number.MAX_SAFE_INTEGER) parts.push(`≤ ${node.maximum}`);
  if (node.exclusiveMaximum !== undefined) parts.push(`< ${node.exclusiveMaximum}`);
  if (node.minLength) parts.push('not empty');
  if (node.pattern) parts.push(`matching \`${node.pattern}\``);
  if (node.items) parts.push(`of ${ruleOf(node.items)}`);
  if (node.minItems) parts.push(`at least ${node.minItems}`);
  return parts.join(', ');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function configDoc(): string {
  const rows = configKeys().map((k) => `| \`${k.path}\` | \`${cell(k.default)}\` | ${cell(k.rule)} | ${cell(k.description)} |`);
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run config-doc`; test/config-doc.test.ts fails when it is out of date. -->',
    '',
    'Every key of `agent.config.ts` (and of `attachPresence({ config })`): optional, with its default. Durations are in',
    'seconds. A bad value stops startup with one error naming each key path and value, e.g.',
    '`invalid agent.config.ts: - checkIn.interval: checkIn.interval must be > 0 seconds (got -1)`. Rules across keys',
    '(`shutdown.processTimeout`, `shutdown.callbackTimeout`, `dial.maxSeconds`, `maxCallDuration.warnBefore`) are in',
    'their descriptions. Editors complete the file from `docs/agent.config.schema.json`.',
    '',
    '| Key | Default | Rule | Meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

export function writeConfigDocs(): void {
  writeFileSync(CONFIG_DOC, configDoc());
  writeFileSync(CONFIG_JSON_SCHEMA, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
}

if (isMainModule(import.meta.url)) {
  writeConfigDocs();
  process.stderr.write(`wrote ${CONFIG_DOC} and ${CONFIG_JSON_SCHEMA}\n`);
}
