/**
 * A call on a virtual clock, driven event by event: the real machine, commands recorded with their times.
 * `call.at(17, event)` advances the clock to 17 s (firing machine timers on the way) and sends the event.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { callSettings } from '../../machines/call.machine.js';
import type { CallEvent, Command } from '../../machines/events.js';
import { defineConfig } from '../../src/config/load.js';
import type { AgentConfigInput } from '../../src/config/schema.js';
import { createCallActor } from '../../src/commands.js';

export type Recorded = Command & { t: number };

export function startCall(config: AgentConfigInput = {}) {
  const settings = callSettings(defineConfig(config));
  const clock = FakeTimers.createClock(0);
  const commands: Recorded[] = [];
  const actor = createCallActor(
    (c) => commands.push({ ...c, t: clock.now / 1000 }),
    {
      input: settings,
      clock: {
        setTimeout: (fn: () => void, ms: number): unknown => clock.setTimeout(fn, ms),
        clearTimeout: (id: unknown) => clock.clearTimeout(id as number & FakeTimers.NodeTimer),
      },
    },
  ).start();
  const advanceTo = (seconds: number) => {
    const ms = Math.round(seconds * 1000) - clock.now;
    if (ms < 0) throw new Error(`time goes forward: at ${seconds}s but now is ${clock.now / 1000}s`);
    clock.tick(ms);
  };
  const call = {
    actor,
    settings,
    commands,
    /** Advance to `seconds`, then send the events (in order, at that instant). */
    at(seconds: number, ...events: CallEvent[]) {
      advanceTo(seconds);
      for (const e of events) actor.send(e);
      return call;
    },
    /** Advance to `seconds`. */
    until(seconds: number) {
      advanceTo(seconds);
      return call;
    },
    types: () => commands.map((c) => c.type),
    of: <K extends Command['type']>(type: K) => commands.filter((c): c is Extract<Recorded, { type: K }> => c.type === type),
    done: () => actor.getSnapshot().status === 'done',
    value: () => actor.getSnapshot().value,
  };
  return call;
}

/** LiveKit's way in: the agent starts listening, then the user is marked away. */
export const listening: CallEvent = { type: 'AGENT_STATE', state: 'listening' };
export const away: CallEvent = { type: 'USER_STATE', state: 'away' };
export const speaking: CallEvent = { type: 'USER_STATE', state: 'speaking' };
export const transcript = (text = 'yes I am here'): CallEvent => ({ type: 'TRANSCRIPT', text });
export const checkInDone = (attempt: number): CallEvent => ({ type: 'PLAYOUT_FINISHED', prompt: 'checkIn', attempt });
export const goodbyeDone: CallEvent = { type: 'PLAYOUT_FINISHED', prompt: 'goodbye' };
export const fixed = { mode: 'fixed', interval: 10, maxPrompts: 3 } as const;

/** The conference the scenarios build: the manager dialed, answering, talking; the caller quiet. */
export const MANAGER = '+15550001111';
export const dialManager: CallEvent = { type: 'DIAL_REQUESTED', number: MANAGER };
export const managerAnswered: CallEvent = { type: 'DIAL_SETTLED', number: MANAGER, outcome: 'answered' };
export const calleeTalks: CallEvent = { type: 'CALLEE_SPEAKING', speaking: true };
export const calleeStops: CallEvent = { type: 'CALLEE_SPEAKING', speaking: false };
export const quietUser: CallEvent = { type: 'USER_STATE', state: 'listening' };
