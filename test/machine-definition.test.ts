/**
 * The machine and the config rules load, and a call starts where every rule expects it: live, presence trusting
 * LiveKit's away, no dial, no call timer unless configured. The modules are imported inside the test, so a broken
 * definition fails a test here (not only the loading of the files that import it).
 */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';

describe('the call machine', () => {
  it('loads, and a call starts live: presence trusting LiveKit, user tracked, no dial, no timer', async () => {
    const { callMachine, callSettings } = await import('../machines/call.machine.js');
    const { defineConfig } = await import('../src/config/load.js');
    const actor = createActor(callMachine, { input: callSettings(defineConfig({})) }).start();
    expect(actor.getSnapshot().value).toEqual({
      live: { presence: { active: { present: 'trusting' } }, callerLink: 'connected', user: 'tracking', dial: 'idle', callTimer: 'off' },
    });
    actor.stop();
  });

  it('with a call duration limit the timer starts before its warning', async () => {
    const { callMachine, callSettings } = await import('../machines/call.machine.js');
    const { defineConfig } = await import('../src/config/load.js');
    const actor = createActor(callMachine, { input: callSettings(defineConfig({ maxCallDuration: { seconds: 600 } })) }).start();
    expect(actor.getSnapshot().value).toMatchObject({ live: { callTimer: 'beforeWarning' } });
    actor.stop();
  });
});
