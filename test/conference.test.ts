/**
 * After a dial is answered the caller and the callee talk to each other: a conference. The session's input hears only
 * the caller, so presence also hears the callee (the room's active speakers, CALLEE_SPEAKING), ignores LiveKit's
 * caller-only `away`, and runs its own window that everyone's speech holds and restarts. A check-in then addresses
 * the room. With onCallerLeft 'continue' the call goes on with the callee when the caller leaves.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../machines/events.js';
import { away, calleeStops, calleeTalks, checkInDone, dialManager, fixed, goodbyeDone, listening, managerAnswered, quietUser, speaking, startCall, transcript } from './support/call.js';

const dial = dialManager;
const answered = managerAnswered;

/** A call in which the manager answered at t=10 (presence resumes with a full 15 s window then). */
const conference = (config = {}) => startCall({ checkIn: fixed, ...config }).at(0, listening).at(1, dial).at(10, answered);

describe('presence in a conference', () => {
  it('the callee talking for a long while: no check-in, no goodbye, no close over the humans talking', () => {
    const call = conference().at(12, calleeTalks);
    // LiveKit marks the (quiet) caller away: in a conference that is not the signal.
    call.at(27, away).until(200);
    expect(call.types()).toEqual(['dialStart', 'dialEnd']);
    // The callee stops: everybody is silent, the window runs from there, and the check-in addresses the room.
    call.at(200, calleeStops).until(214.999);
    expect(call.of('checkIn')).toHaveLength(0);
    call.until(215);
    expect(call.of('checkIn')).toEqual([expect.objectContaining({ attempt: 1, audience: 'room', text: 'Is everyone still there?', t: 215 })]);
  });

  it('speech from anyone restarts the window: the caller, then the callee', () => {
    const call = conference();
    call.at(20, speaking).at(22, quietUser, transcript()); // the caller
    call.at(30, calleeTalks).at(31, calleeStops); // the callee
    call.until(45.999);
    expect(call.of('checkIn')).toHaveLength(0);
    call.until(46); // 15 s after the last human speech
    expect(call.of('checkIn').map((c) => [c.t, c.audience])).toEqual([[46, 'room']]);
  });

  it('the callee answering a room check-in brings everyone back', () => {
    const call = conference().until(25);
    expect(call.of('checkIn').map((c) => c.t)).toEqual([25]);
    call.at(26, checkInDone(1)).at(30, calleeTalks).at(32, calleeStops).until(46.999);
    expect(call.of('checkIn')).toHaveLength(1);
    call.until(47);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[25, 1], [47, 1]]); // a new spell, count reset
  });

  it('callee speech before the dial was answered is not a conference signal', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(2, calleeTalks).at(15, away);
    expect(call.of('checkIn').map((c) => [c.t, c.audience])).toEqual([[15, 'caller']]);
  });

  it('the callee leaving ends the conference: presence follows the caller again (check-ins to the caller)', () => {
    const call = conference().at(12, { type: 'CALLEE_LEFT' }).until(27);
    expect(call.of('checkIn').map((c) => [c.t, c.audience])).toEqual([[25, 'caller']]);
  });
});

describe("the caller leaves with onCallerLeft 'continue'", () => {
  const cont = { dial: { onCallerLeft: 'continue' as const } };

  it('during the conference: the call goes on with the callee; presence follows them; the room stays', () => {
    const call = conference(cont).at(12, { type: 'CALLER_DISCONNECTED' }).at(13, calleeTalks).at(60, calleeStops);
    expect(call.types()).toEqual(['dialStart', 'dialEnd']);
    call.until(75);
    expect(call.of('checkIn').map((c) => [c.t, c.audience])).toEqual([[75, 'room']]);
    // Nobody answers: goodbye, close, and then the room goes (nobody talked for the whole window and the check-ins).
    call.at(76, checkInDone(1)).at(86, checkInDone(2)).at(96, checkInDone(3)).until(106);
    expect(call.of('goodbye').map((g) => g.reason)).toEqual(['user_unresponsive']);
    call.at(107, goodbyeDone);
    expect(call.of('shutdown').map((s) => s.reason)).toEqual(['user_unresponsive']);
  });

  it('then the callee leaves too: nobody is left, the call ends as caller_left', () => {
    const call = conference(cont).at(12, { type: 'CALLER_DISCONNECTED' }).at(20, { type: 'CALLEE_LEFT' });
    expect(call.types()).toEqual(['dialStart', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(call.of('shutdown').map((s) => s.reason)).toEqual(['caller_left']);
  });

  it("with 'cancel' (the default) the caller leaving a conference ends the call, as before", () => {
    const call = conference().at(12, { type: 'CALLER_DISCONNECTED' });
    expect(call.of('shutdown').map((s) => s.reason)).toEqual(['caller_left']);
  });
});

describe('goodbye by reason', () => {
  const cases: { event: CallEvent; reason: string; text: string }[] = [
    { event: { type: 'END_REQUESTED', source: 'frontend' }, reason: 'end_requested', text: 'Okay, ending the call now. Goodbye!' },
    { event: { type: 'MAX_DURATION_REACHED' }, reason: 'max_duration', text: "We've reached the time limit for this call. Goodbye!" },
    { event: { type: 'DRAIN' }, reason: 'drain', text: 'I have to end the call now. Sorry about that, goodbye!' },
  ];
  for (const c of cases) {
    it(`${c.reason}: its own goodbye, not "you've stepped away"`, () => {
      const call = startCall().at(0, listening).at(5, c.event);
      expect(call.of('goodbye')).toEqual([expect.objectContaining({ reason: c.reason, text: c.text })]);
    });
  }
  it('user_unresponsive: the stepped-away goodbye', () => {
    const call = startCall({ checkIn: { ...fixed, maxPrompts: 1 } }).at(0, listening).at(15, away).at(16, checkInDone(1)).until(26);
    expect(call.of('goodbye')).toEqual([expect.objectContaining({ reason: 'user_unresponsive', text: "It seems you've stepped away. I'll end the call now. Goodbye!" })]);
  });
});
