/**
 * The machine bound to a real AgentSession (no room, the framework's FakeLLM) and to LiveKit's server API (the
 * emulator, through the unmodified SDK clients). Real time, short config: these show the wiring, not timing.
 */
import { voice } from '@livekit/agents';
import { afterEach, describe, expect, it } from 'vitest';
import { dialedIdentity } from '../src/dialer/sipDialer.js';
import { CALLER, CALLER_MIC, startAgentCall, until } from './support/session.js';

const quick = {
  presence: { userAwayTimeout: 0.3 },
  checkIn: { mode: 'fixed', interval: 0.2, maxPrompts: 2 },
  goodbye: { maxSeconds: 1 },
} as const;

let call: Awaited<ReturnType<typeof startAgentCall>> | null = null;
afterEach(async () => {
  await call?.stop();
  call = null;
});

describe('bridge: a real AgentSession drives the machine', () => {
  it('user goes quiet: LiveKit away → check-ins → goodbye → session close → ctx.shutdown → room deleted', async () => {
    call = await startAgentCall(quick);
    const reason = await call.bridge.ended;
    await call.bridge.drain();
    expect(reason).toBe('user_unresponsive');
    expect(call.shutdowns).toEqual(['user_unresponsive']);
    const actions = call.types().filter((t) => ['checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom'].includes(t));
    expect(actions).toEqual(['checkIn', 'checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(call.types().indexOf('userState')).toBeLessThan(call.types().indexOf('checkIn'));
    expect(call.timeline.find((e) => e.type === 'userState')).toMatchObject({ state: 'away' });
    expect(call.emulator.isDeleted('call-1')).toBe(true);
  });

  it('a final transcript brings the user back and resets the count', async () => {
    call = await startAgentCall({ ...quick, checkIn: { ...quick.checkIn, maxPrompts: 3, interval: 0.4 } });
    await until(() => call!.types().includes('checkIn'));
    call.userSays('yes, still here');
    await until(() => call!.types().filter((t) => t === 'checkIn').length >= 2, 5000);
    const checkIns = call.timeline.filter((e) => e.type === 'checkIn');
    expect(checkIns.map((e) => ('attempt' in e ? e.attempt : 0)).slice(0, 2)).toEqual([1, 1]);
    expect(call.types()).toContain('transcript');
  });

  it('user goes quiet while the manager is dialed: nothing presence-related until it settles', async () => {
    call = await startAgentCall(quick, { sip: { '+15550001111': { outcome: 'answered', ringSeconds: 1.2 } } });
    expect(call.bridge.requestDial('+15550001111')).toBeNull();
    await until(() => call!.types().includes('dialEnd'), 5000);
    const dialEnd = call.timeline.find((e) => e.type === 'dialEnd')!;
    expect(dialEnd).toMatchObject({ outcome: 'answered' });
    // LiveKit marked the user away mid-dial; the machine did nothing with it.
    expect(call.timeline.some((e) => e.type === 'userState' && e.state === 'away' && e.t < dialEnd.t)).toBe(true);
    expect(call.timeline.filter((e) => e.t < dialEnd.t).map((e) => e.type)).not.toContain('checkIn');
    await until(() => call!.types().includes('checkIn'), 5000);
    const firstCheckIn = call.timeline.find((e) => e.type === 'checkIn')!;
    expect(firstCheckIn.t - dialEnd.t).toBeGreaterThanOrEqual(0.29); // a full own window after the dial
  });

  it('a wrong API secret: the dial fails cleanly with a clear log line, and the session goes on', async () => {
    call = await startAgentCall(quick, { secret: 'wrong-secret-0123456789-0123456789-abcdef' });
    call.bridge.requestDial('+15550001111');
    await until(() => call!.types().includes('dialEnd'));
    expect(call.timeline.find((e) => e.type === 'dialEnd')).toMatchObject({ outcome: 'failed' });
    expect(call.logs.find((l) => l.msg === 'dial failed')?.fields.detail).toMatch(/rejected our credentials \(401/);
    expect(call.emulator.calls[0]!.status).toBe(401);
    await until(() => call!.types().includes('checkIn')); // presence resumed: the call goes on
  });

  // The tools (add_participant, end_call) run through the framework's session.run in test/tools-api.test.ts.

  it("a session closed by someone else (the framework's finalizeSession: the job is ending) ends the call as job_shutdown", async () => {
    call = await startAgentCall({ ...quick, presence: { userAwayTimeout: 30 } });
    await call.session.close();
    expect(await call.bridge.ended).toBe('job_shutdown');
    expect(call.shutdowns).toEqual(['job_shutdown']);
    expect(call.types()).toContain('jobShutdown');
    expect(call.types()).not.toContain('goodbye');
  });

  it('a session that closes itself on an unrecoverable error still ends the job (session_closed)', async () => {
    call = await startAgentCall({ ...quick, presence: { userAwayTimeout: 30 } });
    call.session.emit(voice.AgentSessionEventTypes.Close, voice.createCloseEvent(voice.CloseReason.ERROR));
    expect(await call.bridge.ended).toBe('session_closed');
    expect(call.shutdowns).toEqual(['session_closed']);
  });

  it('a room deleted from a backend ends the call without a goodbye or a second deletion', async () => {
    call = await startAgentCall({ ...quick, presence: { userAwayTimeout: 30 } });
    call.bridge.send({ type: 'ROOM_DISCONNECTED', deleted: true });
    expect(await call.bridge.ended).toBe('room_deleted');
    await call.bridge.drain();
    expect(call.types()).not.toContain('goodbye');
    expect(call.emulator.calls.map((c) => c.method)).not.toContain('livekit.RoomService/DeleteRoom');
  });
});

void voice;

describe('caller hold while dialing (dial.holdCaller)', () => {
  const dialing = { ...quick, presence: { userAwayTimeout: 5 }, dial: { holdCaller: { audioInput: true, muteTrack: true } } };

  it("the session stops listening and the ringing leg does not hear the caller's microphone; both given back after, the track never muted, permissions untouched", async () => {
    call = await startAgentCall(dialing, { sip: { '+15550001111': { outcome: 'answered', ringSeconds: 0.5 } } });
    const leg = dialedIdentity('+15550001111', 1);
    const before = call.emulator.participant('call-1', CALLER)!.permission;
    expect(call.bridge.requestDial('+15550001111')).toBeNull();
    expect(call.session.input.audioEnabled).toBe(false);
    // The leg joins the room as it starts ringing (as the real SIP bridge puts it there) and is unsubscribed at once.
    await until(() => call!.emulator.subscriptions('call-1', leg)?.get(CALLER_MIC) === false);
    await until(() => call!.types().includes('releaseCaller'), 5000);
    await until(() => call!.emulator.subscriptions('call-1', leg)?.get(CALLER_MIC) === true);
    expect(call.session.input.audioEnabled).toBe(true);
    expect(call.emulator.participant('call-1', CALLER)!.tracks[0]!.muted).toBe(false);
    expect(call.emulator.participant('call-1', CALLER)!.permission).toEqual(before);
    // A real server refuses a remote unmute (test/e2e/contract.test.ts), so the hold never mutes the track at all.
    expect(call.emulator.calls.some((c) => c.method.endsWith('MutePublishedTrack') || c.method.endsWith('UpdateParticipant'))).toBe(false);
    expect(call.types().filter((t) => t === 'holdCaller' || t === 'releaseCaller' || t === 'dialEnd')).toEqual(['holdCaller', 'dialEnd', 'releaseCaller']);
  });

  it('a leg that leaves (busy) is not subscribed again: nothing is asked of a participant who is gone', async () => {
    call = await startAgentCall(dialing, { sip: { '+15550001111': { outcome: 'busy', ringSeconds: 0.5 } } });
    call.bridge.requestDial('+15550001111');
    await until(() => call!.types().includes('releaseCaller'), 5000);
    await until(() => call!.session.input.audioEnabled);
    const subscriptionCalls = call.emulator.calls.filter((c) => c.method.endsWith('UpdateSubscriptions'));
    expect(subscriptionCalls.map((c) => [c.request.subscribe === true, c.status])).toEqual([[false, 200]]); // proto3 JSON leaves out a false
    expect(call.logs.filter((l) => l.msg === 'caller hold failed' || l.msg === 'caller track mute failed')).toEqual([]);
  });

  it('off by default: a dial neither disables audio input nor mutes anyone', async () => {
    call = await startAgentCall({ ...quick, presence: { userAwayTimeout: 5 } }, { sip: { '+15550001111': { outcome: 'busy', ringSeconds: 0.2 } } });
    call.bridge.requestDial('+15550001111');
    expect(call.session.input.audioEnabled).toBe(true);
    await until(() => call!.types().includes('dialEnd'), 5000);
    expect(call.types()).not.toContain('holdCaller');
    expect(call.emulator.calls.some((c) => c.method.endsWith('MutePublishedTrack') || c.method.endsWith('UpdateSubscriptions'))).toBe(false);
  });
});
