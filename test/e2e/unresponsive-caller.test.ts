/**
 * A web caller says one sentence and then goes quiet, against LiveKit's real server: real Silero VAD on real
 * WebRTC audio marks them away, the agent's check-ins and goodbye arrive as audio at the caller, the agent calls
 * ctx.shutdown() and deletes the room, the job process exits by itself, and the record is complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf } from '../support/worker/run.js';
import { startAgentWorker, type AgentWorker } from './support/agentWorker.js';
import { QUIET_CHECK_INS, QUIET_GOODBYE, quietCallerConfig } from './support/call.js';
import { eventually, roomService, uniqueRoom } from './support/stack.js';
import { joinWebCaller, toneSequences } from './support/webCaller.js';

const CONFIG = quietCallerConfig();

describe('an unresponsive web caller, on the real server', () => {
  let worker: AgentWorker;
  beforeAll(async () => {
    worker = await startAgentWorker({ config: CONFIG });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('is checked on twice, hears each check-in and the goodbye, and the call ends with the room and the job process', async () => {
    // What the caller hears is told apart by pitch: the check-ins' tones must differ from each other and from the
    // goodbye's, however its sentences are grouped.
    const [a, b] = QUIET_CHECK_INS.map((t) => toneSequences(t)[0]![0]!);
    expect(a).not.toBe(b);
    expect(toneSequences(QUIET_GOODBYE).flat()).not.toContain(a);
    expect(toneSequences(QUIET_GOODBYE).flat()).not.toContain(b);
    const room = uniqueRoom('unresponsive');
    await worker.createRoom(room);
    const caller = await joinWebCaller(room);
    const job = await worker.job(room);

    // Real VAD on the real track: the caller speaks, then stops, and LiveKit marks them away.
    await worker.waitForRecord(room, (l) => l.type === 'userState' && l.state === 'speaking', 'the caller speaking (VAD)', 30_000);
    await worker.waitForRecord(room, (l) => l.type === 'userState' && l.state === 'away', 'the caller away', 60_000);
    const report = await worker.waitForRecord(room, (l) => l.type === 'shutdownReport', 'the shutdown report', 90_000);
    expect(report.reason).toBe('user_unresponsive');

    // The audio of each check-in and of the goodbye reached the caller through the SFU.
    await eventually(() => (caller.heard(QUIET_GOODBYE) ? true : undefined), 'the goodbye to be heard', 15_000).catch((e: Error) => {
      throw new Error(`${e.message}; tones heard: ${JSON.stringify(caller.tones)}`);
    });
    for (const text of QUIET_CHECK_INS) expect(caller.heard(text), `heard "${text}"; tones: ${JSON.stringify(caller.tones)}`).toBe(true);

    // The room is gone from the server, and the job process ended by itself, with no kill line from the framework.
    await eventually(async () => ((await roomService().listRooms([room])).length === 0 ? true : undefined), `room ${room} to be gone`);
    await exitOf(job.pid, 30_000);
    expect(worker.killLines()).toEqual([]);

    const types = worker.record(room).map((l) => l.type);
    expect(types[0]).toBe('session');
    expect(types.filter((t) => t === 'checkIn')).toHaveLength(2);
    expect(types).toEqual(expect.arrayContaining(['goodbye', 'sessionClose', 'shutdown', 'deleteRoom']));
    expect(types.at(-1)).toBe('shutdownReport');
    expect(report.leaked).toEqual([]);
    await caller.leave();
  });
});
