/**
 * Dispatch metadata at its edges: values of the wrong shape, limits repeated exactly, an operator who configured
 * '*' or one exact number, and what the refusal says. Each case is the metadata string a job would carry, applied as
 * the agent applies it; a bad value never crashes the call (the defaults are used and the error names the key).
 */
import { describe, expect, it } from 'vitest';
import { narrowDispatch } from '../src/config/dispatch.js';
import { defineConfig } from '../src/config/load.js';
import { withDispatchMetadata } from '../src/config/dispatch.js';
import type { AgentConfigInput } from '../src/config/schema.js';

const base = defineConfig({ dial: { allow: ['+1*', '+44*'] }, maxCallDuration: { seconds: 600, warnBefore: 30 } });
const apply = (metadata: object, config = base) => withDispatchMetadata(config, JSON.stringify(metadata));
const operator = (input: AgentConfigInput) => defineConfig(input);

describe('dispatch metadata of the wrong shape is left to the schema, which names it; the call uses the defaults', () => {
  it.each([
    [{ dial: null }, 'dial'],
    [{ dial: { allow: '+1*' } }, 'dial.allow'],
    [{ dial: { allow: ['+1555*', 5] } }, 'dial.allow.1'],
    [{ endSession: { allow: [7] } }, 'endSession.allow.0'],
    [{ dial: { deny: '+1555*' } }, 'dial.deny'],
    [{ dial: { deny: ['+1555*', 5] } }, 'dial.deny.1'],
    [{ dial: { maxPerCall: '5' } }, 'dial.maxPerCall'],
    [{ maxCallDuration: { seconds: '9999' } }, 'maxCallDuration.seconds'],
  ])('%j → an error at %s', (metadata, path) => {
    const r = apply(metadata);
    expect(r.error).toMatch(new RegExp(`^invalid dispatch metadata:\\n {2}- ${path.replace(/\./g, '\\.')}: `));
    expect(r.config).toBe(base);
    expect(r.rejected).toEqual([]);
  });
});

describe('what narrows, what is refused, and what the refusal says', () => {
  it('metadata that only tunes reaches the schema exactly as sent (no policy key added)', () => {
    const tuning = { checkIn: { interval: 5 }, goodbye: { messages: { drain: 'Bye.' } } };
    expect(narrowDispatch(base, tuning)).toStrictEqual({ override: tuning, rejected: [] });
  });

  it('a refused policy key says why', () => {
    expect(apply({ dial: { sipTrunkId: 'ST_x' } }).rejected).toEqual([{ key: 'dial.sipTrunkId', reason: 'policy: not overridable per call' }]);
  });

  it('a widened list is narrowed, and the refusal says to what', () => {
    const r = apply({ endSession: { allow: ['$caller', '*'] } });
    expect(r.config.endSession.allow).toEqual(['$caller', 'backend-*']);
    expect(r.rejected).toEqual([{ key: 'endSession.allow', reason: 'widens the configured list; narrowed to [$caller, backend-*]' }]);
  });

  it("under an operator's '*', any list is already narrower, '*' included", () => {
    const any = operator({ dial: { allow: ['*'] } });
    expect(apply({ dial: { allow: ['*'] } }, any)).toMatchObject({ rejected: [], config: { dial: { allow: ['*'] } } });
    expect(apply({ dial: { allow: ['+44*'] } }, any)).toMatchObject({ rejected: [], config: { dial: { allow: ['+44*'] } } });
  });

  it("one configured exact number does not let metadata open its neighbour", () => {
    const one = operator({ dial: { allow: ['+15550001111'] } });
    expect(apply({ dial: { allow: ['+15550001111'] } }, one)).toMatchObject({ rejected: [], config: { dial: { allow: ['+15550001111'] } } });
    const next = apply({ dial: { allow: ['+15550001112'] } }, one);
    expect(next.config.dial.allow).toEqual([]);
    expect(next.rejected).toEqual([{ key: 'dial.allow', reason: 'widens the configured list; narrowed to []' }]);
  });

  it('a number made of exactly a configured prefix is inside it', () => {
    expect(apply({ dial: { allow: ['+1555'] } }, operator({ dial: { allow: ['+1555*'] } }))).toMatchObject({ rejected: [], config: { dial: { allow: ['+1555'] } } });
  });

  it('a deny list that drops configured denials keeps them, adds the new ones once, and says which it kept', () => {
    const r = apply({ dial: { deny: ['+1555*'] } });
    expect(r.config.dial.deny).toEqual([...base.dial.deny, '+1555*']);
    expect(r.rejected).toEqual([{ key: 'dial.deny', reason: `would remove configured denials; kept [${base.dial.deny.join(', ')}]` }]);
    const repeated = apply({ dial: { deny: [...base.dial.deny, '+1555*'] } });
    expect(repeated.rejected).toEqual([]);
    expect(repeated.config.dial.deny).toEqual([...base.dial.deny, '+1555*']);
  });

  it('a limit repeated exactly is not a raise; a raise says what the limit is', () => {
    expect(apply({ dial: { maxPerCall: 3 }, maxCallDuration: { seconds: 600 } })).toMatchObject({ rejected: [], error: null });
    expect(apply({ dial: { maxPerCall: 4 } }).rejected).toEqual([{ key: 'dial.maxPerCall', reason: 'raises the configured limit (3)' }]);
    expect(apply({ maxCallDuration: { seconds: 601 } }).rejected).toEqual([{ key: 'maxCallDuration.seconds', reason: 'raises the configured limit (600 s)' }]);
    expect(apply({ maxCallDuration: null }).rejected).toEqual([{ key: 'maxCallDuration', reason: 'removes the configured limit (600 s)' }]);
  });

  it('with no configured call limit, metadata may set one (a narrowing) or say none', () => {
    const unlimited = operator({});
    expect(apply({ maxCallDuration: { seconds: 300 } }, unlimited)).toMatchObject({ rejected: [], error: null, config: { maxCallDuration: { seconds: 300 } } });
    expect(apply({ maxCallDuration: null }, unlimited)).toMatchObject({ rejected: [], error: null, config: { maxCallDuration: null } });
  });
});
