/**
 * The ways a call ends from outside, on the real server with a leg ringing or talking through livekit-sip: a backend
 * deleting the room (`npm run end-session`), the web caller's end-session RPC, and the caller hanging up mid-dial
 * under both `dial.onCallerLeft` policies. Each ends in one shutdown whose callbacks ran, and a job process that
 * exits by itself.
 */
import { ParticipantKind } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exitOf } from '../support/worker/run.js';
import { dialFromChat, e2eConfig, webCall, type WebCall } from './support/call.js';
import { dialingSuite } from './support/dialingSuite.js';
import { startCallee } from './support/phone.js';
import { eventually, ROOT, roomService, STACK } from './support/stack.js';

const execFileAsync = promisify(execFile);

const NUMBER = '+15551230002';
const CALLEE_PORT = 5071;
const GOODBYE = 'Okay, ending the call now. Goodbye!';

describe('ending a call from outside, on the real server', () => {
  const s = dialingSuite(CALLEE_PORT, (trunk) => e2eConfig(trunk, { goodbye: { messages: { end_requested: GOODBYE } } }));

  /** The call's shutdown report, after which its job process must exit by itself with no kill line. */
  const ended = async (c: WebCall) => {
    const report = await s.worker.waitForRecord(c.room, (l) => l.type === 'shutdownReport', 'the shutdown report', 60_000);
    await exitOf(c.job.pid, 30_000);
    expect(s.worker.killLines()).toEqual([]);
    expect(report.callbacks).toEqual([expect.objectContaining({ name: 'bridge.drain', outcome: 'ok' })]);
    return report;
  };

  it('a backend deletes the room mid-dial (npm run end-session): ROOM_DELETED, the ringing leg is cancelled, the shutdown runs', async () => {
    const phone = s.phone(startCallee({ ringForever: true }, CALLEE_PORT));
    const call = s.call(await webCall(s.worker, 'backend-end'));
    await dialFromChat(s.worker, call, NUMBER);
    await eventually(async () => ((await roomService().listParticipants(call.room)).some((p) => p.attributes['sip.callStatus'] === 'ringing') ? true : undefined), 'the leg ringing');

    // The production command, from dist/, with the stack's credentials.
    const run = await execFileAsync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'endSession.js'), '--room', call.room], {
      env: { ...process.env, LIVEKIT_URL: STACK.httpUrl, LIVEKIT_API_KEY: STACK.key, LIVEKIT_API_SECRET: STACK.secret },
    });
    expect(run.stderr).toBe('');

    const report = await ended(call);
    expect(report.reason).toBe('room_deleted');
    expect(s.worker.record(call.room).map((l) => l.type)).toContain('roomDeleted');
    await phone.exited;
    expect(phone.received()).toContain('CANCEL');
  });

  it("the web caller's end-session RPC: the goodbye is heard, then the room and the job end", async () => {
    const call = s.call(await webCall(s.worker, 'frontend-end'));
    const agent = await eventually(() => [...call.caller.room.remoteParticipants.values()].find((p) => p.kind === ParticipantKind.AGENT), 'the agent in the room');
    await s.worker.waitForRecord(call.room, (l) => l.type === 'userState' && l.state === 'listening', 'the caller to finish speaking', 30_000);
    const answer = await call.caller.room.localParticipant!.performRpc({ destinationIdentity: agent.identity, method: 'agent.endSession', payload: '{"reason":"done"}' });
    expect(answer).toBeDefined();

    const report = await ended(call);
    expect(report.reason).toBe('end_requested');
    expect(s.worker.record(call.room)).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'endRequest', source: 'frontend' })]));
    await eventually(() => (call.caller.heard(GOODBYE) ? true : undefined), `the goodbye heard (tones: ${JSON.stringify(call.caller.tones)})`, 15_000);
    await eventually(async () => ((await roomService().listRooms([call.room])).length === 0 ? true : undefined), 'the room gone');
  });

  it('the caller hangs up mid-dial with onCallerLeft cancel: the leg gets a CANCEL, the call ends', async () => {
    const phone = s.phone(startCallee({ ringForever: true }, CALLEE_PORT));
    const call = s.call(await webCall(s.worker, 'caller-left-cancel'));
    await dialFromChat(s.worker, call, NUMBER);
    await eventually(async () => ((await roomService().listParticipants(call.room)).some((p) => p.attributes['sip.callStatus'] === 'ringing') ? true : undefined), 'the leg ringing');
    await call.caller.leave();

    const report = await ended(call);
    expect(report.reason).toBe('caller_left');
    expect(s.worker.record(call.room).map((l) => l.type)).toEqual(expect.arrayContaining(['callerHangup', 'dialCancel']));
    await phone.exited;
    expect(phone.received()).toContain('CANCEL');
  });

  it('the caller hangs up mid-dial with onCallerLeft continue: the callee answers and their call goes on', async () => {
    const phone = s.phone(startCallee({ ringMs: 5_000, answer: true }, CALLEE_PORT));
    const call = s.call(await webCall(s.worker, 'caller-left-continue', { metadata: { dial: { onCallerLeft: 'continue' } } }));
    await dialFromChat(s.worker, call, NUMBER);
    await call.caller.leave();
    await s.worker.waitForRecord(call.room, (l) => l.type === 'dialEnd' && l.outcome === 'answered', 'the callee answering', 30_000);
    // Still talking 5 s after answering: the leg has not been hung up, and no CANCEL reached it.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(phone.received()).not.toContain('CANCEL');
    expect(phone.received()).not.toContain('BYE');
    const legs = await roomService().listParticipants(call.room);
    expect(legs.map((p) => p.attributes['sip.callStatus'])).toContain('active');
    await roomService().deleteRoom(call.room);
    await ended(call);
  });
});
