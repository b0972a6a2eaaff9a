/**
 * The agent's link to the server drops for a few seconds inside the namespace and comes back: rtc-node reconnects
 * (resuming, or rejoining in full), and the call goes on. Nobody hung up, so nothing may be recorded as a hang-up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentWorker, type AgentWorker } from './support/agentWorker.js';
import { e2eConfig, webCall } from './support/call.js';
import { cutAgentLink, eventually, serverLog } from './support/stack.js';

describe("the agent's network drops and comes back, on the real server", () => {
  let worker: AgentWorker;
  beforeAll(async () => {
    // Presence timings longer than the fault, so what the record shows after it is the reconnect's doing.
    worker = await startAgentWorker({ config: { ...e2eConfig(''), presence: { userAwayTimeout: 20 } } });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('the call goes on after a 4 s outage: no hang-up, no close, and the caller is heard again', async () => {
    const call = await webCall(worker, 'net-fault');
    const { room, caller } = call;
    await worker.waitForRecord(room, (l) => l.type === 'userState' && l.state === 'listening', 'the caller to finish speaking', 30_000);
    const before = worker.record(room).length;
    // The server's own log shows the agent's transport recovering after the cut: the fault did happen.
    const recoveries = () => serverLog().filter((l) => l.msg === 'ice reconnected or switched pair' && l.participant === `agent-${call.job.id}`).length;
    const recovered = recoveries();
    await cutAgentLink(4_000);
    await eventually(() => (recoveries() > recovered ? true : undefined), "the agent's transport to recover (server log)", 20_000);
    // Give the reconnect time to finish, then the caller speaks again and must be heard.
    await new Promise((r) => setTimeout(r, 6_000));
    const after = worker.record(room).slice(before);
    expect(after.filter((l) => ['callerHangup', 'sessionClose', 'shutdown', 'disconnect', 'jobShutdown'].includes(l.type))).toEqual([]);
    const t = worker.record(room).at(-1)?.t ?? 0;
    await caller.speak();
    await worker.waitForRecord(room, (l) => l.type === 'userState' && l.state === 'speaking' && l.t! > t, 'the caller heard after the outage', 30_000);
    await caller.leave();
  });
});
