/**
 * One dial from start to end, as the record shows it: what is recorded when it settles, the caller's hold around
 * it (dial.holdCaller), and a new dial once it is over.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../machines/events.js';
import { listening, startCall } from './support/call.js';

const MANAGER = '+15550001111';
const dial = (number = MANAGER): CallEvent => ({ type: 'DIAL_REQUESTED', number });

describe('a dial, start to end', () => {
  it('an answered dial is recorded with its number and outcome (no SIP status when none was reported)', () => {
    const call = startCall().at(0, listening).at(1, dial()).at(7, { type: 'DIAL_SETTLED', number: MANAGER, outcome: 'answered' });
    expect(call.of('dialEnd')).toStrictEqual([{ type: 'dialEnd', number: MANAGER, outcome: 'answered', t: 7 }]);
  });

  it('a no-answer without a SIP status is recorded as reported', () => {
    const call = startCall().at(0, listening).at(1, dial()).at(31, { type: 'DIAL_SETTLED', number: MANAGER, outcome: 'no-answer' });
    expect(call.of('dialEnd')).toStrictEqual([{ type: 'dialEnd', number: MANAGER, outcome: 'no-answer', t: 31 }]);
  });

  it('after the first person answered, the model can add a second one', () => {
    const call = startCall().at(0, listening).at(1, dial()).at(7, { type: 'DIAL_SETTLED', number: MANAGER, outcome: 'answered' });
    call.at(20, dial('+15550002222'));
    expect(call.of('dialStart').map((d) => d.number)).toEqual([MANAGER, '+15550002222']);
    expect(call.of('dialRefused')).toEqual([]);
  });

  it("in a conference, the caller hangs up while a second person is dialed (onCallerLeft 'cancel'): the dial is cancelled and the call ends", () => {
    const call = startCall().at(0, listening).at(1, dial()).at(7, { type: 'DIAL_SETTLED', number: MANAGER, outcome: 'answered' });
    call.at(20, dial('+15550002222')).at(25, { type: 'CALLER_DISCONNECTED' });
    expect(call.types()).toEqual(['dialStart', 'dialEnd', 'dialStart', 'dialCancel', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(call.of('dialCancel').map((d) => d.number)).toEqual(['+15550002222']);
    expect(call.of('shutdown').map((s) => s.reason)).toEqual(['caller_left']);
  });

  it('the session closes by itself mid-dial: the dial is cancelled at once (not waited for), and the call ends', () => {
    const call = startCall().at(0, listening).at(1, dial()).at(5, { type: 'SESSION_CLOSED' });
    expect(call.types()).toEqual(['dialStart', 'dialCancel', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(call.of('dialCancel')).toEqual([{ type: 'dialCancel', number: MANAGER, t: 5 }]);
    expect(call.of('shutdown').map((s) => [s.reason, s.t])).toEqual([['session_closed', 5]]);
  });

  it('the session closes while a close waits for a dial to settle: the dial is cancelled then, not at dial.settleTimeout', () => {
    const call = startCall().at(0, listening).at(1, dial()).at(3, { type: 'END_REQUESTED', source: 'backend' }).at(6, { type: 'SESSION_CLOSED' });
    expect(call.of('dialCancel')).toEqual([{ type: 'dialCancel', number: MANAGER, t: 6 }]);
    expect(call.of('shutdown').map((s) => [s.reason, s.t])).toEqual([['end_requested', 6]]);
    expect(call.of('goodbye')).toEqual([]);
  });

  it('after the watchdog cancelled a dial that never reported, the next one is placed', () => {
    const call = startCall({ dial: { maxSeconds: 40, amd: { enabled: false } } }).at(0, listening).at(1, dial()).until(41);
    expect(call.of('dialCancel')).toEqual([{ type: 'dialCancel', number: MANAGER, t: 41 }]);
    call.at(42, dial('+15550002222'));
    expect(call.of('dialStart').map((d) => d.number)).toEqual([MANAGER, '+15550002222']);
    expect(call.of('dialRefused')).toEqual([]);
  });
});

describe('caller hold (dial.holdCaller) spans exactly the dial', () => {
  for (const holdCaller of [{ audioInput: true }, { muteTrack: true }]) {
    it(`${JSON.stringify(holdCaller)}: held when the dial starts, released when it settles`, () => {
      const call = startCall({ dial: { holdCaller } }).at(0, listening).at(1, dial()).at(8, { type: 'DIAL_SETTLED', number: MANAGER, outcome: 'busy', sipStatus: 486 });
      expect(call.commands.map((c) => [c.type, c.t])).toEqual([
        ['dialStart', 1],
        ['holdCaller', 1],
        ['dialEnd', 8],
        ['releaseCaller', 8],
      ]);
    });
  }

  it('released when the dial is cancelled because the caller left', () => {
    const call = startCall({ dial: { holdCaller: { muteTrack: true } } }).at(0, listening).at(1, dial()).at(4, { type: 'CALLER_DISCONNECTED' });
    expect(call.types()).toEqual(['dialStart', 'holdCaller', 'dialCancel', 'dialEnd', 'releaseCaller', 'sessionClose', 'shutdown', 'deleteRoom']);
  });

  it('off by default: no hold, no release', () => {
    const call = startCall().at(0, listening).at(1, dial()).at(8, { type: 'DIAL_SETTLED', number: MANAGER, outcome: 'busy' });
    expect(call.types()).toEqual(['dialStart', 'dialEnd']);
  });
});
