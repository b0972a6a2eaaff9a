/**
 * The room wiring of the production `startCall` (src/agent/call.ts), run as the agent's entry runs it: a real rtc-node
 * `Room` emits `RoomEvent`s with rtc-node's own payloads (DisconnectReason values, RemoteParticipant objects with their
 * identity, kind and track publications), the end-session RPC is dispatched by rtc-node's LocalParticipant, caller
 * hold reaches the server API (the emulator), and the job closes as the framework's job process closes it. What is
 * asserted is what the call leaves behind: its session record, the server API calls, `ctx.shutdown()` and the
 * shutdown report. test/support/rtcRoom.ts says what stands in for the Rust core.
 */
import { DisconnectReason, ParticipantKind, RoomEvent, RpcError, TrackSource } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { END_SESSION_RPC } from '../src/presence/endSessionRpc.js';
import { defineConfig } from '../src/config/load.js';
import type { AgentConfigInput } from '../src/config/schema.js';
import { dialedIdentity } from '../src/dialer/sipDialer.js';
import type { RecordLine } from '../src/record/sessionRecord.js';
import type { SipEntry } from '../src/sip/entry.js';
import { MemoryRecord, ROOM, startCallJob, type CallJob } from './support/callJob.js';
import { CallRoom, type ParticipantSpec, type TrackSpec } from './support/rtcRoom.js';
import { API_KEY, API_SECRET } from './support/session.js';

const AGENT = 'agent-AJ_test';
/** The caller: a web client publishing screen-share audio and a camera besides its microphone. */
const CALLER = 'user-alice';
const MIC: TrackSpec = { sid: 'TR_alice_mic', source: TrackSource.SOURCE_MICROPHONE };
const SCREEN_AUDIO: TrackSpec = { sid: 'TR_alice_screen_audio', source: TrackSource.SOURCE_SCREENSHARE_AUDIO };
const CAMERA: TrackSpec = { sid: 'TR_alice_cam', source: TrackSource.SOURCE_CAMERA };
const MANAGER = '+15550001111';
/** The participant the dialer creates for the call's first dial to MANAGER: the callee once it answers. */
const CALLEE = dialedIdentity(MANAGER, 1);
const WINDOW = 0.3;

const quick = {
  presence: { userAwayTimeout: WINDOW },
  checkIn: { mode: 'fixed', interval: 0.2, maxPrompts: 1 },
  goodbye: { maxSeconds: 1 },
} as const satisfies AgentConfigInput;

/**
 * Answering-machine detection on answered dials (`dial.amd`, where the config has it) listens to the leg for seconds
 * before the dial counts as answered; these tests are about the room's events, so it is off.
 */
const NO_AMD: Record<string, unknown> = 'amd' in defineConfig({}).dial ? { amd: { enabled: false } } : {};

const ringing: Record<string, SipEntry> = { [MANAGER]: { outcome: 'answered', ringSeconds: 30 } };
const answersAtOnce: Record<string, SipEntry> = { [MANAGER]: { outcome: 'answered', ringSeconds: 0.2 } };
const busy: Record<string, SipEntry> = { [MANAGER]: { outcome: 'busy', ringSeconds: 0.3 } };

interface Call {
  job: CallJob;
  room: CallRoom;
  record: MemoryRecord;
  logs: { fields: Record<string, unknown>; msg: string }[];
}

let running: Call | null = null;
afterEach(async () => {
  await running?.job.stop();
  running = null;
});

/** A call in room call-1: the agent, the caller (screen-share audio, camera, microphone by default) and `others`. */
async function call(config: AgentConfigInput, o: { sip?: Record<string, SipEntry>; callerTracks?: TrackSpec[]; others?: ParticipantSpec[] } = {}): Promise<Call> {
  const room = new CallRoom({ agent: AGENT, participants: [{ identity: CALLER, tracks: o.callerTracks ?? [SCREEN_AUDIO, CAMERA, MIC] }, ...(o.others ?? [])] });
  const record = new MemoryRecord();
  const logs: Call['logs'] = [];
  const log = (fields: Record<string, unknown>, msg: string) => void logs.push({ fields, msg });
  const job = await startCallJob({ ...quick, ...config }, { ...(o.sip ? { sip: o.sip } : {}), room, sink: record, logger: { info: log, warn: log } });
  running = { job, room, record, logs };
  return running;
}

/**
 * What the call recorded from line `from` on, without times and without the session's own agent/user state lines
 * (they follow the session's speech, not the room).
 */
function recordedSince(record: MemoryRecord, from: number): Record<string, unknown>[] {
  return record.lines
    .slice(from)
    .filter((l) => l.type !== 'agentState' && l.type !== 'userState')
    .map((line) => Object.fromEntries(Object.entries(line).filter(([k]) => k !== 't')));
}
const until = (assertion: () => void) => vi.waitFor(assertion, { timeout: 10_000, interval: 10 });
const recorded = (record: MemoryRecord, type: RecordLine['type']) => until(() => expect(record.types()).toContain(type));
const apiCalls = (job: CallJob, method: string) => job.emulator.calls.filter((c) => c.method === `livekit.${method}`);
/** The dial is ringing: LiveKit (the emulator) holds its SIP participant. */
const dialRinging = (job: CallJob) => until(() => expect(job.emulator.participant(ROOM, CALLEE)).toBeDefined());
const reasons = (record: MemoryRecord) => record.of('shutdown').map((s) => s.reason);
/** A backend asks to end the call (as the agent's own end_call tool or a backend would). */
const endCall = (job: CallJob) => job.call.bridge.send({ type: 'END_REQUESTED', source: 'backend' });

describe('RoomEvent.Disconnected: only ROOM_DELETED means the room is gone', () => {
  it('the room is deleted mid-dial: the dial ends cancelled, no goodbye, one shutdown (room_deleted), DeleteRoom not called again', async () => {
    const { job, record } = await call({}, { sip: ringing });
    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    await dialRinging(job);
    const from = record.lines.length;

    // A backend deletes the room; LiveKit disconnects everyone in it, the agent with DisconnectReason.ROOM_DELETED.
    await new RoomServiceClient(job.url, API_KEY, API_SECRET).deleteRoom(ROOM);
    // The ringing leg went with the room: nothing to cancel, the dial is only recorded as ended.
    expect(recordedSince(record, from)).toEqual([
      { type: 'roomDeleted' },
      { type: 'dialEnd', number: MANAGER, outcome: 'cancelled' },
      { type: 'sessionClose', reason: 'room_deleted' },
      { type: 'shutdown', reason: 'room_deleted' },
    ]);

    expect(await job.ended()).toBe('room_deleted');
    expect(job.shutdowns).toEqual(['room_deleted']);
    expect(record.types()).not.toContain('goodbye');
    expect(record.types()).not.toContain('dialCancel');
    expect(apiCalls(job, 'RoomService/DeleteRoom')).toHaveLength(1); // the backend's
    expect(apiCalls(job, 'RoomService/RemoveParticipant')).toEqual([]);
    expect((await job.call.report).reason).toBe('room_deleted');
  });

  it('the network drops (SIGNAL_CLOSE): the call ends as disconnected, the ringing dial cancelled explicitly, no goodbye, the room still deleted', async () => {
    const { job, room, record } = await call({}, { sip: ringing });
    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    await dialRinging(job);
    const from = record.lines.length;

    room.disconnect(DisconnectReason.SIGNAL_CLOSE);
    // The room, the caller and the ringing SIP leg are all still there: the leg is removed, closeAction still runs.
    expect(recordedSince(record, from)).toEqual([
      { type: 'disconnect', reason: 'SIGNAL_CLOSE' },
      { type: 'dialCancel', number: MANAGER },
      { type: 'dialEnd', number: MANAGER, outcome: 'cancelled' },
      { type: 'sessionClose', reason: 'disconnected' },
      { type: 'shutdown', reason: 'disconnected' },
      { type: 'deleteRoom' },
    ]);

    expect(await job.ended()).toBe('disconnected');
    expect(job.shutdowns).toEqual(['disconnected']);
    expect(apiCalls(job, 'RoomService/RemoveParticipant').map((c) => c.request)).toEqual([{ room: ROOM, identity: CALLEE }]);
    expect(apiCalls(job, 'RoomService/DeleteRoom').map((c) => c.request)).toEqual([{ room: ROOM }]);
    expect(record.types()).not.toContain('goodbye');
  });

  it("the framework's own room.disconnect() after our close (CLIENT_INITIATED) is ignored: the call keeps its reason, nothing more is recorded", async () => {
    // closeAction 'leave': no room deletion, so the only disconnect is the framework's.
    const { job, room, record } = await call({ closeAction: 'leave' });
    const heard: DisconnectReason[] = [];
    room.room.on(RoomEvent.Disconnected, (reason) => void heard.push(reason));

    endCall(job);
    expect(await job.ended()).toBe('end_requested');
    expect(heard).toEqual([DisconnectReason.CLIENT_INITIATED]); // the job process did disconnect, after the close

    const types = recordedSince(record, 0).map((l) => l.type);
    expect(types.slice(types.indexOf('goodbye'))).toEqual(['goodbye', 'playoutEnd', 'sessionClose', 'shutdown']);
    expect(types).not.toContain('jobShutdown');
    expect(job.shutdowns).toEqual(['end_requested']);
    expect((await job.call.report).reason).toBe('end_requested');
    expect(apiCalls(job, 'RoomService/DeleteRoom')).toEqual([]);
  });

  it('CLIENT_INITIATED while the call is live (the job is being closed under it): job_shutdown, the ringing dial cancelled, no goodbye', async () => {
    const { job, room, record } = await call({}, { sip: ringing });
    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    await dialRinging(job);
    const from = record.lines.length;

    room.disconnect(DisconnectReason.CLIENT_INITIATED);
    // At once, before the job process's own close gets to the session.
    expect(recordedSince(record, from)).toEqual([
      { type: 'jobShutdown' },
      { type: 'dialCancel', number: MANAGER },
      { type: 'dialEnd', number: MANAGER, outcome: 'cancelled' },
      { type: 'sessionClose', reason: 'job_shutdown' },
      { type: 'shutdown', reason: 'job_shutdown' },
      { type: 'deleteRoom' },
    ]);

    expect(await job.ended()).toBe('job_shutdown');
    expect(apiCalls(job, 'RoomService/RemoveParticipant').map((c) => c.request)).toEqual([{ room: ROOM, identity: CALLEE }]);
  });
});

describe('RoomEvent.ParticipantDisconnected: the caller and the dialed participant', () => {
  it('the caller hangs up mid-dial: CALLER_DISCONNECTED, the dial cancelled by removing its participant, no goodbye, caller_left', async () => {
    const { job, room, record } = await call({}, { sip: ringing });
    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    await dialRinging(job);
    const from = record.lines.length;

    room.leave(CALLER, DisconnectReason.CLIENT_INITIATED);
    expect(recordedSince(record, from)).toEqual([
      { type: 'callerHangup' },
      { type: 'dialCancel', number: MANAGER },
      { type: 'dialEnd', number: MANAGER, outcome: 'cancelled' },
      { type: 'sessionClose', reason: 'caller_left' },
      { type: 'shutdown', reason: 'caller_left' },
      { type: 'deleteRoom' },
    ]);

    expect(await job.ended()).toBe('caller_left');
    expect(job.shutdowns).toEqual(['caller_left']);
    expect(apiCalls(job, 'RoomService/RemoveParticipant').map((c) => c.request)).toEqual([{ room: ROOM, identity: CALLEE }]);
    expect(apiCalls(job, 'RoomService/DeleteRoom')).toHaveLength(1);
  });

  it('someone else leaving (a backend observer) changes nothing; the caller leaving then ends the call', async () => {
    const { job, room, record } = await call({}, { others: [{ identity: 'backend-monitor' }] });
    const from = record.lines.length;

    room.leave('backend-monitor');
    expect(recordedSince(record, from)).toEqual([]);
    expect(job.call.bridge.isEnded).toBe(false);

    room.leave(CALLER);
    expect(recordedSince(record, from).map((l) => l.type)).toEqual(['callerHangup', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(await job.ended()).toBe('caller_left');
  });

  it("the dialed participant leaves: CALLEE_LEFT (with onCallerLeft 'continue' the call went on with them; now nobody is left)", async () => {
    const { job, room, record } = await call({ dial: { onCallerLeft: 'continue', ...NO_AMD } }, { sip: answersAtOnce });
    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    await recorded(record, 'dialEnd');
    expect(record.of('dialEnd')).toEqual([expect.objectContaining({ number: MANAGER, outcome: 'answered' })]);
    // LiveKit puts the answered leg in the room under the identity the dialer asked for.
    expect(apiCalls(job, 'SIP/CreateSIPParticipant')[0]?.request).toMatchObject({ participantIdentity: CALLEE });
    room.join({ identity: CALLEE, kind: ParticipantKind.SIP });
    const from = record.lines.length;

    room.leave(CALLER);
    expect(recordedSince(record, from)).toEqual([{ type: 'callerHangup' }]); // the call goes on with the callee
    room.leave(CALLEE);
    expect(recordedSince(record, from)).toEqual([
      { type: 'callerHangup' },
      { type: 'calleeLeft' },
      { type: 'sessionClose', reason: 'caller_left' },
      { type: 'shutdown', reason: 'caller_left' },
      { type: 'deleteRoom' },
    ]);
    expect(await job.ended()).toBe('caller_left');
    expect(record.types()).not.toContain('goodbye');
  });
});

describe('RoomEvent.ActiveSpeakersChanged: presence hears the callee through the room', () => {
  it('the callee speaks: calleeSpeech in the record, presence held while they talk; the check-in then comes a full window after, to the room', async () => {
    const { job, room, record } = await call({ dial: { ...NO_AMD } }, { sip: answersAtOnce });
    // The caller talking is the session's business (its own audio input), not the callee's.
    room.activeSpeakers([CALLER]);
    expect(record.of('calleeSpeech')).toEqual([]);

    // The callee starts talking as soon as they are in the room: right after the answer, before any window could run.
    record.onWrite = (line) => {
      if (line.type !== 'dialEnd' || line.outcome !== 'answered') return;
      queueMicrotask(() => {
        room.join({ identity: CALLEE, kind: ParticipantKind.SIP });
        room.activeSpeakers([CALLEE]);
      });
    };
    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    await recorded(record, 'calleeSpeech');
    expect(record.of('calleeSpeech').map((e) => e.speaking)).toEqual([true]);
    room.activeSpeakers([CALLER, CALLEE]); // both talk: the callee still speaks, nothing new
    room.activeSpeakers([CALLEE, AGENT]); // the agent's own participant among the speakers: still the callee
    expect(record.of('calleeSpeech').map((e) => e.speaking)).toEqual([true]);

    // They talk on for three away windows: no check-in over them.
    await new Promise((r) => setTimeout(r, 3 * WINDOW * 1000));
    expect(record.types()).not.toContain('checkIn');
    room.activeSpeakers([CALLER]); // the callee stops
    const stopped = record.of('calleeSpeech')[1];
    expect(stopped).toMatchObject({ speaking: false });

    await recorded(record, 'checkIn');
    const checkIn = record.of('checkIn')[0]!;
    expect(checkIn).toMatchObject({ attempt: 1, audience: 'room' });
    expect(checkIn.t - stopped!.t).toBeGreaterThanOrEqual(WINDOW - 0.005); // ms rounding of the record's times

    endCall(job);
    expect(await job.ended()).toBe('end_requested');
  });
});

describe('the end-session RPC (agent.endSession on the agent participant)', () => {
  it("refuses a participant not on endSession.allow with the handler's RpcError (the call goes on); the caller ($caller) then ends the call", async () => {
    const { job, room, record } = await call({}, { others: [{ identity: 'user-mallory' }] });
    expect([...room.registeredRpcMethods]).toEqual([END_SESSION_RPC]);

    const refused = await room.performRpc({ callerIdentity: 'user-mallory', method: END_SESSION_RPC, payload: '{"reason":"prank"}' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RpcError);
    expect(refused).toMatchObject({ code: RpcError.ErrorCode.APPLICATION_ERROR, message: 'participant "user-mallory" may not end this session (endSession.allow)' });
    expect(record.types()).not.toContain('sessionClose');
    expect(job.call.bridge.isEnded).toBe(false);

    const accepted = await room.performRpc({ callerIdentity: CALLER, method: END_SESSION_RPC, payload: '{"reason":"user clicked end"}' });
    expect(JSON.parse(accepted)).toEqual({ ok: true });
    expect(await job.ended()).toBe('end_requested');
    expect(recordedSince(record, 0)).toEqual(
      expect.arrayContaining([
        { type: 'endRequest', source: 'frontend' },
        expect.objectContaining({ type: 'goodbye', reason: 'end_requested' }),
      ]),
    );
    expect(job.shutdowns).toEqual(['end_requested']);
  });
});

describe("caller hold (dial.holdCaller.muteTrack): the leg being dialed stops receiving the caller's microphone", () => {
  it("unsubscribes the dialed leg from the caller's microphone (by its sid) for the dial, subscribes it again after, and never mutes the track", async () => {
    const { job, room, record } = await call({ dial: { holdCaller: { muteTrack: true }, ...NO_AMD } }, { sip: { [MANAGER]: { outcome: 'answered', ringSeconds: 1 } } });
    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    // The real SIP bridge puts the leg in the room as soon as dialing starts.
    await dialRinging(job);
    room.join({ identity: CALLEE, kind: ParticipantKind.SIP }, { announce: true });
    await recorded(record, 'releaseCaller');
    await until(() => expect(apiCalls(job, 'RoomService/UpdateSubscriptions')).toHaveLength(2));

    // Not the screen-share audio, not the camera: the microphone. proto3 JSON leaves out `subscribe: false`.
    expect(apiCalls(job, 'RoomService/UpdateSubscriptions').map((c) => [c.request, c.status])).toEqual([
      [{ room: ROOM, identity: CALLEE, trackSids: [MIC.sid] }, 200],
      [{ room: ROOM, identity: CALLEE, trackSids: [MIC.sid], subscribe: true }, 200],
    ]);
    expect(job.emulator.subscriptions(ROOM, CALLEE)?.get(MIC.sid)).toBe(true);
    expect(apiCalls(job, 'RoomService/MutePublishedTrack')).toEqual([]);
    expect(record.types().filter((t) => t === 'holdCaller' || t === 'dialEnd' || t === 'releaseCaller')).toEqual(['holdCaller', 'dialEnd', 'releaseCaller']);

    endCall(job);
    expect(await job.ended()).toBe('end_requested');
  });

  it('fails with a named error when the caller publishes no microphone; the dial goes on', async () => {
    const { job, record, logs } = await call({ dial: { holdCaller: { muteTrack: true } } }, { sip: busy, callerTracks: [SCREEN_AUDIO, CAMERA] });
    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    await recorded(record, 'releaseCaller');
    const failures = () => logs.filter((l) => l.msg === 'caller track mute failed').map((l) => l.fields.error);
    await until(() => expect(failures()).toHaveLength(2));

    expect(failures()).toEqual([`caller ${CALLER} has no microphone track to mute`, `caller ${CALLER} has no microphone track to unmute`]);
    expect(apiCalls(job, 'RoomService/UpdateSubscriptions')).toEqual([]);
    expect(record.of('dialEnd')).toEqual([expect.objectContaining({ number: MANAGER, outcome: 'busy' })]);

    endCall(job);
    expect(await job.ended()).toBe('end_requested');
  });
});
