/**
 * Answering-machine detection on a leg the real SIP bridge dialed to a sipp phone:
 * - AMD and the session's input go to the leg at its answer: when the room says it answered (its `sip.callStatus`
 *   turning `active`) or when the dial's API call returns, whichever comes first (both orders happen), and the
 *   session hears its greeting;
 * - a leg that hangs up while AMD listens settles the dial at once (AMD would otherwise wait out its budget, here
 *   60 s), and the caller is told;
 * - a caller who leaves while AMD listens (`onCallerLeft: 'continue'`): once AMD is done the session keeps hearing
 *   the callee rather than being linked back to the caller who is gone.
 * The models are scripted, so AMD never reaches a verdict on speech here: what is tested is when it listens and what
 * ends it, not how it classifies (that needs a real model; see the README).
 */
import { describe, expect, it } from 'vitest';
import { dialFromChat, e2eConfig, webCall } from './support/call.js';
import { dialingSuite } from './support/dialingSuite.js';
import { startCallee } from './support/phone.js';
import { eventually } from './support/stack.js';

const NUMBER = '+15551230004';
/** The job's log lines for the two answers a dial gets: the room's (the leg's call status) and the API's. */
const LEG_ANSWERED = 'the leg answered; answering-machine detection listens';
const API_RETURNED = "the dial's API call returned";
const CALLEE_PORT = 5074;

describe('answering-machine detection on a real SIP leg', () => {
  const s = dialingSuite(CALLEE_PORT, (trunk) => e2eConfig(trunk, {
      presence: { userAwayTimeout: 20 },
      dial: { sipTrunkId: trunk, ringingTimeout: 20, allow: ['+1555*'], amd: { enabled: true, models: 'session', noSpeechTimeout: 60, detectionTimeout: 60 }, maxSeconds: 120 },
    }));

  it('listens from the answer; the leg hanging up mid-detection settles the dial at once, and the caller is told', async () => {
    const phone = s.phone(startCallee({ ringMs: 1_500, answer: true, hangUpAfterMs: 3_000 }, CALLEE_PORT));
    const call = s.call(await webCall(s.worker, 'amd-leg-bye'));
    const { room } = call;
    await dialFromChat(s.worker, call, NUMBER);
    const end = await s.worker.waitForRecord(room, (l) => l.type === 'dialEnd', 'the dial to end', 40_000);
    expect(end).toMatchObject({ outcome: 'answered' });
    await s.worker.waitForRecord(room, (l) => l.type === 'calleeLeft', 'the callee leaving', 10_000);
    const record = s.worker.record(room);
    // No verdict: the leg was gone before AMD had one, and nothing waited for its 60 s budget.
    expect(record.filter((l) => l.type === 'amd')).toEqual([]);
    // The session heard the leg's greeting while AMD listened (its input linked to the leg).
    const start = record.find((l) => l.type === 'dialStart')!;
    expect(record.some((l) => l.type === 'userState' && l.state === 'speaking' && l.t! > start.t! && l.t! < end.t!)).toBe(true);

    // In the job's own log: detection started on whichever came first, the room's word (sip.callStatus active) or the
    // API's answer; both orders happen on the real stack. Started by the room, it was running when the API returned.
    const { pid } = await s.worker.job(room);
    const lines = s.worker.lines.filter((l) => l.pid === pid);
    const listens = lines.findIndex((l) => l.msg === LEG_ANSWERED);
    const returned = lines.findIndex((l) => l.msg === API_RETURNED);
    expect(returned).toBeGreaterThanOrEqual(0);
    expect(lines[returned]).toMatchObject({ outcome: 'answered', screening: listens >= 0 && listens < returned });

    // The caller hears how it went: the agent speaks after the dial's end.
    await s.worker.waitForRecord(room, (l) => l.type === 'agentState' && l.state === 'speaking' && l.t! > end.t!, 'the agent telling the caller', 20_000);
    expect(await phone.exited).toBe(0);
  });

  it("a caller who leaves while AMD listens (onCallerLeft continue): afterwards the session hears the callee, not the caller who is gone", async () => {
    // Its sentence (3.9 s), then 6 s of quiet, again and again: AMD hears a greeting end, and later ones follow.
    s.phone(startCallee({ ringMs: 1_000, answer: true }, CALLEE_PORT, { quietSeconds: 6 }));
    const call = s.call(await webCall(s.worker, 'amd-caller-left', { metadata: { dial: { onCallerLeft: 'continue', amd: { detectionTimeout: 8 } } } }));
    const { room } = call;
    await dialFromChat(s.worker, call, NUMBER);
    const { pid } = await s.worker.job(room);
    // AMD listens from the first of the room's answer and the API's.
    await eventually(() => s.worker.lines.find((l) => l.pid === pid && (l.msg === LEG_ANSWERED || (l.msg === API_RETURNED && l.outcome === 'answered'))), 'AMD listening to the leg', 30_000);
    await call.caller.leave();
    await s.worker.waitForRecord(room, (l) => l.type === 'callerHangup', "the caller's hang-up", 10_000);
    // The scripted model never classifies: AMD settles at its budget (uncertain), a person.
    const end = await s.worker.waitForRecord(room, (l) => l.type === 'dialEnd', 'the dial to end', 40_000);
    expect(end).toMatchObject({ outcome: 'answered' });
    // The callee's next sentence reaches the session's own input (its user state), so presence and the model hear them.
    await s.worker.waitForRecord(room, (l) => l.type === 'userState' && l.state === 'speaking' && l.t! > end.t!, 'the session hearing the callee after AMD', 30_000);
  });
});
