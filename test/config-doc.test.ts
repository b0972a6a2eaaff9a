/**
 * The configuration reference is generated from the schema (scripts/config-doc.ts): docs/configuration.md and the JSON
 * Schema editors use must be what the schema says today, and every key must say what it means.
 */
import { readFileSync } from 'node:fs';
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
});
