/**
 * Outbound dials through the real SIP bridge to sipp phones: the dial guard while a leg rings past the caller's
 * away timeout, each way a dial can end (answered, busy, declined, unanswered, hung up by the callee), and a backend
 * deleting the room mid-dial.
 */
import { describe, expect, it } from 'vitest';
import { exitOf } from '../support/worker/run.js';
import type { RecordLine } from './support/agentWorker.js';
import { chat, dialFromChat, e2eConfig, webCall } from './support/call.js';
import { dialingSuite } from './support/dialingSuite.js';
import { startCallee, type CalleeScript } from './support/phone.js';
import { eventually, roomService } from './support/stack.js';

const NUMBER = '+15551230001';
const CALLEE_PORT = 5070;

const between = (record: RecordLine[], from: (l: RecordLine) => boolean, to: (l: RecordLine) => boolean) => {
  const a = record.findIndex(from);
  const b = record.findIndex((l, i) => i > a && to(l));
  return record.slice(a, b < 0 ? undefined : b + 1);
};

describe('outbound dials through livekit-sip, on the real server', () => {
  const s = dialingSuite(CALLEE_PORT, (trunk) => e2eConfig(trunk, { closeAction: 'delete-room' }));

  it('the dial guard: a leg ringing past the away timeout gets no check-in and no CANCEL; answered, the callee is heard through the SFU', async () => {
    const phone = s.phone(startCallee({ ringMs: 9_000, answer: true }, CALLEE_PORT));
    const call = s.call(await webCall(s.worker, 'guard'));
    const { room } = call;
    await dialFromChat(s.worker, call, NUMBER);

    // The bridge put the ringing leg into the room at once, with its call status.
    const leg = await eventually(async () => (await roomService().listParticipants(room)).find((p) => p.attributes['sip.callStatus'] === 'ringing'), 'the ringing leg in the room');
    expect(leg.identity).toMatch(/^sip-15551230001-\d+$/);

    const answered = await s.worker.waitForRecord(room, (l) => l.type === 'dialEnd', 'the dial to end', 40_000);
    expect(answered).toMatchObject({ outcome: 'answered' });
    const record = s.worker.record(room);
    const start = record.find((l) => l.type === 'dialStart')!;
    // It rang for longer than the away timeout (3 s) plus a check-in interval, and the guard held.
    expect(answered.t! - start.t!).toBeGreaterThan(6);
    const ringing = between(record, (l) => l.type === 'dialStart', (l) => l.type === 'dialEnd');
    expect(ringing.filter((l) => l.type === 'checkIn' || l.type === 'goodbye' || l.type === 'sessionClose' || l.type === 'dialCancel')).toEqual([]);
    expect(phone.received()).not.toContain('CANCEL');

    // In the conference the callee's looped speech reaches the SFU, whose active speakers drive presence.
    await s.worker.waitForRecord(room, (l) => l.type === 'calleeSpeech' && l.speaking === true, "the callee's speech (active speakers)", 30_000);

    // A backend ends the call: the room is deleted, the SIP bridge hangs the callee up, the job process exits.
    await roomService().deleteRoom(room);
    await s.worker.waitForRecord(room, (l) => l.type === 'shutdownReport', 'the shutdown report', 30_000);
    expect(await phone.exited).toBe(0);
    expect(phone.received()).toContain('BYE');
    await exitOf(call.job.pid, 30_000);
    expect(s.worker.record(room).map((l) => l.type)).toContain('roomDeleted');
    expect(s.worker.killLines()).toEqual([]);
  });

  // Each way a dial can end without a conference, as the real bridge reports it, in the record with its SIP status.
  it.each<[string, CalleeScript, Record<string, unknown>]>([
    ['busy (486)', { ringMs: 1_000, reject: 486 }, { outcome: 'busy', sipStatus: 486 }],
    ['declined (603)', { ringMs: 1_000, reject: 603 }, { outcome: 'failed', sipStatus: 603 }],
    ['unanswered past dial.ringingTimeout', { ringForever: true }, { outcome: 'no-answer' }],
  ])('a dial that ends %s is recorded with its outcome, and the call goes on', async (_what, script, expected) => {
    const phone = s.phone(startCallee(script, CALLEE_PORT));
    const call = s.call(await webCall(s.worker, 'outcome', { metadata: { dial: { ringingTimeout: 4 } } }));
    await dialFromChat(s.worker, call, NUMBER);
    const end = await s.worker.waitForRecord(call.room, (l) => l.type === 'dialEnd', 'the dial to end', 30_000);
    expect(end).toMatchObject(expected);
    await phone.exited;
    if ('ringForever' in script) expect(phone.received()).toContain('CANCEL');
    // The call goes on: the caller is told how the dial went (the agent speaks before anything else happens), and is
    // still served (a check-in comes once they are away).
    const checkIn = await s.worker.waitForRecord(call.room, (l) => l.type === 'checkIn', 'a check-in after the dial', 30_000);
    const told = s.worker.record(call.room).filter((l) => l.type === 'agentState' && l.state === 'speaking' && l.t! > end.t! && l.t! < checkIn.t!);
    expect(told.length).toBeGreaterThan(0);
    expect(s.worker.record(call.room).filter((l) => l.type === 'sessionClose' && (l.t ?? 0) < end.t!)).toEqual([]);
  });

  it('a callee who hangs up after talking leaves the conference; the call goes on with the caller', async () => {
    const phone = s.phone(startCallee({ ringMs: 1_000, answer: true, hangUpAfterMs: 4_000 }, CALLEE_PORT));
    const call = s.call(await webCall(s.worker, 'callee-bye'));
    await dialFromChat(s.worker, call, NUMBER);
    await s.worker.waitForRecord(call.room, (l) => l.type === 'dialEnd' && l.outcome === 'answered', 'the answer', 30_000);
    await s.worker.waitForRecord(call.room, (l) => l.type === 'calleeLeft', 'the callee leaving', 30_000);
    expect(await phone.exited).toBe(0);
    await s.worker.waitForRecord(call.room, (l) => l.type === 'checkIn', 'a check-in for the caller, after', 30_000);
  });

  it('two dials, the first answered and the second busy: the busy leg leaving does not end the conference', async () => {
    const second = '+15551230009';
    s.phone(startCallee({ ringMs: 1_000, answer: true }, CALLEE_PORT, { busyNumber: second }));
    const call = s.call(await webCall(s.worker, 'two-dials'));
    await dialFromChat(s.worker, call, NUMBER);
    const answered = await s.worker.waitForRecord(call.room, (l) => l.type === 'dialEnd' && l.outcome === 'answered', 'the first callee answering', 30_000);
    // Typed once the agent has answered and is listening again: a text turn typed while a spoken one is still being
    // committed is interrupted by it (the framework's RoomIO text input), and would never reach the model.
    await s.worker.waitForRecord(call.room, (l) => l.type === 'agentState' && l.state === 'listening' && l.t! > answered.t!, 'the agent listening again', 30_000);
    await chat(call.caller, `dial ${second}`);
    const busy = await s.worker.waitForRecord(call.room, (l) => l.type === 'dialEnd' && l.number === second, 'the second dial to end', 30_000);
    expect(busy).toMatchObject({ outcome: 'busy', sipStatus: 486 });
    // The first callee is still in the call: their speech still counts, and nobody is told the call is over.
    await new Promise((r) => setTimeout(r, 4_000));
    const after = s.worker.record(call.room).filter((l) => (l.t ?? 0) >= busy.t!);
    expect(after.filter((l) => l.type === 'calleeLeft' || l.type === 'sessionClose' || l.type === 'goodbye')).toEqual([]);
    expect((await roomService().listParticipants(call.room)).map((p) => p.attributes['sip.callStatus'])).toContain('active');
    await roomService().deleteRoom(call.room);
    await s.worker.waitForRecord(call.room, (l) => l.type === 'shutdownReport', 'the shutdown report', 30_000);
  });
});
