/**
 * What counts as the user (or, in a conference, anyone) being there, and what does not.
 */
import { describe, expect, it } from 'vitest';
import { away, calleeStops, calleeTalks, checkInDone, dialManager, fixed, listening, managerAnswered, quietUser, speaking, startCall } from './support/call.js';

const dial = dialManager;
const answered = managerAnswered;

describe('presence: LiveKit’s user state', () => {
  it('the user talking, then falling quiet, while LiveKit’s timer runs is not an away: only LiveKit’s away is', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(5, speaking).at(7, quietUser).until(21);
    expect(call.of('checkIn')).toHaveLength(0);
    call.at(22, away);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[22, 1]]);
  });
});

describe('presence in a conference', () => {
  it("the caller hangs up mid-sentence (onCallerLeft 'continue'): their last speaking state does not hold the window over the callee", () => {
    const call = startCall({ checkIn: fixed, dial: { onCallerLeft: 'continue' } }).at(0, listening).at(1, dial).at(10, answered);
    call.at(12, speaking).at(13, { type: 'CALLER_DISCONNECTED' }).until(27.999);
    expect(call.of('checkIn')).toHaveLength(0);
    call.until(28);
    expect(call.of('checkIn').map((c) => [c.t, c.audience])).toEqual([[28, 'room']]);
  });

  it('the end of a hello the callee began before the answer reached us is not an answer to the room check-in', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(1, dial).at(9, calleeTalks).at(10, answered).until(25);
    call.at(26, checkInDone(1)).at(30, calleeStops).until(36);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt, c.audience])).toEqual([[25, 1, 'room'], [36, 2, 'room']]);
  });

  it("in 'llm' mode the room check-in is generated from the room's instructions", () => {
    const call = startCall({ checkIn: { mode: 'llm', roomInstructions: 'Ask the room.' } }).at(0, listening).at(1, dial).at(10, answered).until(25);
    expect(call.of('checkIn')).toEqual([expect.objectContaining({ mode: 'llm', audience: 'room', instructions: 'Ask the room.', text: 'Is everyone still there?', t: 25 })]);
  });
});
