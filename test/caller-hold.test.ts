/**
 * dial.holdCaller.muteTrack's subscription changes reach the server in the order they were decided. On the real server
 * a leg turning `active` as its dial settled (unsubscribe it again) and the hold's release (subscribe it) were sent
 * 0.3 ms apart, applied the wrong way round, and the callee never heard the caller again (test/e2e/hold.test.ts).
 */
import { TrackSource } from '@livekit/rtc-node';
import type { RoomServiceClient } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { CallerHold } from '../src/presence/callerHold.js';

const MIC = 'TR_mic';
const LEG = 'sip-15550001111-1';

/** A room service whose requests stay pending until the test answers them, in the order they were sent. */
function slowRooms() {
  const sent: { subscribe: boolean; answer: () => void }[] = [];
  const rooms = {
    updateSubscriptions: (_room: string, _identity: string, _tracks: string[], subscribe: boolean) =>
      new Promise<void>((answer) => sent.push({ subscribe, answer })),
  } as unknown as RoomServiceClient;
  return { rooms, sent };
}

const caller = { identity: 'caller', trackPublications: new Map([[MIC, { sid: MIC, source: TrackSource.SOURCE_MICROPHONE }]]) };
const tick = () => new Promise((r) => setImmediate(r));

describe('caller hold (muteTrack) on one leg', () => {
  it('a release decided while the leg is being unsubscribed again is sent after that request is answered', async () => {
    const { rooms, sent } = slowRooms();
    const hold = new CallerHold(rooms, 'room', caller, () => [{ identity: LEG }], (_, e) => {
      throw e;
    });
    const held = hold.set(true);
    await tick();
    sent[0]!.answer();
    await held;
    // The leg answers: its call status turns active (unsubscribe it again), and the dial settles (release the caller).
    hold.joined(LEG, true);
    const released = hold.set(false);
    await tick();
    expect(sent.map((r) => r.subscribe)).toEqual([false, false]); // the release waits for the unsubscribe
    sent[1]!.answer();
    await tick();
    expect(sent.map((r) => r.subscribe)).toEqual([false, false, true]);
    sent[2]!.answer();
    await released;
  });

  it('a failed request does not stop the next one to the same leg', async () => {
    const sent: boolean[] = [];
    const rooms = {
      updateSubscriptions: async (_r: string, _i: string, _t: string[], subscribe: boolean) => {
        sent.push(subscribe);
        if (!subscribe) throw new Error('twirp error unknown: no response from servers');
      },
    } as unknown as RoomServiceClient;
    const failures: string[] = [];
    const hold = new CallerHold(rooms, 'room', caller, () => [{ identity: LEG }], (_, e) => failures.push(e.message));
    await expect(hold.set(true)).rejects.toThrow(/no response/);
    await hold.set(false);
    expect(sent).toEqual([false, true]);
  });
});
