/**
 * A caller who comes back with a new session (a reloaded page, a client that reconnected in full) on the real server:
 * the same identity joins again, and livekit-server removes the old session with DisconnectReason.DUPLICATE_IDENTITY.
 * That is not a hang-up: the call goes on, RoomIO (pinned to the caller) links the new session, and the caller is
 * heard again. Leaving for real afterwards (CLIENT_INITIATED) is a hang-up, and ends the call at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf } from '../support/worker/run.js';
import { startAgentWorker, type AgentWorker } from './support/agentWorker.js';
import { e2eConfig, webCall } from './support/call.js';
import { eventually, roomService } from './support/stack.js';
import { joinWebCaller } from './support/webCaller.js';

describe('a caller who reconnects with a new session, on the real server', () => {
  let worker: AgentWorker;
  beforeAll(async () => {
    // Presence timings longer than the test's own steps: what the record shows is the reconnect's doing.
    worker = await startAgentWorker({ config: { ...e2eConfig(''), presence: { userAwayTimeout: 30, callerReconnectGrace: 20 } } });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('is not hung up on: the old session goes (no hang-up reason), the new one is linked and heard; leaving for real then ends the call', async () => {
    const call = await webCall(worker, 'reconnect');
    const { room, caller, job } = call;
    await worker.waitForRecord(room, (l) => l.type === 'userState' && l.state === 'listening', 'the caller to finish speaking', 30_000);

    // The same identity joins again with a new session, quiet at first; the server drops the old one.
    const again = await joinWebCaller(room, { identity: caller.identity, speakFirst: false });
    const lost = await worker.waitForRecord(room, (l) => l.type === 'callerConnectionLost', 'the old session to go', 20_000);
    // Measured: the agent's rtc-node (0.13) reports no reason for this departure (the server's DUPLICATE_IDENTITY
    // does not reach it), which is no hang-up reason either.
    expect(lost.reason).toBe('UNKNOWN_REASON');
    await worker.waitForRecord(room, (l) => l.type === 'callerReconnected', 'the caller back', 20_000);
    await caller.leave().catch(() => undefined); // the old session's own resources; the server has closed it already

    // The new session is heard: RoomIO linked it.
    const back = worker.record(room).find((l) => l.type === 'callerReconnected')!;
    await again.speak();
    await worker.waitForRecord(room, (l) => l.type === 'userState' && l.state === 'speaking' && l.t! > back.t!, 'the new session heard', 30_000);
    const types = worker.record(room).map((l) => l.type);
    expect(types.filter((t) => ['callerHangup', 'sessionClose', 'shutdown'].includes(t))).toEqual([]);

    // Leaving for real is a hang-up: the call ends as caller_left at once, not after the grace.
    await again.leave();
    const report = await worker.waitForRecord(room, (l) => l.type === 'shutdownReport', 'the shutdown report', 15_000);
    expect(report.reason).toBe('caller_left');
    expect(worker.record(room).some((l) => l.type === 'callerHangup')).toBe(true);
    await eventually(async () => ((await roomService().listRooms([room])).length === 0 ? true : undefined), `room ${room} to be gone`);
    await exitOf(job.pid, 30_000);
    expect(worker.killLines()).toEqual([]);
  });
});
