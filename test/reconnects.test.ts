/**
 * Reconnects, as call scenarios on a virtual clock. A caller whose connection drops without a hang-up has
 * presence.callerReconnectGrace to come back; only when it runs out is it a hang-up, with what a hang-up does (the
 * close, a dial cancelled with onCallerLeft 'cancel'). The agent's own connection reconnecting pauses presence, and a
 * full window of its own follows.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../machines/events.js';
import { away, checkInDone, dialManager, fixed, listening, managerAnswered, startCall, transcript } from './support/call.js';

const lost: CallEvent = { type: 'CALLER_CONNECTION_LOST' };
const back: CallEvent = { type: 'CALLER_RECONNECTED' };
const hangup: CallEvent = { type: 'CALLER_DISCONNECTED' };
const agentReconnecting: CallEvent = { type: 'AGENT_RECONNECTING' };
const agentReconnected: CallEvent = { type: 'AGENT_RECONNECTED' };
const GRACE = { presence: { callerReconnectGrace: 20 } };

describe('a caller whose connection drops', () => {
  it('comes back within the grace: nothing ends, and a later grace is a full one', () => {
    const call = startCall({ ...GRACE, checkIn: fixed }).at(0, listening, transcript()).at(5, lost).at(24.9, back).until(40);
    expect(call.types()).toEqual([]);
    // A second drop gets its own 20 s, not what was left of the first.
    call.at(50, transcript(), lost).until(69.999);
    expect(call.of('sessionClose')).toEqual([]);
    call.until(70);
    expect(call.of('sessionClose').map((c) => [c.t, c.reason])).toEqual([[70, 'caller_left']]);
  });

  it('does not come back: at the end of the grace it is a hang-up (caller_left, no goodbye, the room deleted)', () => {
    const call = startCall({ ...GRACE, checkIn: fixed }).at(0, listening, transcript()).at(5, lost).until(24.999);
    expect(call.types()).toEqual([]);
    call.until(25);
    expect(call.types()).toEqual(['sessionClose', 'shutdown', 'deleteRoom']);
    expect(call.of('shutdown')[0]).toMatchObject({ t: 25, reason: 'caller_left' });
    expect(call.done()).toBe(true);
  });

  it('uses the configured grace', () => {
    const call = startCall({ presence: { callerReconnectGrace: 3 }, checkIn: fixed }).at(0, listening).at(1, lost).until(3.999);
    expect(call.types()).toEqual([]);
    expect(call.until(4).of('shutdown').map((c) => [c.t, c.reason])).toEqual([[4, 'caller_left']]);
  });

  it('a hang-up while the connection is lost ends the call at once', () => {
    const call = startCall({ ...GRACE, checkIn: fixed }).at(0, listening).at(5, lost).at(8, hangup);
    expect(call.of('shutdown').map((c) => [c.t, c.reason])).toEqual([[8, 'caller_left']]);
  });

  it('presence goes on meanwhile: the check-ins still come (the caller may be back to hear them)', () => {
    const call = startCall({ ...GRACE, checkIn: fixed }).at(0, listening).at(2, lost).at(15, away).at(16, checkInDone(1)).at(20, back).until(26);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[15, 1], [26, 2]]);
    expect(call.of('sessionClose')).toEqual([]);
  });

  it('mid-dial, not back in time: the dial is cancelled as for a hang-up (onCallerLeft cancel)', () => {
    const call = startCall({ ...GRACE, checkIn: fixed }).at(0, listening).at(1, dialManager).at(5, lost).until(24.999);
    expect(call.types()).toEqual(['dialStart']);
    call.until(25);
    expect(call.types()).toEqual(['dialStart', 'dialCancel', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']);
  });

  it('in a conference, with onCallerLeft continue: not back in time, the call goes on with the callee', () => {
    const call = startCall({ ...GRACE, checkIn: fixed, dial: { onCallerLeft: 'continue' } }).at(0, listening).at(1, dialManager).at(3, managerAnswered).at(5, lost).until(60);
    expect(call.of('sessionClose')).toEqual([]);
    expect(call.done()).toBe(false);
    // The caller is gone for good: coming back after the grace does not make them the caller again.
    expect(call.value()).toMatchObject({ live: { callerLink: 'gone' } });
    expect(call.at(61, back).value()).toMatchObject({ live: { callerLink: 'gone' } });
  });
});

describe("the agent's own connection reconnecting", () => {
  it('pauses presence: no check-in while it reconnects, though LiveKit marks the caller away; then a full window', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(4, agentReconnecting).at(15, away).until(30);
    expect(call.types()).toEqual([]);
    call.at(30, agentReconnected).until(44.999);
    expect(call.types()).toEqual([]);
    expect(call.until(45).of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[45, 1]]);
  });

  it('back before the away window would have ended: presence counts a full window from its return', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(10, agentReconnecting).at(12, agentReconnected).until(26.999);
    expect(call.types()).toEqual([]);
    expect(call.until(27).of('checkIn').map((c) => c.t)).toEqual([27]);
  });
});
