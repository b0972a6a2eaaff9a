import { describe, expect, it } from 'vitest';
import { away, checkInDone, fixed, goodbyeDone, listening, speaking, startCall, transcript } from './support/call.js';

describe('presence: a user who goes quiet', () => {
  it('gets check-in #1 the moment LiveKit marks them away, then one every interval after each playout ends', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(15, away);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt, c.text])).toEqual([[15, 1, 'Are you still there?']]);
    call.at(17, checkInDone(1)).until(26.999);
    expect(call.of('checkIn')).toHaveLength(1);
    call.until(27);
    expect(call.of('checkIn').map((c) => [c.t, c.attempt])).toEqual([[15, 1], [27, 2]]);
  });

  it('is said goodbye after the last unanswered check-in, then the session closes, the job shuts down and the room goes', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(15, away);
    call.at(16, checkInDone(1)).at(27, checkInDone(2)).at(38, checkInDone(3)).until(48);
    expect(call.types()).toEqual(['checkIn', 'checkIn', 'checkIn', 'goodbye']);
    call.at(50, goodbyeDone);
    expect(call.commands.slice(4)).toEqual([
      { type: 'sessionClose', reason: 'user_unresponsive', t: 50 },
      { type: 'shutdown', reason: 'user_unresponsive', t: 50 },
      { type: 'deleteRoom', t: 50 },
    ]);
    expect(call.done()).toBe(true);
  });

  it('closes anyway when the goodbye playout never finishes (goodbye.maxSeconds)', () => {
    const call = startCall({ checkIn: { ...fixed, maxPrompts: 1 }, goodbye: { maxSeconds: 4 } }).at(0, listening).at(15, away);
    call.at(16, checkInDone(1)).until(26);
    expect(call.types()).toEqual(['checkIn', 'goodbye']);
    call.until(29.999);
    expect(call.done()).toBe(false);
    call.until(30);
    expect(call.of('shutdown')).toEqual([{ type: 'shutdown', reason: 'user_unresponsive', t: 30 }]);
  });

  it('moves on when a check-in playout never reports done (checkIn.maxSeconds)', () => {
    const call = startCall({ checkIn: { ...fixed, maxSeconds: 5 } }).at(0, listening).at(15, away).until(30);
    expect(call.of('checkIn').map((c) => c.t)).toEqual([15, 30]);
  });

  it('counts speech exactly at a check-in deadline as an answer, even when the deadline is handled first', () => {
    // This harness fires machine deadlines before events at the same instant (the simulator's steps go first,
    // see scenarios.test.ts). Either way the user is present again and the count starts over.
    const call = startCall({ checkIn: fixed }).at(0, listening).at(15, away).at(16, checkInDone(1));
    call.at(26, speaking); // the very instant check-in #2 is due
    expect(call.of('checkIn').map((c) => c.attempt)).toEqual([1, 2]);
    call.until(200);
    expect(call.of('checkIn')).toHaveLength(2);
    call.at(201, away);
    expect(call.of('checkIn').map((c) => c.attempt)).toEqual([1, 2, 1]);
    expect(call.of('goodbye')).toHaveLength(0);
  });

  it('resets the count when the user answers (resetOnSpeech), so the next quiet spell starts at #1', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(15, away).at(16, checkInDone(1));
    call.at(26).at(27, checkInDone(2)).at(30, transcript()).at(50, away);
    expect(call.of('checkIn').map((c) => c.attempt)).toEqual([1, 2, 1]);
  });

  it('keeps the count when resetOnSpeech is false: an exhausted count goes straight to goodbye', () => {
    const call = startCall({ checkIn: { ...fixed, maxPrompts: 2, resetOnSpeech: false } }).at(0, listening).at(15, away);
    call.at(16, checkInDone(1)).at(27, checkInDone(2)).at(30, transcript()).at(50, away);
    expect(call.types()).toEqual(['checkIn', 'checkIn', 'goodbye']);
  });

  it("with activitySignal 'transcript', ignores VAD speech (line noise) but not a transcript", () => {
    const noisy = startCall({ presence: { activitySignal: 'transcript' }, checkIn: fixed }).at(0, listening).at(15, away);
    noisy.at(16, checkInDone(1)).at(20, speaking).until(26);
    expect(noisy.of('checkIn').map((c) => c.attempt)).toEqual([1, 2]);
    noisy.at(27, checkInDone(2)).at(30, transcript()).until(100);
    expect(noisy.of('checkIn').map((c) => c.attempt)).toEqual([1, 2]);
  });

  it('ignores duplicate away events', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(15, away, away).at(16, away);
    expect(call.of('checkIn')).toHaveLength(1);
  });

  it('ignores a stale playout report from an earlier check-in', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(15, away).at(16, checkInDone(1)).until(26);
    call.at(27, checkInDone(1)).until(50.999);
    expect(call.of('checkIn').map((c) => c.t)).toEqual([15, 26]);
    call.until(51); // #2 never reported: its playout bound (15 s) then the interval (10 s)
    expect(call.of('checkIn').map((c) => c.t)).toEqual([15, 26, 51]);
  });

  it("in 'llm' mode asks for a generated check-in, with the fixed text as fallback", () => {
    const call = startCall({ checkIn: { mode: 'llm', instructions: 'Ask gently.' } }).at(0, listening).at(15, away);
    expect(call.of('checkIn')[0]).toMatchObject({ mode: 'llm', instructions: 'Ask gently.', text: 'Are you still there?' });
  });

  it('repeats the last fixed message when there are fewer messages than prompts', () => {
    const call = startCall({ checkIn: { ...fixed, messages: ['One?', 'Two?'] } }).at(0, listening).at(15, away);
    call.at(16, checkInDone(1)).at(27, checkInDone(2)).until(37);
    expect(call.of('checkIn').map((c) => c.text)).toEqual(['One?', 'Two?', 'Two?']);
  });
});

describe('presence: during the goodbye', () => {
  const toGoodbye = () => {
    const call = startCall({ checkIn: { ...fixed, maxPrompts: 1 } }).at(0, listening).at(15, away).at(16, checkInDone(1)).until(26);
    expect(call.types()).toEqual(['checkIn', 'goodbye']);
    return call;
  };

  it('ignores the user going away again while the goodbye plays', () => {
    const call = toGoodbye().at(27, away, speaking).at(28, goodbyeDone);
    expect(call.types()).toEqual(['checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom']);
  });

  it('does not stop the close when a tool starts during the goodbye', () => {
    const call = toGoodbye().at(27, { type: 'TOOL_STARTED', name: 'lookup' }).at(28, goodbyeDone);
    expect(call.of('shutdown')).toHaveLength(1);
  });

  it('refuses a dial requested during the goodbye', () => {
    const call = toGoodbye().at(27, { type: 'DIAL_REQUESTED', number: '+15550001111' });
    expect(call.of('dialRefused')).toEqual([{ type: 'dialRefused', number: '+15550001111', reason: 'closing', t: 27 }]);
    expect(call.of('dialStart')).toHaveLength(0);
  });

  it('closes at once without waiting for the goodbye when the caller hangs up', () => {
    const call = toGoodbye().at(27, { type: 'CALLER_DISCONNECTED' });
    expect(call.of('shutdown')).toEqual([{ type: 'shutdown', reason: 'user_unresponsive', t: 27 }]);
  });
});

describe('presence: tools', () => {
  it('pauses while a tool runs; LiveKit away mid-tool is ignored; a full own window follows the tool', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(3, { type: 'TOOL_STARTED', name: 'lookup' });
    call.at(15, away).at(40, { type: 'TOOL_FINISHED', name: 'lookup' });
    expect(call.of('checkIn')).toHaveLength(0);
    call.until(54.999);
    expect(call.of('checkIn')).toHaveLength(0);
    call.until(55);
    expect(call.of('checkIn').map((c) => c.t)).toEqual([55]);
  });

  it('stays paused until the last of overlapping tools ends', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening);
    call.at(1, { type: 'TOOL_STARTED', name: 'a' }).at(2, { type: 'TOOL_STARTED', name: 'b' });
    call.at(10, { type: 'TOOL_FINISHED', name: 'a' }).until(40);
    expect(call.of('checkIn')).toHaveLength(0);
    call.at(40, { type: 'TOOL_FINISHED', name: 'b' }).until(55);
    expect(call.of('checkIn').map((c) => c.t)).toEqual([55]);
  });

  it('holds its own window while the agent speaks after the tool, as LiveKit holds its timer', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(1, { type: 'TOOL_STARTED', name: 'a' });
    call.at(5, { type: 'TOOL_FINISHED', name: 'a' }, { type: 'AGENT_STATE', state: 'speaking' });
    call.at(25, listening).until(39.999);
    expect(call.of('checkIn')).toHaveLength(0);
    call.until(40);
    expect(call.of('checkIn').map((c) => c.t)).toEqual([40]);
  });

  it('ignores an unmatched tool-finished event (out of order)', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening, { type: 'TOOL_FINISHED', name: 'x' }).at(15, away);
    expect(call.of('checkIn')).toHaveLength(1);
  });

  it('returns to LiveKit’s away after the user speaks in its own window', () => {
    const call = startCall({ checkIn: fixed }).at(0, listening).at(1, { type: 'TOOL_STARTED', name: 'a' });
    call.at(2, { type: 'TOOL_FINISHED', name: 'a' }).at(5, speaking).until(30);
    expect(call.of('checkIn')).toHaveLength(0); // our own window no longer runs; LiveKit will say when
    call.at(31, away);
    expect(call.of('checkIn').map((c) => c.t)).toEqual([31]);
  });
});
