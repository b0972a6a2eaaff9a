import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../machines/events.js';
import { away, checkInDone, fixed, listening, speaking, startCall, transcript } from './support/call.js';

const MANAGER = '+15550001111';
const dial = (number = MANAGER): CallEvent => ({ type: 'DIAL_REQUESTED', number });
const settled = (outcome: 'answered' | 'busy' | 'no-answer' | 'failed', sipStatus?: number, number = MANAGER): CallEvent =>
  sipStatus === undefined ? { type: 'DIAL_SETTLED', number, outcome } : { type: 'DIAL_SETTLED', number, outcome, sipStatus };
const PRESENCE_CLOSE = ['checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom', 'dialCancel'];

describe('outbound dial guard', () => {
  it('user goes quiet while the manager is being dialed: nothing presence-related happens until it settles', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(3, dial());
    call.at(18, away).at(20, speaking, transcript()).at(35, away).until(42.999);
    expect(call.types()).toEqual(['dialStart']);
    call.at(43, settled('answered'));
    expect(call.types()).toEqual(['dialStart', 'dialEnd']);
    call.until(57.999);
    expect(call.of('checkIn')).toHaveLength(0);
    call.until(58); // a full window after the dial settled
    expect(call.of('checkIn').map((c) => c.t)).toEqual([58]);
  });

  it('a dial requested mid check-in cycle freezes the cycle; it resumes with a full window afterwards', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(15, away).at(16, checkInDone(1)).at(20, dial());
    call.until(79); // the dial rings for almost dial.maxSeconds (60 s)
    expect(call.types().filter((t) => PRESENCE_CLOSE.includes(t))).toEqual(['checkIn']);
    call.at(79, settled('busy', 486)).until(94);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[15, 1], [94, 2]]);
  });

  it('records the outcome with its SIP status', () => {
    const call = startCall().at(0, listening).at(1, dial()).at(4, settled('busy', 486));
    expect(call.of('dialEnd')).toEqual([{ type: 'dialEnd', number: MANAGER, outcome: 'busy', sipStatus: 486, t: 4 }]);
  });

  it('refuses a second dial while one is in flight, a non-E.164 number and a denied number; none is dialed', () => {
    const call = startCall().at(0, listening).at(1, dial(), dial('+15550002222'), dial('0800 123'), dial('+19005550100'));
    expect(call.of('dialRefused').map((c) => [c.number, c.reason])).toEqual([
      ['+15550002222', 'dial_in_flight'],
      ['0800 123', 'dial_in_flight'],
      ['+19005550100', 'dial_in_flight'],
    ]);
    call.at(2, settled('failed', 503)).at(3, dial('0800 123'), dial('+19005550100'));
    expect(call.of('dialRefused').slice(3).map((c) => [c.number, c.reason])).toEqual([
      ['0800 123', 'not_e164'],
      ['+19005550100', 'not_allowed'],
    ]);
    expect(call.of('dialStart').map((c) => c.number)).toEqual([MANAGER]);
  });

  it('honours dial.allow', () => {
    const call = startCall({ dial: { allow: ['+44*'] } }).at(0, dial(MANAGER), dial('+442071234567'));
    expect(call.of('dialRefused').map((c) => c.reason)).toEqual(['not_allowed']);
    expect(call.of('dialStart').map((c) => c.number)).toEqual(['+442071234567']);
  });

  it('ignores a settle report for another number (a stale dial)', () => {
    const call = startCall().at(0, listening).at(1, dial()).at(2, settled('answered', undefined, '+15559999999'));
    expect(call.of('dialEnd')).toHaveLength(0);
  });

  it('an end request during a dial waits for it to settle, then says goodbye and closes', () => {
    const call = startCall().at(0, listening).at(1, dial()).at(5, { type: 'END_REQUESTED', source: 'frontend' });
    expect(call.types()).toEqual(['dialStart']);
    call.at(9, settled('no-answer', 480));
    expect(call.types()).toEqual(['dialStart', 'dialEnd', 'goodbye']);
  });

  it('a close wanted during a dial waits at most dial.settleTimeout, then cancels the dial explicitly', () => {
    const call = startCall({ dial: { settleTimeout: 20, ringingTimeout: 50, maxSeconds: 110 } }).at(0, listening).at(1, dial());
    call.at(5, { type: 'DRAIN' }).until(24.999);
    expect(call.types()).toEqual(['dialStart']);
    call.until(25);
    expect(call.commands.slice(1).map((c) => c.type)).toEqual(['dialCancel', 'dialEnd', 'goodbye']);
    expect(call.of('dialEnd')[0]).toMatchObject({ outcome: 'cancelled' });
  });

  it("caller hangs up mid-dial with onCallerLeft 'cancel': the dial is cancelled explicitly, no goodbye", () => {
    const call = startCall().at(0, listening).at(1, dial()).at(4, { type: 'CALLER_DISCONNECTED' });
    expect(call.types()).toEqual(['dialStart', 'dialCancel', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(call.of('shutdown')[0]!.reason).toBe('caller_left');
  });

  it("caller hangs up mid-dial with onCallerLeft 'continue': the dial settles, and a callee who answers is not hung up", () => {
    const call = startCall({ dial: { onCallerLeft: 'continue' } }).at(0, listening).at(1, dial()).at(4, { type: 'CALLER_DISCONNECTED' });
    expect(call.types()).toEqual(['dialStart']);
    call.at(9, settled('answered'));
    // The call goes on with the callee: no close, no room deletion under someone who just answered.
    expect(call.types()).toEqual(['dialStart', 'dialEnd']);
    expect(call.done()).toBe(false);
  });

  it("caller hangs up mid-dial with onCallerLeft 'continue' and nobody answers: then the call ends (caller_left)", () => {
    const call = startCall({ dial: { onCallerLeft: 'continue' } }).at(0, listening).at(1, dial()).at(4, { type: 'CALLER_DISCONNECTED' });
    call.at(9, settled('busy', 486));
    expect(call.types()).toEqual(['dialStart', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(call.of('shutdown').map((s) => s.reason)).toEqual(['caller_left']);
  });

  it('dial.maxPerCall: further dials are refused with reason limit, answered or not', () => {
    const call = startCall({ dial: { maxPerCall: 2 } }).at(0, listening);
    call.at(1, dial()).at(2, settled('busy', 486)).at(3, dial('+15550002222')).at(4, settled('no-answer', 480, '+15550002222'));
    call.at(5, dial('+15550003333'));
    expect(call.of('dialStart').map((d) => d.number)).toEqual([MANAGER, '+15550002222']);
    expect(call.of('dialRefused')).toEqual([expect.objectContaining({ number: '+15550003333', reason: 'limit' })]);
  });

  it('room deleted mid-dial: the dial is recorded as cancelled and the call ends without touching the room', () => {
    const call = startCall().at(0, listening).at(1, dial()).at(4, { type: 'ROOM_DISCONNECTED', deleted: true });
    expect(call.commands.map((c) => [c.type, 'outcome' in c ? c.outcome : 'reason' in c ? c.reason : ''])).toEqual([
      ['dialStart', ''],
      ['dialEnd', 'cancelled'],
      ['sessionClose', 'room_deleted'],
      ['shutdown', 'room_deleted'],
    ]);
  });

  it('a dial that never reports is cancelled by the watchdog (dial.maxSeconds), and presence resumes', () => {
    // No answering-machine detection to allow for: the watchdog may then be as short as the ringing allows.
    const call = startCall({ dial: { maxSeconds: 40, amd: { enabled: false } } }).at(0, listening).at(1, dial()).until(41);
    expect(call.types()).toEqual(['dialStart', 'dialCancel', 'dialEnd']);
    call.until(56);
    expect(call.of('checkIn').map((c) => c.t)).toEqual([56]);
  });

  it('a dial request after shutdown does nothing at all', () => {
    const call = startCall().at(0, listening).at(1, { type: 'END_REQUESTED', source: 'backend' }).at(2, { type: 'PLAYOUT_FINISHED', prompt: 'goodbye' });
    const before = call.commands.length;
    call.at(3, dial());
    expect(call.commands.length).toBe(before);
  });
});
