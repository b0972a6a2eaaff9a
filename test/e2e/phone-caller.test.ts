/**
 * A phone caller: sipp dials into livekit-sip through an inbound trunk and a dispatch rule, which puts the call in a
 * room of its own and dispatches the agent there. The phone says one sentence and stays on the line, quiet: real VAD
 * on the bridged G.711 audio marks it away, the agent checks in, says goodbye and deletes the room, which hangs the
 * phone up with a BYE.
 */
import { RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf } from '../support/worker/run.js';
import { startAgentWorker, type AgentWorker } from './support/agentWorker.js';
import { e2eConfig } from './support/call.js';
import { startCaller } from './support/phone.js';
import { eventually, roomService, sipService, STACK } from './support/stack.js';

const INBOUND = '+15550100000';

describe('a phone caller through an inbound trunk, on the real server and SIP bridge', () => {
  let worker: AgentWorker;
  const prefix = `e2e-phone-${process.pid}-`;
  const cleanup: (() => Promise<unknown>)[] = [];
  /** The room the dispatch rule makes for the next call (one this file has not seen yet). */
  const seen = new Set<string>();
  const newRoom = async () => {
    const room = await eventually(async () => (await roomService().listRooms()).find((r) => r.name.startsWith(prefix) && !seen.has(r.name))?.name, 'the dispatch rule to make a room', 30_000);
    seen.add(room);
    return room;
  };
  beforeAll(async () => {
    worker = await startAgentWorker({ config: e2eConfig('') });
    const trunk = await sipService().createSipInboundTrunk(`e2e-inbound-${process.pid}`, [INBOUND], { allowedAddresses: [`${STACK.ip}/32`] });
    cleanup.push(() => sipService().deleteSipTrunk(trunk.sipTrunkId));
    const rule = await sipService().createSipDispatchRule(
      { type: 'individual', roomPrefix: prefix },
      { trunkIds: [trunk.sipTrunkId], roomConfig: new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: worker.agentName })] }) },
    );
    cleanup.push(() => sipService().deleteSipDispatchRule(rule.sipDispatchRuleId));
  });
  // Trunks and rules live in redis: an inbound trunk left behind would refuse the next run's (same number).
  afterAll(async () => {
    await worker?.stop();
    for (const c of cleanup) await c();
  });

  it('is answered once the agent is there, goes quiet, is checked on, hears goodbye and is hung up', async () => {
    const phone = startCaller(INBOUND, { quietSeconds: 60 });
    const room = await newRoom();
    const job = await worker.job(room);
    const caller = await eventually(async () => (await roomService().listParticipants(room)).find((p) => p.attributes['sip.phoneNumber']), 'the SIP caller in the room');
    expect(caller.attributes['sip.trunkPhoneNumber']).toBe(INBOUND);

    await worker.waitForRecord(room, (l) => l.type === 'userState' && l.state === 'speaking', 'the phone speaking (VAD on the bridged audio)', 30_000);
    const report = await worker.waitForRecord(room, (l) => l.type === 'shutdownReport', 'the shutdown report', 90_000);
    expect(report.reason).toBe('user_unresponsive');
    const types = worker.record(room).map((l) => l.type);
    expect(types.filter((t) => t === 'checkIn')).toHaveLength(2);
    expect(types).toEqual(expect.arrayContaining(['goodbye', 'deleteRoom']));
    expect(types).not.toContain('callerHangup');

    // Deleting the room hung the phone up: a BYE from the bridge, and sipp's call ended as scripted.
    expect(await phone.exited).toBe(0);
    expect(phone.received()).toContain('BYE');
    await exitOf(job.pid, 30_000);
    expect(worker.killLines()).toEqual([]);
  });

  it('hangs up (a BYE): a hang-up, not a lost connection, so the call ends at once, not after the reconnect grace', async () => {
    const phone = startCaller(INBOUND, { quietSeconds: 60, hangUpAfterMs: 6_000 });
    const room = await newRoom();
    const job = await worker.job(room);
    const hangup = await worker.waitForRecord(room, (l) => l.type === 'callerHangup' || l.type === 'callerConnectionLost', "the phone's hang-up", 30_000);
    expect(hangup.type).toBe('callerHangup');
    const report = await worker.waitForRecord(room, (l) => l.type === 'shutdownReport', 'the shutdown report', 15_000);
    expect(report.reason).toBe('caller_left');
    expect(await phone.exited).toBe(0);
    await exitOf(job.pid, 30_000);
  });
});
