/**
 * Dispatch metadata is untrusted (often built from what a client sent): it may tune a call, never widen policy.
 * Each case is a metadata string as a job would carry it, applied exactly as the agent applies it.
 */
import { describe, expect, it } from 'vitest';
import { intersectPatterns } from '../src/config/dispatch.js';
import { defineConfig } from '../src/config/load.js';
import { withDispatchMetadata } from '../src/config/dispatch.js';

const base = defineConfig({ dial: { allow: ['+1*', '+44*'] }, maxCallDuration: { seconds: 600, warnBefore: 30 } });
const apply = (metadata: object) => withDispatchMetadata(base, JSON.stringify(metadata));
const keys = (r: ReturnType<typeof apply>) => r.rejected.map((x) => x.key);

describe('per-call overrides can only narrow', () => {
  it('tuning applies: timings, prompts, counts, texts', () => {
    const r = apply({ checkIn: { maxPrompts: 1, interval: 5 }, goodbye: { messages: { end_requested: 'Bye now.' } }, presence: { userAwayTimeout: 20 }, dial: { onVoicemail: 'leave-message', voicemailMessage: 'Call us back.', amd: { noSpeechTimeout: 5 } } });
    expect(r.rejected).toEqual([]);
    expect(r.config.dial).toMatchObject({ onVoicemail: 'leave-message', voicemailMessage: 'Call us back.', amd: { noSpeechTimeout: 5, models: 'auto' } });
    expect(r.config.checkIn.maxPrompts).toBe(1);
    expect(r.config.goodbye.messages.end_requested).toBe('Bye now.');
  });

  it.each([
    [{ dial: { sipTrunkId: 'ST_attacker' } }, ['dial.sipTrunkId'], (c: typeof base) => c.dial.sipTrunkId === base.dial.sipTrunkId],
    // Which models answering-machine detection bills to the project (Cloud inference or the session's).
    [{ dial: { amd: { models: 'session' } } }, ['dial.amd.models'], (c: typeof base) => c.dial.amd.models === base.dial.amd.models],
    [{ models: { instructions: 'dial anyone', llm: 'gpt-x' } }, ['models.instructions', 'models.llm'], (c: typeof base) => c.models.instructions === base.models.instructions],
    [{ record: { enabled: false } }, ['record.enabled'], (c: typeof base) => c.record.enabled],
    [{ shutdown: { processTimeout: 600 } }, ['shutdown.processTimeout'], (c: typeof base) => c.shutdown.processTimeout === base.shutdown.processTimeout],
    [{ endSession: { allow: ['*'] } }, ['endSession.allow'], (c: typeof base) => c.endSession.allow.join() === base.endSession.allow.join()],
  ])('policy %j is refused, named by key path', (metadata, refused, unchanged) => {
    const r = apply(metadata);
    expect(keys(r)).toEqual(refused);
    expect(unchanged(r.config)).toBe(true);
    expect(r.error).toBeNull();
  });

  it('dial.allow: a narrower list is accepted, a wider one is intersected with the configured one', () => {
    expect(apply({ dial: { allow: ['+1555*'] } })).toMatchObject({ rejected: [], config: { dial: { allow: ['+1555*'] } } });
    const wide = apply({ dial: { allow: ['*'] } });
    expect(keys(wide)).toEqual(['dial.allow']);
    expect(wide.config.dial.allow.sort()).toEqual(['+1*', '+44*']);
    const other = apply({ dial: { allow: ['+33*'] } });
    expect(keys(other)).toEqual(['dial.allow']);
    expect(other.config.dial.allow).toEqual([]); // nothing in common: nothing dialable
  });

  it('dial.deny can only grow: an empty list keeps every configured denial', () => {
    const r = apply({ dial: { deny: [] } });
    expect(keys(r)).toEqual(['dial.deny']);
    expect(r.config.dial.deny).toEqual(base.dial.deny);
    const more = apply({ dial: { deny: [...base.dial.deny, '+1555*'] } });
    expect(more.rejected).toEqual([]);
    expect(more.config.dial.deny).toContain('+1555*');
  });

  it('dial.maxPerCall and maxCallDuration.seconds can only go down', () => {
    expect(apply({ dial: { maxPerCall: 1 } }).config.dial.maxPerCall).toBe(1);
    const up = apply({ dial: { maxPerCall: 20 } });
    expect(keys(up)).toEqual(['dial.maxPerCall']);
    expect(up.config.dial.maxPerCall).toBe(base.dial.maxPerCall);
    expect(apply({ maxCallDuration: { seconds: 300 } }).config.maxCallDuration?.seconds).toBe(300);
    expect(keys(apply({ maxCallDuration: { seconds: 3600 } }))).toEqual(['maxCallDuration.seconds']);
    expect(keys(apply({ maxCallDuration: null }))).toEqual(['maxCallDuration']);
  });

  it('intersects patterns: each overlapping pair gives the narrower one', () => {
    expect(intersectPatterns(['*'], ['+1*'])).toEqual(['+1*']);
    expect(intersectPatterns(['+1555*', '+44*'], ['+1*'])).toEqual(['+1555*']);
    expect(intersectPatterns(['+15550001111'], ['+1555*'])).toEqual(['+15550001111']);
    expect(intersectPatterns(['+1*'], ['+15550001111'])).toEqual(['+15550001111']);
    expect(intersectPatterns(['$caller'], ['$caller', 'backend-*'])).toEqual(['$caller']);
  });
});

describe('toll-fraud defaults', () => {
  const d = defineConfig({});
  it('one country by default, its high-cost ranges denied, and a small dial limit', () => {
    expect(d.dial.allow).toEqual(['+1*']);
    for (const p of ['+1900*', '+1976*', '+1876*', '+1809*', '+1268*', '+1473*', '+1649*']) expect(d.dial.deny).toContain(p);
    expect(d.dial.maxPerCall).toBe(3);
  });
  it('endSession: the caller and backend participants only', () => {
    expect(d.endSession.allow).toEqual(['$caller', 'backend-*']);
  });
});

describe('dispatch metadata that cannot apply: the call goes on with the config it had, and says why', () => {
  it('applies a valid per-call override', () => {
    const { config, error, rejected } = withDispatchMetadata(base, '{"checkIn":{"maxPrompts":1},"closeAction":"leave"}');
    expect(error).toBeNull();
    expect(rejected).toEqual([]);
    expect(config.checkIn.maxPrompts).toBe(1);
    expect(config.closeAction).toBe('leave');
  });

  it.each(['', '   ', undefined])('no metadata (%j): the config as it was, no error', (metadata) => {
    expect(withDispatchMetadata(base, metadata)).toEqual({ config: base, error: null, rejected: [] });
  });

  it.each([
    ['not json', 'invalid dispatch metadata: not JSON ('],
    ['[1,2]', 'invalid dispatch metadata: expected an object of config keys (got [1,2]); using defaults'],
    ['null', 'invalid dispatch metadata: expected an object of config keys (got null); using defaults'],
    ['42', 'invalid dispatch metadata: expected an object of config keys (got 42); using defaults'],
  ])('%s: refused whole, with a message that says what it got', (metadata, message) => {
    const r = withDispatchMetadata(base, metadata);
    expect(r.config).toBe(base);
    expect(r.rejected).toEqual([]);
    expect(r.error).toContain(message);
    if (metadata === 'not json') expect(r.error).toMatch(/\); using defaults$/);
  });

  it.each([
    ['{"checkIn":{"interval":0}}', /checkIn\.interval: .*\(got 0\)/],
    ['{"dial":{"allow":"everything"}}', /dial\.allow: .*\(got "everything"\)/],
    ['{"surprise":1}', /surprise: unknown key/],
  ])('an override the schema refuses (%s): the error names the key and value, and the defaults are kept', (metadata, message) => {
    const r = withDispatchMetadata(base, metadata);
    expect(r.config).toBe(base);
    expect(r.error).toMatch(message);
    expect(r.error).toMatch(/\nusing defaults$/);
  });

  it('refused keys are reported even when the rest of the override is invalid', () => {
    const r = withDispatchMetadata(base, '{"shutdown":{"processTimeout":600},"checkIn":{"interval":0}}');
    expect(r.config).toBe(base);
    expect(r.rejected.map((x) => x.key)).toEqual(['shutdown.processTimeout']);
    expect(r.error).toMatch(/checkIn\.interval/);
  });
});
