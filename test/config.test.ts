import { describe, expect, it } from 'vitest';
import agentConfig from '../agent.config.js';
import { ConfigError, defineConfig, envOverride, withOverrides } from '../src/config/load.js';
import { configSchema } from '../src/config/schema.js';

const errorOf = (f: () => unknown): ConfigError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('agent.config.ts', () => {
  it('is valid and equals the documented defaults', () => {
    expect(agentConfig).toEqual(configSchema.parse({}));
    expect(agentConfig.presence).toEqual({ userAwayTimeout: 15, activitySignal: 'vad', callerReconnectGrace: 20 });
    expect(agentConfig.checkIn).toMatchObject({ mode: 'llm', interval: 10, maxPrompts: 3, resetOnSpeech: true });
    expect(agentConfig.goodbye.maxSeconds).toBe(10);
    expect(agentConfig.closeAction).toBe('delete-room');
    expect(agentConfig.dial).toMatchObject({ settleTimeout: 45, onCallerLeft: 'cancel', allow: ['+1*'], maxPerCall: 3 });
    expect(agentConfig.dial).toMatchObject({ onVoicemail: 'hangup', amd: { enabled: true, noSpeechTimeout: 10, detectionTimeout: 20, models: 'auto' } });
    expect(agentConfig.maxCallDuration).toBeNull();
    expect(agentConfig.shutdown.budget).toBe(5);
  });
});

describe('config validation names the key path and the bad value', () => {
  it.each([
    [{ checkIn: { interval: -1 } }, 'checkIn.interval', '-1'],
    [{ presence: { userAwayTimeout: 0 } }, 'presence.userAwayTimeout', '0'],
    [{ presence: { activitySignal: 'loud' } }, 'presence.activitySignal', '"loud"'],
    [{ checkIn: { maxPrompts: 2.5 } }, 'checkIn.maxPrompts', '2.5'],
    [{ goodbye: { maxSeconds: '10' } }, 'goodbye.maxSeconds', '"10"'],
    [{ closeAction: 'hangup' }, 'closeAction', '"hangup"'],
    [{ dial: { allow: ['+1 555'] } }, 'dial.allow.0', '"+1 555"'],
    [{ maxCallDuration: { seconds: 60, warnBefore: 60 } }, 'maxCallDuration.warnBefore', '60'],
    [{ dial: { maxSeconds: 20, ringingTimeout: 30 } }, 'dial.maxSeconds', '20'],
    [{ dial: { onVoicemail: 'beep' } }, 'dial.onVoicemail', '"beep"'],
    [{ dial: { voicemailMessage: '' } }, 'dial.voicemailMessage', '""'],
    [{ dial: { amd: { noSpeechTimeout: 0 } } }, 'dial.amd.noSpeechTimeout', '0'],
    [{ dial: { amd: { detectionTimeout: -5 } } }, 'dial.amd.detectionTimeout', '-5'],
    [{ dial: { amd: { enabled: 'yes' } } }, 'dial.amd.enabled', '"yes"'],
    [{ dial: { amd: { models: 'openai' } } }, 'dial.amd.models', '"openai"'],
  ])('%j → %s', (input, path, shown) => {
    const e = errorOf(() => defineConfig(input as never));
    expect(e.problems.map((p) => p.path)).toContain(path);
    expect(e.message).toContain(`${path}: `);
    expect(e.message).toContain(`(got ${shown})`);
  });

  it('rejects unknown keys, naming each one', () => {
    const e = errorOf(() => defineConfig({ checkIn: { intervall: 5 }, extra: true } as never));
    expect(e.problems.map((p) => [p.path, p.message])).toEqual(
      expect.arrayContaining([
        ['checkIn.intervall', 'unknown key'],
        ['extra', 'unknown key'],
      ]),
    );
  });

  it('rejects a processTimeout the bounded shutdown cannot fit in, as the framework runs its kill timer', () => {
    const e = errorOf(() => defineConfig({ shutdown: { budget: 8, callbackTimeout: 3, margin: 5, processTimeout: 10 } }));
    expect(e.problems[0]).toMatchObject({ path: 'shutdown.processTimeout', value: 10 });
    expect(e.message).toContain('8 + 5 = 13 s');
  });

  it('a long dial settle and goodbye do not count against processTimeout: the kill timer only runs on a worker close, which skips both', () => {
    expect(() => defineConfig({ dial: { settleTimeout: 50 }, goodbye: { maxSeconds: 15 }, shutdown: { processTimeout: 60 } })).not.toThrow();
  });

  it('rejects a fractional dial.ringingTimeout: livekit-server-sdk sends it through BigInt(), so every dial would fail', () => {
    const e = errorOf(() => defineConfig({ dial: { ringingTimeout: 2.5 } }));
    expect(e.problems).toEqual([expect.objectContaining({ path: 'dial.ringingTimeout', value: 2.5 })]);
    expect(e.message).toMatch(/dial\.ringingTimeout: .*whole number.*\(got 2\.5\)/);
  });

  it('reports every problem at once', () => {
    const e = errorOf(() => defineConfig({ checkIn: { interval: 0, maxPrompts: 0 } }));
    expect(e.problems.map((p) => p.path).sort()).toEqual(['checkIn.interval', 'checkIn.maxPrompts']);
  });
});

describe('overrides', () => {
  it('merge deeply and are validated like the file', () => {
    const c = withOverrides(agentConfig, { checkIn: { interval: 4 } }, 'test');
    expect(c.checkIn.interval).toBe(4);
    expect(c.checkIn.maxPrompts).toBe(agentConfig.checkIn.maxPrompts);
    expect(() => withOverrides(agentConfig, { checkIn: { interval: 'soon' } }, 'dispatch metadata')).toThrow(
      /invalid dispatch metadata:\n {2}- checkIn.interval: .*\(got "soon"\)/,
    );
    expect(withOverrides(agentConfig, { maxCallDuration: { seconds: 900 } }, 't').maxCallDuration).toEqual({
      seconds: 900,
      warnBefore: 30,
      message: expect.any(String),
    });
  });

  it('come from the environment, typed', () => {
    const o = envOverride({
      AGENT_USER_AWAY_TIMEOUT: '20',
      AGENT_CHECKIN_MODE: 'fixed',
      AGENT_DIAL_ALLOW: '+1*, +44*',
      AGENT_CONFIG_JSON: '{"goodbye":{"messages":{"end_requested":"Bye."}}}',
    });
    const c = withOverrides(agentConfig, o, 'environment');
    expect(c.presence.userAwayTimeout).toBe(20);
    expect(c.checkIn.mode).toBe('fixed');
    expect(c.dial.allow).toEqual(['+1*', '+44*']);
    expect(c.goodbye.messages.end_requested).toBe('Bye.');
  });

  it('say clearly when AGENT_CONFIG_JSON is not JSON', () => {
    expect(() => envOverride({ AGENT_CONFIG_JSON: '{oops' })).toThrow(/AGENT_CONFIG_JSON: not valid JSON/);
  });
});
