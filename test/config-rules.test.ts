/**
 * The config rules that are logic rather than data: durations, dial patterns and the rules between keys, each at its
 * boundary, with the message the operator reads when agent.config.ts breaks one.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, defineConfig } from '../src/config/load.js';
import type { AgentConfigInput } from '../src/config/schema.js';

/** The message agent.config.ts fails with, or 'valid'. */
const check = (input: AgentConfigInput): string => {
  try {
    defineConfig(input);
    return 'valid';
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
};
const invalid = (line: string) => `invalid agent.config.ts:\n  - ${line}`;

describe('config rules, each at its boundary, with the message the operator reads', () => {
  it('a duration is a positive number of seconds', () => {
    expect(check({ checkIn: { interval: -1 } })).toBe(invalid('checkIn.interval: checkIn.interval must be > 0 seconds (got -1)'));
    expect(check({ goodbye: { maxSeconds: '10' as never } })).toBe(invalid('goodbye.maxSeconds: goodbye.maxSeconds must be a number of seconds (got "10")'));
    expect(check({ checkIn: { interval: 0.5 } })).toBe('valid');
  });

  it('a dial pattern is "*", an E.164 number, or a prefix ending in "*", and nothing around it', () => {
    expect(check({ dial: { allow: ['*', '+1*', '+15550001111'], deny: ['+1900*'] } })).toBe('valid');
    const message = 'a dial pattern is "*", an E.164 number, or an E.164 prefix ending in "*"';
    expect(check({ dial: { allow: ['tel:+1555*'] } })).toBe(invalid(`dial.allow.0: ${message} (got "tel:+1555*")`));
    expect(check({ dial: { deny: ['+1555* '] } })).toBe(invalid(`dial.deny.0: ${message} (got "+1555* ")`));
  });

  it('the bounded shutdown must fit in the worker’s processTimeout: equal fits, one second more does not', () => {
    expect(check({ shutdown: { budget: 5, margin: 5, processTimeout: 10 } })).toBe('valid');
    expect(check({ shutdown: { budget: 6, margin: 5, processTimeout: 10 } })).toBe(
      invalid(
        'shutdown.processTimeout: must be >= shutdown.budget + shutdown.margin (6 + 5 = 11 s), or the worker kills a job it closes before its shutdown callbacks finish (got 10)',
      ),
    );
  });

  it('a shutdown callback may take the whole budget, not more', () => {
    expect(check({ shutdown: { budget: 5, callbackTimeout: 5 } })).toBe('valid');
    expect(check({ shutdown: { budget: 5, callbackTimeout: 6 } })).toBe(
      invalid('shutdown.callbackTimeout: must be <= shutdown.budget (5 s): no callback may outlive the whole shutdown (got 6)'),
    );
  });

  it('the dial watchdog must outlast the ringing: equal is refused', () => {
    expect(check({ dial: { maxSeconds: 31, ringingTimeout: 30, amd: { enabled: false } } })).toBe('valid');
    expect(check({ dial: { maxSeconds: 30, ringingTimeout: 30, amd: { enabled: false } } })).toBe(
      invalid('dial.maxSeconds: must be > dial.ringingTimeout (30 s): the watchdog would cancel dials still ringing (got 30)'),
    );
  });

  it('with answering-machine detection, the watchdog must also outlast its budget, its extensions and the voicemail message', () => {
    // 30 s ringing + 20 s detection + 30 s of extensions = 80 s.
    expect(check({ dial: { maxSeconds: 80.5, ringingTimeout: 30 } })).toBe('valid');
    expect(check({ dial: { maxSeconds: 80, ringingTimeout: 30 } })).toBe(
      invalid(
        'dial.maxSeconds: must be > dial.ringingTimeout + what answering-machine detection may take (30 + 50 = 80 s: dial.amd.detectionTimeout, 30 s of extensions), or the watchdog cuts dials AMD is still deciding about (got 80)',
      ),
    );
    // Leaving a message of 5 words adds 3 s (at 2 words per second, rounded up).
    const message = { onVoicemail: 'leave-message', voicemailMessage: 'Please call Sam back soon.' } as const;
    expect(check({ dial: { maxSeconds: 83.5, ringingTimeout: 30, ...message } })).toBe('valid');
    expect(check({ dial: { maxSeconds: 83, ringingTimeout: 30, ...message } })).toBe(
      invalid(
        'dial.maxSeconds: must be > dial.ringingTimeout + what answering-machine detection may take (30 + 53 = 83 s: dial.amd.detectionTimeout, 30 s of extensions, the voicemail message), or the watchdog cuts dials AMD is still deciding about (got 83)',
      ),
    );
  });

  it('the max-duration warning must come before the limit', () => {
    expect(check({ maxCallDuration: { seconds: 60, warnBefore: 59 } })).toBe('valid');
    expect(check({ maxCallDuration: { seconds: 60, warnBefore: 60 } })).toBe(invalid('maxCallDuration.warnBefore: must be < maxCallDuration.seconds (60) (got 60)'));
  });

  it('counts stay in their ranges', () => {
    expect(check({ checkIn: { maxPrompts: 10 }, dial: { maxPerCall: 20 }, maxCallDuration: { seconds: 60, warnBefore: 0 } })).toBe('valid');
    expect(check({ checkIn: { maxPrompts: 11 } })).toMatch(/^invalid agent.config.ts:\n {2}- checkIn.maxPrompts: .*\(got 11\)$/);
    expect(check({ dial: { maxPerCall: 21 } })).toMatch(/^invalid agent.config.ts:\n {2}- dial.maxPerCall: .*\(got 21\)$/);
    expect(check({ maxCallDuration: { seconds: 60, warnBefore: -1 } })).toMatch(/^invalid agent.config.ts:\n {2}- maxCallDuration.warnBefore: .*\(got -1\)$/);
  });

  it('the worker: a load threshold above 0, and whole calls, at least one', () => {
    expect(check({ worker: { loadThreshold: 0.01, maxCalls: 1 } })).toBe('valid');
    expect(check({ worker: { loadThreshold: 0 } })).toMatch(/^invalid agent.config.ts:\n {2}- worker.loadThreshold: .*\(got 0\)$/);
    expect(check({ worker: { maxCalls: 0 } })).toMatch(/^invalid agent.config.ts:\n {2}- worker.maxCalls: .*\(got 0\)$/);
    expect(check({ worker: { maxCalls: 1.5 } })).toMatch(/^invalid agent.config.ts:\n {2}- worker.maxCalls: .*\(got 1.5\)$/);
  });
});
