/**
 * The configuration reference is generated from the schema (scripts/config-doc.ts): docs/configuration.md and the JSON
 * Schema editors use must be what the schema says today, and every key must say what it means.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC, CONFIG_JSON_SCHEMA, configDoc, configJsonSchema, configKeys } from '../scripts/config-doc.js';

describe('the configuration reference (npm run config-doc)', () => {
  it('docs/configuration.md is up to date with the schema (run `npm run config-doc` after changing it)', () => {
    expect(readFileSync(CONFIG_DOC, 'utf8')).toBe(configDoc());
  });

  it('docs/agent.config.schema.json is up to date with the schema', () => {
    expect(JSON.parse(readFileSync(CONFIG_JSON_SCHEMA, 'utf8'))).toEqual(configJsonSchema());
  });

  it('every key has a description, a rule and a default (or says it has none)', () => {
    const keys = configKeys();
    expect(keys.length).toBeGreaterThan(50);
    expect(keys.filter((k) => !k.description).map((k) => k.path)).toEqual([]);
    expect(keys.find((k) => k.path === 'checkIn.maxPrompts')).toMatchObject({ default: '3', rule: 'whole number, ≥ 1, ≤ 10' });
    expect(keys.find((k) => k.path === 'dial.onCallerLeft')).toMatchObject({ default: '"cancel"', rule: '"cancel" | "continue"' });
    expect(keys.find((k) => k.path === 'maxCallDuration')).toMatchObject({ default: 'null' });
  });

  it("the README's table of main knobs names real keys with their real defaults", () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Tuning it'), readme.indexOf('All of them, with their rules and defaults'));
    const rows = [...table.matchAll(/^\| (`[^|]+`) \| (`[^`]+`)(?: \/ (`[^`]+`))? \|/gm)];
    expect(rows.length).toBeGreaterThan(5);
    const keys = new Map(configKeys().map((k) => [k.path, k.default]));
    for (const [, paths, first, second] of rows) {
      const named = [...paths!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\.\*$/, ''));
      const defaults = [first, second].filter(Boolean).map((d) => d!.slice(1, -1).replace(/'/g, '"'));
      // Each named key exists (a `.*` row names a group of keys); each default given is that key's.
      for (const path of named) expect([...keys.keys()].some((k) => k === path || k.startsWith(`${path}.`)), path).toBe(true);
      defaults.forEach((d, i) => {
        const path = named[i]!;
        if (keys.has(path)) expect(keys.get(path), path).toBe(d);
      });
    }
  });
});
