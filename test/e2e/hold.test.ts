/**
 * Caller hold while dialing (`dial.holdCaller`), against the real server's defaults (remote unmute disabled): in each
 * mode the caller is held while the leg rings (audioInput: the session does not listen; muteTrack: the leg does not
 * receive the caller's microphone), and is heard again once the dial has ended.
 */
import { TrackSource } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../../src/config/schema.js';
import { dialFromChat, e2eConfig, webCall } from './support/call.js';
import { dialingSuite } from './support/dialingSuite.js';
import { startCallee } from './support/phone.js';
import { eventually, roomService, serverApiLog, sipBridgeLog } from './support/stack.js';

const NUMBER = '+15551230003';

/** Whether the server has the caller's microphone track muted. */
async function micMuted(room: string, identity: string): Promise<boolean | undefined> {
  const p = (await roomService().listParticipants(room)).find((x) => x.identity === identity);
  return p?.tracks.find((t) => t.source === TrackSource.MICROPHONE)?.muted;
}

// A phone (port) per mode: a leg of one mode still being hung up by the bridge (its room closing) must not reach the
// other mode's phone, which would take the stray BYE for its one call and exit.
describe.each<[string, AgentConfigInput['dial'], number]>([
  ['audioInput', { holdCaller: { audioInput: true } }, 5072],
  ['muteTrack', { holdCaller: { muteTrack: true } }, 5073],
])('caller hold (%s) on the real server', (mode, dial, calleePort) => {
  // Long presence timings: the only speech events are the ones this test makes.
  const s = dialingSuite(calleePort, (trunk) => {
    const base = e2eConfig(trunk);
    return { ...base, presence: { userAwayTimeout: 30 }, dial: { ...base.dial, ...dial } };
  });

  it('the caller is not heard while the leg rings, and is heard again after the dial', async () => {
    // The callee stays on a while after answering: the bridge subscribes the leg to the caller again only once the
    // hold is released, which on two busy cores took about a second after the answer (a 1 s call raced it).
    s.phone(startCallee({ ringMs: 8_000, answer: true, hangUpAfterMs: 8_000 }, calleePort));
    const call = s.call(await webCall(s.worker, `hold-${mode}`));
    const { room, caller } = call;
    await dialFromChat(s.worker, call, NUMBER);
    const held = await s.worker.waitForRecord(room, (l) => l.type === 'holdCaller', 'the caller held', 10_000);
    // The caller speaks while the leg rings.
    await caller.speak();
    const end = await s.worker.waitForRecord(room, (l) => l.type === 'dialEnd', 'the dial to end', 30_000);
    await s.worker.waitForRecord(room, (l) => l.type === 'releaseCaller', 'the caller released', 10_000);
    const mic = caller.micSid();
    const bridged = (msg: string) => sipBridgeLog().filter((l) => l.msg === msg && l.trackID === mic).length;
    if (mode === 'audioInput') {
      // The session did not listen to the caller while the leg rang.
      expect(s.worker.record(room).filter((l) => l.type === 'userState' && l.state === 'speaking' && l.t! > held.t! && l.t! < end.t!)).toEqual([]);
    } else {
      // The server took the leg's subscription changes (its API log), none failed, and the leg received the caller's
      // microphone after the hold (the SIP bridge's own log). A ringing leg takes no media at all: the bridge
      // subscribes it once it answers, which here is when the dial (no AMD) settles and the hold ends.
      // The release's requests are sent after `releaseCaller` is recorded, one leg at a time (CallerHold): on two busy
      // cores the last reached the server 5 s after it. Waited for, not read once.
      const updates = () => serverApiLog('RoomService.UpdateSubscriptions').filter((l) => l.room === room);
      await eventually(() => (updates().length >= 2 ? true : undefined), 'the hold and its release at the server (UpdateSubscriptions)', 30_000);
      const api = updates();
      expect(api.length).toBeGreaterThanOrEqual(2);
      expect(api.map((l) => l.status)).toEqual(api.map(() => '200'));
      await eventually(() => (bridged('track subscribed') >= 1 ? true : undefined), "the leg subscribed to the caller's microphone after the hold", 15_000);
      expect(s.worker.lines.filter((l) => l.msg === 'caller hold failed' || l.msg === 'caller track mute failed')).toEqual([]);
    }
    // Never muted on the server: nothing for a server that refuses remote unmute to refuse.
    expect(await micMuted(room, caller.identity)).toBe(false);

    // After the dial the caller speaks again, and is heard.
    const released = s.worker.record(room).find((l) => l.type === 'releaseCaller')!;
    await caller.speak();
    await s.worker.waitForRecord(room, (l) => l.type === 'userState' && l.state === 'speaking' && l.t! > released.t!, 'the caller heard again', 20_000);
  });
});
