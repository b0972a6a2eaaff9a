/**
 * Which numbers a call may dial (dial.allow, dial.deny, E.164), as the model asks for them: a refused number is
 * named with its reason and never dialed. The rule: the most specific matching pattern wins, an exact number beats
 * any prefix, and a tie goes to deny.
 */
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../machines/events.js';
import type { AgentConfigInput } from '../src/config/schema.js';
import { listening, startCall } from './support/call.js';

const dial = (number: string): CallEvent => ({ type: 'DIAL_REQUESTED', number });
const busy = (number: string): CallEvent => ({ type: 'DIAL_SETTLED', number, outcome: 'busy' });

/** The model asks for each number in turn (each dial settles before the next); what was dialed, what refused. */
function asks(dialConfig: AgentConfigInput['dial'], numbers: string[]) {
  const call = startCall({ dial: { maxPerCall: 20, ...dialConfig } }).at(0, listening);
  numbers.forEach((n, i) => call.at(i + 1, dial(n)).at(i + 1.5, busy(n)));
  return {
    dialed: call.of('dialStart').map((d) => d.number),
    refused: call.of('dialRefused').map((r) => [r.number, r.reason]),
  };
}

describe('dial policy: E.164 only', () => {
  it('a number with something after it (an extension, a letter, a 16th digit) is not E.164: refused, never dialed', () => {
    const r = asks({}, ['+15550001111x', '+15550001111 ext 2', '+1555000111122223', '+15550001111']);
    expect(r.refused).toEqual([
      ['+15550001111x', 'not_e164'],
      ['+15550001111 ext 2', 'not_e164'],
      ['+1555000111122223', 'not_e164'],
    ]);
    expect(r.dialed).toEqual(['+15550001111']);
  });

  it('nor is one with something before it, without its plus, with a zero country digit, or too short', () => {
    const r = asks({ allow: ['*'] }, ['tel:+15550001111', '15550001111', '+05550001111', '+1', '+1a5550001111']);
    expect(r.refused.map(([, reason]) => reason)).toEqual(['not_e164', 'not_e164', 'not_e164', 'not_e164', 'not_e164']);
    expect(r.dialed).toEqual([]);
  });

  it('the shortest and the longest E.164 numbers (2 and 15 digits) are dialable', () => {
    const r = asks({ allow: ['*'] }, ['+12', '+155500011112222']);
    expect(r.refused).toEqual([]);
    expect(r.dialed).toEqual(['+12', '+155500011112222']);
  });
});

describe('dial policy: the most specific pattern wins', () => {
  it('an exact allow opens one number inside a denied premium range; its neighbours stay denied', () => {
    const r = asks({ allow: ['+1*', '+19005550100'] }, ['+19005550100', '+19005550101']);
    expect(r.dialed).toEqual(['+19005550100']);
    expect(r.refused).toEqual([['+19005550101', 'not_allowed']]);
  });

  it('an exact number beats even a prefix as long as itself', () => {
    const r = asks({ allow: ['+15550001111'], deny: ['+15550001111*'] }, ['+15550001111', '+155500011112']);
    expect(r.dialed).toEqual(['+15550001111']);
    expect(r.refused).toEqual([['+155500011112', 'not_allowed']]);
  });

  it("a longer allow prefix opens part of a denied range; 'allow: [*]' opens nothing denied", () => {
    expect(asks({ allow: ['+1*', '+1876555*'] }, ['+18765550100', '+18764440100'])).toEqual({
      dialed: ['+18765550100'],
      refused: [['+18764440100', 'not_allowed']],
    });
    expect(asks({ allow: ['*'] }, ['+18765550100', '+442071234567'])).toEqual({
      dialed: ['+442071234567'],
      refused: [['+18765550100', 'not_allowed']],
    });
  });

  it('a tie goes to deny: the same prefix, or the same number, in both lists is refused', () => {
    expect(asks({ allow: ['+1555*'], deny: ['+1555*'] }, ['+15550001111']).refused).toEqual([['+15550001111', 'not_allowed']]);
    expect(asks({ allow: ['+15550001111'], deny: ['+15550001111'] }, ['+15550001111']).refused).toEqual([['+15550001111', 'not_allowed']]);
  });

  it('a number no allow pattern matches is refused, even when nothing denies it', () => {
    expect(asks({ allow: ['+44*'], deny: [] }, ['+15550001111', '+442071234567'])).toEqual({
      dialed: ['+442071234567'],
      refused: [['+15550001111', 'not_allowed']],
    });
  });
});
