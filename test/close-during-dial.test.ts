/**
 * A close wanted for another reason (an end request, a drain, the time limit) while a dial is in flight waits for
 * the dial to settle. These are the calls where something else happens during that wait: the caller leaves, the
 * room goes, the model asks for another dial, a stale report arrives.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent, DialOutcome } from '../machines/events.js';
import { goodbyeDone, listening, startCall } from './support/call.js';

const MANAGER = '+15550001111';
const dial = (number = MANAGER): CallEvent => ({ type: 'DIAL_REQUESTED', number });
const settled = (outcome: DialOutcome, number = MANAGER): CallEvent => ({ type: 'DIAL_SETTLED', number, outcome });
const endRequested: CallEvent = { type: 'END_REQUESTED', source: 'backend' };
const callerLeaves: CallEvent = { type: 'CALLER_DISCONNECTED' };

/** The manager is being dialed from t=1; a backend asks to end the call at t=3, so the close waits for the dial. */
const closeWaitingForDial = (config: Parameters<typeof startCall>[0] = {}) => {
  const call = startCall(config).at(0, listening).at(1, dial()).at(3, endRequested);
  expect(call.types()).toEqual(['dialStart']);
  return call;
};

describe('a requested close waits for a dial, and meanwhile', () => {
  it('the caller leaves: the dial (for the caller) is cancelled at once, and nobody is left for a goodbye', () => {
    const call = closeWaitingForDial().at(5, callerLeaves);
    expect(call.types()).toEqual(['dialStart', 'dialCancel', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(call.of('dialCancel')).toEqual([{ type: 'dialCancel', number: MANAGER, t: 5 }]);
    expect(call.of('dialEnd')).toEqual([{ type: 'dialEnd', number: MANAGER, outcome: 'cancelled', t: 5 }]);
    expect(call.of('shutdown').map((s) => s.reason)).toEqual(['end_requested']);
  });

  it("the caller leaves with onCallerLeft 'continue': the dial still settles, then the call closes without a goodbye", () => {
    const call = closeWaitingForDial({ dial: { onCallerLeft: 'continue' } }).at(5, callerLeaves);
    expect(call.types()).toEqual(['dialStart']);
    call.at(9, settled('busy'));
    expect(call.types()).toEqual(['dialStart', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(call.of('shutdown').map((s) => s.reason)).toEqual(['end_requested']);
  });

  it('the room is deleted: the dial is recorded as cancelled (nothing to cancel), no goodbye, the room not deleted again', () => {
    const call = closeWaitingForDial().at(5, { type: 'ROOM_DISCONNECTED', deleted: true });
    expect(call.types()).toEqual(['dialStart', 'dialEnd', 'sessionClose', 'shutdown']);
    expect(call.of('dialEnd').map((d) => d.outcome)).toEqual(['cancelled']);
    expect(call.of('shutdown').map((s) => s.reason)).toEqual(['end_requested']);
  });

  it('the dial fails: recorded with its SIP status, then the goodbye', () => {
    const call = closeWaitingForDial().at(6, { type: 'DIAL_SETTLED', number: MANAGER, outcome: 'failed', sipStatus: 503 });
    expect(call.of('dialEnd')).toStrictEqual([{ type: 'dialEnd', number: MANAGER, outcome: 'failed', sipStatus: 503, t: 6 }]);
    expect(call.of('goodbye').map((g) => g.reason)).toEqual(['end_requested']);
  });

  it('the model asks for another dial: refused as closing, never dialed; the close still waits for the first', () => {
    const call = closeWaitingForDial().at(4, dial('+15550002222'));
    expect(call.of('dialRefused')).toEqual([{ type: 'dialRefused', number: '+15550002222', reason: 'closing', t: 4 }]);
    call.at(9, settled('no-answer'));
    expect(call.types()).toEqual(['dialStart', 'dialRefused', 'dialEnd', 'goodbye']);
    expect(call.of('dialStart').map((d) => d.number)).toEqual([MANAGER]);
  });

  it('a settle report for another number (a stale dial) does not end the wait', () => {
    const call = closeWaitingForDial().at(4, settled('answered', '+15559999999')).until(20);
    expect(call.types()).toEqual(['dialStart']);
    call.at(21, { type: 'DIAL_SETTLED', number: MANAGER, outcome: 'answered' });
    expect(call.types()).toEqual(['dialStart', 'dialEnd', 'goodbye']);
    // Recorded as reported: no SIP status when the dialer gave none.
    expect(call.of('dialEnd')[0]).toStrictEqual({ type: 'dialEnd', number: MANAGER, outcome: 'answered', t: 21 });
    call.at(23, goodbyeDone);
    expect(call.of('shutdown').map((s) => [s.reason, s.t])).toEqual([['end_requested', 23]]);
  });
});
