/**
 * Presence is paused while a tool runs or a dial is in flight: nothing presence-related happens, but what the user
 * says meanwhile still answers the check-ins before the pause.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../machines/events.js';
import { away, checkInDone, fixed, listening, speaking, startCall, transcript } from './support/call.js';

const toolStarts: CallEvent = { type: 'TOOL_STARTED', name: 'lookup' };
const toolEnds: CallEvent = { type: 'TOOL_FINISHED', name: 'lookup' };

/** Two check-ins go unanswered (at 15 and 26), then the agent runs a tool from 30 to 35. */
const twoUnansweredThenTool = (config: Parameters<typeof startCall>[0] = {}) => {
  const call = startCall({ checkIn: fixed, ...config }).at(0, listening).at(15, away).at(16, checkInDone(1));
  call.at(27, checkInDone(2)).at(30, toolStarts);
  expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[15, 1], [26, 2]]);
  return call;
};

describe('presence: the user answers while presence is paused', () => {
  it("on a noisy line (activitySignal 'transcript'), a transcript during a tool answers the check-ins: the count starts over", () => {
    const call = twoUnansweredThenTool({ presence: { activitySignal: 'transcript' } }).at(32, transcript()).at(35, toolEnds);
    call.until(49.999);
    expect(call.of('checkIn')).toHaveLength(2);
    call.until(50); // a full own window after the tool
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[15, 1], [26, 2], [50, 1]]);
  });

  it("on a noisy line, detected speech alone during a tool is not an answer: the next check-in is #3", () => {
    const call = twoUnansweredThenTool({ presence: { activitySignal: 'transcript' } }).at(32, speaking, { type: 'USER_STATE', state: 'listening' });
    call.at(35, toolEnds).until(50);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[15, 1], [26, 2], [50, 3]]);
  });

  it('with VAD, speech detected during a tool answers the check-ins (no transcript needed)', () => {
    const call = twoUnansweredThenTool().at(32, speaking, { type: 'USER_STATE', state: 'listening' }).at(35, toolEnds).until(50);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[15, 1], [26, 2], [50, 1]]);
  });

  it('with resetOnSpeech off, an answer during a tool does not start the count over: the next check-in is #3', () => {
    const call = twoUnansweredThenTool({ checkIn: { ...fixed, resetOnSpeech: false } }).at(32, transcript()).at(35, toolEnds).until(50);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[15, 1], [26, 2], [50, 3]]);
  });
});

describe('presence: when a pause ends, the machine runs its own full window', () => {
  const quietUser: CallEvent = { type: 'USER_STATE', state: 'listening' };

  it('the user is still talking when the tool ends: the window waits until they stop', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(1, toolStarts).at(3, speaking).at(5, toolEnds).until(29.999);
    expect(call.of('checkIn')).toHaveLength(0);
    call.at(30, quietUser).until(44.999);
    expect(call.of('checkIn')).toHaveLength(0);
    call.until(45);
    expect(call.of('checkIn').map((c) => c.t)).toEqual([45]);
  });

  it('the user answers in that window: the count starts over and LiveKit’s away is the signal again', () => {
    const call = twoUnansweredThenTool().at(35, toolEnds).at(40, speaking).at(41, quietUser).until(59);
    expect(call.of('checkIn')).toHaveLength(2); // no own window any more (it would have fired at 50)
    call.at(60, away);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[15, 1], [26, 2], [60, 1]]);
  });

  it('a transcript in that window does the same', () => {
    const call = twoUnansweredThenTool({ presence: { activitySignal: 'transcript' } }).at(35, toolEnds).at(40, transcript()).until(59);
    expect(call.of('checkIn')).toHaveLength(2);
    call.at(60, away);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[15, 1], [26, 2], [60, 1]]);
  });

  it('a tool that runs before the agent ever listened (still initializing): no window runs until it listens', () => {
    const call = startCall({ checkIn: fixed }).at(1, toolStarts).at(2, toolEnds).until(60);
    expect(call.of('checkIn')).toHaveLength(0);
    call.at(60, listening).until(75);
    expect(call.of('checkIn').map((c) => c.t)).toEqual([75]);
  });
});

describe('presence in a conference: the callee answers while presence is paused', () => {
  const MANAGER = '+15550001111';
  const dial: CallEvent = { type: 'DIAL_REQUESTED', number: MANAGER };
  const answered: CallEvent = { type: 'DIAL_SETTLED', number: MANAGER, outcome: 'answered' };
  const calleeTalks: CallEvent = { type: 'CALLEE_SPEAKING', speaking: true };
  const calleeStops: CallEvent = { type: 'CALLEE_SPEAKING', speaking: false };

  it('the callee talking during a tool answers the room check-in: the count starts over', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(1, dial).at(10, answered).until(25).at(26, checkInDone(1));
    call.at(30, toolStarts).at(31, calleeTalks).at(32, calleeStops).at(35, toolEnds).until(50);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt, c.audience])).toEqual([[25, 1, 'room'], [50, 1, 'room']]);
  });

  it('the end of a hello the callee began before the answer reached us is not an answer (during a tool)', () => {
    // The active-speaker update arrived before the dial's answer: the start was ignored (no callee yet), only its end counts.
    const call = startCall({ checkIn: fixed }).at(0, listening).at(1, dial).at(9, calleeTalks).at(10, answered).until(25).at(26, checkInDone(1));
    call.at(28, toolStarts).at(30, calleeStops).at(40, toolEnds).until(55);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[25, 1], [55, 2]]);
  });
});
