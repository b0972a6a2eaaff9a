/**
 * What several e2e tests share: an outbound trunk to a sipp callee's port, and a call set up with the production
 * worker, a room and a web caller in it.
 */
import { SIPTransport } from '@livekit/protocol';
import type { AgentConfigInput } from '../../../src/config/schema.js';
import type { AgentWorker } from './agentWorker.js';
import type { Phone } from './phone.js';
import { roomService, sipService, uniqueRoom } from './stack.js';
import { joinWebCaller, type WebCaller } from './webCaller.js';

const trunks: string[] = [];

/** An outbound trunk to `10.77.0.1:port`, where the tests' callee phones answer (removed by `removeTrunks`). */
export async function outboundTrunk(port: number, ip: string): Promise<string> {
  const trunk = await sipService().createSipOutboundTrunk(`e2e-callee-${port}`, `${ip}:${port}`, ['+15550000000'], { transport: SIPTransport.SIP_TRANSPORT_UDP });
  trunks.push(trunk.sipTrunkId);
  return trunk.sipTrunkId;
}

/** Removes the trunks this file made: they live in redis, beyond the test run. */
export async function removeTrunks(): Promise<void> {
  for (const id of trunks.splice(0)) await sipService().deleteSipTrunk(id);
}

export interface WebCall {
  room: string;
  caller: WebCaller;
  job: { id: string; pid: number };
}

/** A room (dispatched to the worker, with per-call metadata), the web caller in it (speaking once, then quiet), and the job the worker runs for it. */
export async function webCall(worker: AgentWorker, what: string, o: { speakFirst?: boolean; metadata?: object } = {}): Promise<WebCall> {
  const room = uniqueRoom(what);
  await worker.createRoom(room, o.metadata ? JSON.stringify(o.metadata) : undefined);
  const caller = await joinWebCaller(room, o.speakFirst === undefined ? {} : { speakFirst: o.speakFirst });
  const job = await worker.job(room);
  return { room, caller, job };
}

/**
 * After a test: the room goes (the bridge hangs up any leg still in it, with its BYE to that test's phone, which then
 * ends its one call), then the phone and the caller. A leg left in the room would be hung up later, when its room
 * closes, and its BYE would reach whichever phone listens on that port by then: the next test's, which would take it
 * for its one call and exit.
 */
export async function endTestCall(call: WebCall | undefined, phone: Phone | undefined): Promise<void> {
  if (call) await roomService().deleteRoom(call.room).catch(() => undefined); // gone already, as most calls end
  if (phone) await Promise.race([phone.exited, new Promise((r) => setTimeout(r, 5_000))]);
  phone?.stop();
  await phone?.exited;
  await call?.caller.leave().catch(() => undefined);
}

/** The caller types into the room's chat (`lk.chat`, which the agent's RoomIO reads as a user turn). */
export async function chat(caller: WebCaller, text: string): Promise<void> {
  await caller.room.localParticipant!.sendText(text, { topic: 'lk.chat' });
}

/** What the agent says to a caller who went quiet, in the e2e suite: fixed check-ins (a listener tells them apart by
 * their tones), then the goodbye. */
export const QUIET_CHECK_INS = ['Are you still there?', 'I still cannot hear you.'];
export const QUIET_GOODBYE = "It seems you've stepped away. I'll end the call now. Goodbye!";

/** Presence for a caller who goes quiet: away after `userAwayTimeout`, two fixed check-ins 3 s apart, the goodbye. */
export function quietCallerConfig(userAwayTimeout = 3): AgentConfigInput {
  return {
    presence: { userAwayTimeout },
    checkIn: { mode: 'fixed', interval: 3, maxPrompts: 2, messages: QUIET_CHECK_INS },
    goodbye: { messages: { user_unresponsive: QUIET_GOODBYE } },
  };
}

/** An e2e worker config: short presence timings, fixed check-ins, and no AMD unless a test turns it on. */
export function e2eConfig(trunkId: string, over: AgentConfigInput = {}): AgentConfigInput {
  return {
    ...quietCallerConfig(),
    dial: { sipTrunkId: trunkId, ringingTimeout: 20, allow: ['+1555*'], amd: { enabled: false } },
    ...over,
  } as AgentConfigInput;
}

/** The caller asks for a dial in the chat once they have finished speaking; resolves when the dial has started. */
export async function dialFromChat(worker: AgentWorker, call: WebCall, number: string): Promise<void> {
  await worker.waitForRecord(call.room, (l) => l.type === 'userState' && l.state === 'listening', 'the caller to finish speaking', 30_000);
  await chat(call.caller, `dial ${number}`);
  await worker.waitForRecord(call.room, (l) => l.type === 'dialStart' && l.number === number, `the dial to ${number} to start`, 30_000);
}
