/**
 * The example adopter's agent on LiveKit's real server: the packed `livekit-presence` tarball installed into a scratch
 * copy of `examples/starter-agent`, its own `Assistant` (its instructions and its `lookup_opening_hours` tool), run as
 * a LiveKit worker on the adopter's own copy of the framework (test/support/adopter/e2eAgent.ts: only the models are
 * scripted). A web caller asks in the room's chat when the shop is open (the adopter's tool answers), then goes quiet:
 * LiveKit marks them away, the check-ins and the goodbye reach them as audio, the session closes, `ctx.shutdown()` is
 * called, the room is deleted and the job process exits by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf } from '../support/worker/run.js';
import { installExample, type InstalledExample } from '../support/adopter/install.js';
import { startAgentWorker, type AgentWorker } from './support/agentWorker.js';
import { chat, QUIET_CHECK_INS, QUIET_GOODBYE, quietCallerConfig } from './support/call.js';
import { eventually, roomService, uniqueRoom } from './support/stack.js';
import { joinWebCaller } from './support/webCaller.js';

// A second more before away than the unresponsive-caller test: the caller also types into the chat first.
const CONFIG = quietCallerConfig(4);

describe("an adopter's agent with the packed presence layer, on the real server", () => {
  let example: InstalledExample;
  let worker: AgentWorker;
  beforeAll(async () => {
    example = await installExample();
    worker = await startAgentWorker({ config: CONFIG, command: { argv: [example.tsx, 'src/e2eAgent.ts', 'start', '--log-level', 'debug'], cwd: example.dir } });
  }, 240_000);
  afterAll(async () => {
    await worker?.stop();
    example?.remove();
  });

  it('its own tool answers; silence ends in check-ins heard, a goodbye heard, shutdown, the room deleted, the job process gone', async () => {
    const room = uniqueRoom('adopter');
    await worker.createRoom(room);
    const caller = await joinWebCaller(room);
    const job = await worker.job(room);

    // The caller's first sentence is answered; then they ask in the chat, and the adopter's own tool runs.
    await worker.waitForRecord(room, (l) => l.type === 'userState' && l.state === 'listening', 'the caller to finish speaking', 30_000);
    await chat(caller, 'When are you open on Monday?');
    const tool = await eventually(() => worker.lines.find((l) => l.adopterTool === 'lookup_opening_hours'), "the adopter's tool to run", 30_000);
    expect(tool.output).toBe(JSON.stringify('Open 9 to 18 on Monday.'));

    // Quiet from here on: presence takes the call to its end.
    const report = await worker.waitForRecord(room, (l) => l.type === 'shutdownReport', 'the shutdown report', 90_000);
    expect(report).toMatchObject({ reason: 'user_unresponsive', withinBudget: true });
    const types = worker.record(room).map((l) => l.type);
    expect(types.filter((t) => ['checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom'].includes(t))).toEqual(['checkIn', 'checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom']);
    await eventually(() => (caller.heard(QUIET_GOODBYE) ? true : undefined), 'the goodbye to be heard', 15_000);
    for (const text of QUIET_CHECK_INS) expect(caller.heard(text), `heard "${text}"`).toBe(true);
    await eventually(async () => ((await roomService().listRooms([room])).length === 0 ? true : undefined), `room ${room} to be gone`);
    await exitOf(job.pid, 30_000);
    expect(worker.killLines()).toEqual([]);
    await caller.leave().catch(() => undefined);
  });
});
