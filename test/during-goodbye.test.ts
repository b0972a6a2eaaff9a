/**
 * The goodbye is playing: the call is closing, and what arrives now either ends it sooner or changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { away, checkInDone, fixed, goodbyeDone, listening, startCall } from './support/call.js';

/** Check-in #1 at 15 whose playout never reports: its bound (5 s), the interval (10 s), then the goodbye at 30. */
const toGoodbye = () => {
  const call = startCall({ checkIn: { ...fixed, maxPrompts: 1, maxSeconds: 5 } }).at(0, listening).at(15, away).until(30);
  expect(call.types()).toEqual(['checkIn', 'goodbye']);
  return call;
};

describe('during the goodbye', () => {
  it('a late report of the check-in’s playout does not cut the goodbye short', () => {
    const call = toGoodbye().at(31, checkInDone(1));
    expect(call.done()).toBe(false);
    call.at(33, goodbyeDone);
    expect(call.of('shutdown')).toEqual([{ type: 'shutdown', reason: 'user_unresponsive', t: 33 }]);
  });

  it('the room is deleted: the call closes at once and does not delete the room again', () => {
    const call = toGoodbye().at(31, { type: 'ROOM_DISCONNECTED', deleted: true });
    expect(call.types()).toEqual(['checkIn', 'goodbye', 'sessionClose', 'shutdown']);
    expect(call.of('shutdown')).toEqual([{ type: 'shutdown', reason: 'user_unresponsive', t: 31 }]);
  });
});
