/**
 * No silence after a dial: however a dial ends, the model hears it and the caller hears about it. Call scenarios
 * through the framework's test API (`session.run({ userInput })`, then the session's own history), on a real
 * AgentSession bound to the machine and the emulator, with the scripted model production's `scripted` provider runs:
 * - busy, unanswered, failed, unreachable and answered dials each end with the agent saying what happened;
 * - answering-machine detection: a voicemail is reported; a leg that hangs up while AMD listens settles the dial at
 *   once (answered and gone), not when AMD's budget runs out; AMD starts when the room says the leg answered, before
 *   the dial's API call returns; a greeting heard from the leg is the callee's turn in the chat, not the caller's;
 * - with no way to hear the leg (no RoomIO), AMD is skipped with a warning rather than run on the caller.
 */
import { initializeLogger, llm, voice } from '@livekit/agents';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../src/config/schema.js';
import { dialNoteHeadline, dialOutcomeNote } from '../src/dialer/outcomeNote.js';
import { roomLegLine, type LegLine } from '../src/dialer/voicemail.js';
import { createTextSession } from '../src/local/textSession.js';
import { ScriptedLLM } from '../src/models/scriptedLlm.js';
import { scriptedReply, scriptedToolCall } from '../src/models/sessionModels.js';
import { amdScriptedLlm } from '../src/simulator/amdModel.js';
import type { SipEntry } from '../src/sip/entry.js';
import { hookLine } from './support/amdLine.js';
import { startAgentCall, until } from './support/session.js';

initializeLogger({ pretty: false, level: 'error' });

const NUMBER = '+15550001111';
const LEG = 'sip-15550001111-1';
/** AMD's timings scaled down: its 1.5 s silence is 30 ms, its budgets a fiftieth. */
const SCALE = 0.02;

let call: Awaited<ReturnType<typeof startAgentCall>> | null = null;
afterEach(async () => {
  await call?.stop();
  call = null;
});

const scripted = () =>
  new ScriptedLLM({ reply: scriptedReply, toolCall: scriptedToolCall, checkInInstructions: { caller: 'check in', room: 'check in room' }, checkIn: () => 'Still there?', latencyMs: 5 });

const quiet: AgentConfigInput = { presence: { userAwayTimeout: 60 }, dial: { allow: ['+1*'], amd: { enabled: false } } };

async function start(entry: SipEntry, config: AgentConfigInput = quiet, screen?: NonNullable<Parameters<typeof startAgentCall>[1]>['screen']) {
  const llm = scripted();
  call = await startAgentCall(config, {
    llm,
    sip: { [NUMBER]: entry },
    session: (userAwayTimeout) => createTextSession(llm, userAwayTimeout),
    ...(screen ? { screen } : {}),
  });
  return call;
}

/** What the agent said, in order (the session's history). */
const agentSaid = () => call!.session.history.items.flatMap((i) => (i.type === 'message' && i.role === 'assistant' ? [i.textContent ?? ''] : []));

/** The caller asks for the dial (a tool call, through the test API); resolves once the dial has settled and been reported. */
async function dialAndWait(expectedNote: string) {
  const result = await call!.session.run({ userInput: `dial ${NUMBER}` }).wait();
  result.expect.nextEvent().isFunctionCall({ name: 'add_participant', args: { phone: NUMBER } });
  result.expect.nextEvent().isFunctionCallOutput();
  result.expect.skipNextEventIf({ type: 'message', role: 'assistant' });
  const headline = dialNoteHeadline(expectedNote)!;
  await until(() => agentSaid().includes(headline), 10_000);
  return headline;
}

describe('every dial outcome is followed by words to the caller', () => {
  it.each([
    ['busy (486)', { outcome: 'busy', ringSeconds: 0.05 }, { number: NUMBER, outcome: 'busy', sipStatus: 486 }],
    ['not answered', { outcome: 'no-answer', ringSeconds: 0.05 }, { number: NUMBER, outcome: 'no-answer', sipStatus: 480 }],
    ['failed (503)', { outcome: 'failed', ringSeconds: 0.05 }, { number: NUMBER, outcome: 'failed', sipStatus: 503 }],
    ['answered (no AMD)', { outcome: 'answered', ringSeconds: 0.05 }, { number: NUMBER, outcome: 'answered' }],
  ] as const)('%s: the model is told, and tells the caller', async (_name, entry, settled) => {
    await start(entry as SipEntry);
    const note = dialOutcomeNote(settled);
    const headline = await dialAndWait(note);
    // Said after the dial's end, and the note is in the model's context for what comes next.
    expect(call!.timeline.findIndex((e) => e.type === 'dialEnd')).toBeGreaterThanOrEqual(0);
    expect(agentSaid().at(-1)).toBe(headline);
    const notes = call!.session.currentAgent.chatCtx.items.flatMap((i) => (i.type === 'message' && i.role === 'system' ? [i.textContent ?? ''] : []));
    expect(notes).toContain(note);
  });

  it('an unreachable trunk: the failure is reported too', async () => {
    await start({ outcome: 'unreachable', ringSeconds: 0.05 });
    await call!.session.run({ userInput: `dial ${NUMBER}` }).wait();
    await until(() => call!.types().includes('dialEnd'), 10_000);
    const end = call!.timeline.find((e) => e.type === 'dialEnd') as { outcome: 'failed'; sipStatus?: number };
    const headline = dialNoteHeadline(dialOutcomeNote({ number: NUMBER, outcome: end.outcome, ...(end.sipStatus ? { sipStatus: end.sipStatus } : {}) }))!;
    await until(() => agentSaid().includes(headline), 10_000);
  });

  it('a dial the call outlives no longer: nothing is said once the call is closing', async () => {
    await start({ outcome: 'busy', ringSeconds: 0.3 });
    await call!.session.run({ userInput: `dial ${NUMBER}` }).wait();
    call!.bridge.requestEnd('backend');
    await until(() => call!.types().includes('dialEnd'), 10_000);
    await call!.bridge.drain();
    expect(agentSaid().some((s) => s.includes('was busy'))).toBe(false);
  });
});

const withAmd = (amd: Record<string, number> = {}): AgentConfigInput => ({ presence: { userAwayTimeout: 60 }, dial: { allow: ['+1*'], maxSeconds: 200, amd: { detectionTimeout: 20, ...amd } } });

describe('answering-machine detection, heard from the answer', () => {
  it('a voicemail: the dial ends voicemail and the caller is told', async () => {
    const greeting = "Hi, you've reached Dana. Please leave a message after the tone.";
    const line: string[] = [];
    const sip = { [NUMBER]: { outcome: 'voicemail', ringSeconds: 0.05, greeting } as SipEntry };
    await start(sip[NUMBER]!, withAmd(), (session) => ({ line: hookLine(() => session, greeting, line), models: { llm: amdScriptedLlm(sip), stt: null }, timeScale: SCALE }));
    await dialAndWait(dialOutcomeNote({ number: NUMBER, outcome: 'voicemail', amd: 'machine-vm' }));
    expect(call!.timeline.find((e) => e.type === 'dialEnd')).toMatchObject({ outcome: 'voicemail' });
  });

  it('a leg that hangs up while AMD listens settles the dial at once: answered, gone, and the caller told', async () => {
    const line: string[] = [];
    const sip = { [NUMBER]: { outcome: 'answered', ringSeconds: 0.05 } as SipEntry };
    // AMD would wait 60 s (unscaled) for the leg to speak; the leg never does, it hangs up.
    await start(sip[NUMBER]!, withAmd({ noSpeechTimeout: 60, detectionTimeout: 60 }), (session) => ({ line: hookLine(() => session, null, line), models: { llm: amdScriptedLlm(sip), stt: null }, timeScale: 1 }));
    const asked = call!.session.run({ userInput: `dial ${NUMBER}` });
    await until(() => line.includes(`listen ${NUMBER} ${LEG}`), 10_000);
    call!.bridge.dialedParticipantLeft(LEG); // what call.ts does on the leg's ParticipantDisconnected
    await asked.wait();
    await until(() => call!.types().includes('calleeLeft'), 10_000);
    const dial = call!.types().filter((t) => ['amd', 'dialEnd', 'calleeLeft'].includes(t));
    expect(dial).toEqual(['dialEnd', 'calleeLeft']);
    expect(call!.timeline.find((e) => e.type === 'dialEnd')).toMatchObject({ outcome: 'answered' });
    expect(line).toEqual([`listen ${NUMBER} ${LEG}`, 'restore']);
    const headline = dialNoteHeadline(dialOutcomeNote({ number: NUMBER, outcome: 'answered', leftAtOnce: true }))!;
    await until(() => agentSaid().includes(headline), 10_000);
    expect(call!.session.amd).toBeNull();
  });

  it('starts when the room says the leg answered, before the dial API returns', async () => {
    const line: string[] = [];
    const greeting = 'Hello, this is Robin.';
    const sip = { [NUMBER]: { outcome: 'answered', ringSeconds: 1, greeting } as SipEntry };
    await start(sip[NUMBER]!, withAmd(), (session) => ({ line: hookLine(() => session, greeting, line), models: { llm: amdScriptedLlm(sip), stt: null }, timeScale: SCALE }));
    call!.bridge.requestDial(NUMBER);
    // The leg is ringing: nothing to hear yet.
    await new Promise((r) => setTimeout(r, 50));
    expect(line).toEqual([]);
    call!.bridge.legAnswered(LEG); // call.ts: the leg's sip.callStatus turned 'active'
    expect(line).toEqual([`listen ${NUMBER} ${LEG}`]);
    expect(call!.types()).not.toContain('dialEnd');
    await until(() => call!.types().includes('dialEnd'), 10_000);
    expect(call!.types().filter((t) => ['amd', 'dialEnd'].includes(t))).toEqual(['amd', 'dialEnd']);
    expect(call!.timeline.find((e) => e.type === 'amd')).toMatchObject({ category: 'human' });
    // Heard once: the API's answer does not start a second detection.
    expect(line).toEqual([`listen ${NUMBER} ${LEG}`, 'restore']);
  });

  it('a turn completed while AMD hears the leg is the callee’s in the chat, not the caller’s', async () => {
    const line: string[] = [];
    const sip = { [NUMBER]: { outcome: 'answered', ringSeconds: 0.05 } as SipEntry };
    await start(sip[NUMBER]!, withAmd({ noSpeechTimeout: 60, detectionTimeout: 60 }), (session) => ({ line: hookLine(() => session, null, line), models: { llm: amdScriptedLlm(sip), stt: null }, timeScale: 1 }));
    call!.bridge.requestDial(NUMBER);
    await until(() => line.length === 1, 10_000);
    // What AgentActivity does at the end of a user turn: the agent's hook, with the new message.
    const heard = llm.ChatMessage.create({ role: 'user', content: 'Hello?' });
    await call!.session.currentAgent.onUserTurnCompleted(call!.session.currentAgent.chatCtx, heard);
    expect(heard.textContent).toBe(`(${NUMBER}, who was just dialed, answered and said:) Hello?`);
    // The caller's own turns, once the line is back on them, stay theirs.
    call!.bridge.dialedParticipantLeft(LEG);
    await until(() => line.includes('restore'), 10_000);
    const own = llm.ChatMessage.create({ role: 'user', content: 'Thanks.' });
    await call!.session.currentAgent.onUserTurnCompleted(call!.session.currentAgent.chatCtx, own);
    expect(own.textContent).toBe('Thanks.');
  });

  it('no RoomIO to link: AMD is skipped with a warning, never run on the caller; the dial counts as answered', async () => {
    const sip = { [NUMBER]: { outcome: 'answered', ringSeconds: 0.05 } as SipEntry };
    // The deployed line on a session without its RoomIO (a text session has none).
    await start(sip[NUMBER]!, withAmd(), (session) => ({ line: roomLegLine(session, 'caller', () => true), models: { llm: amdScriptedLlm(sip), stt: null }, timeScale: SCALE }));
    call!.bridge.requestDial(NUMBER);
    await until(() => call!.types().includes('dialEnd'), 10_000);
    expect(call!.timeline.find((e) => e.type === 'dialEnd')).toMatchObject({ outcome: 'answered' });
    expect(call!.types()).not.toContain('amd');
    expect(call!.logs.map((l) => l.msg)).toContain('answering-machine detection skipped: the session cannot be linked to the leg (no RoomIO), and AMD would classify the caller');
  });
});

describe('failures in the dial path are never swallowed', () => {
  it('a line that cannot be linked to the leg: AMD is closed, the line restored, and the dial settles at once (answered)', async () => {
    const sip = { [NUMBER]: { outcome: 'answered', ringSeconds: 0.05 } as SipEntry };
    const line: string[] = [];
    const broken: LegLine = {
      listen: () => {
        throw new Error('RoomIO is closed');
      },
      restore: () => void line.push('restore'),
    };
    // AMD would wait 60 s for speech; a swallowed failure would leave the dial to the 200 s watchdog.
    await start(sip[NUMBER]!, { presence: { userAwayTimeout: 60 }, dial: { allow: ['+1*'], maxSeconds: 200, amd: { noSpeechTimeout: 60, detectionTimeout: 60 } } }, () => ({ line: broken, models: { llm: amdScriptedLlm(sip), stt: null }, timeScale: 1 }));
    call!.bridge.requestDial(NUMBER);
    await until(() => call!.types().includes('dialEnd'), 10_000);
    expect(call!.timeline.find((e) => e.type === 'dialEnd')).toMatchObject({ outcome: 'answered' });
    expect(line).toEqual(['restore']);
    expect(call!.session.amd).toBeNull();
    expect(call!.logs.map((l) => l.msg)).toContain('answering-machine detection failed; the dial counts as answered');
  });

  it('a dial that throws in the agent settles failed, and presence resumes', async () => {
    const sip = { [NUMBER]: { outcome: 'answered', ringSeconds: 0.05 } as SipEntry };
    const line: LegLine = {
      canHear: () => {
        throw new Error('session gone');
      },
      listen: () => {},
      restore: () => {},
    };
    await start(sip[NUMBER]!, withAmd(), () => ({ line, models: { llm: amdScriptedLlm(sip), stt: null }, timeScale: SCALE }));
    call!.bridge.requestDial(NUMBER);
    await until(() => call!.types().includes('dialEnd'), 10_000);
    expect(call!.timeline.find((e) => e.type === 'dialEnd')).toMatchObject({ outcome: 'failed' });
    expect(call!.logs.find((l) => l.msg === 'the dial failed in the agent')?.fields).toMatchObject({ number: NUMBER, error: 'session gone' });
    expect(call!.bridge.actor.getSnapshot().context.dialNumber).toBeNull();
  });
});

describe("the deployed line's restore (roomLegLine)", () => {
  const fakeSession = (linked: (string | null)[]) => ({ _roomIO: { setParticipant: (identity: string | null) => void linked.push(identity) } }) as unknown as voice.AgentSession;

  it('links the caller again when they are still in the room', () => {
    const linked: (string | null)[] = [];
    const line = roomLegLine(fakeSession(linked), 'caller-1', () => true);
    line.listen({ number: NUMBER, identity: LEG });
    line.restore();
    expect(linked).toEqual([LEG, 'caller-1']);
  });

  it('a caller who left during AMD (onCallerLeave continue): the session keeps hearing the leg, the one still there', () => {
    const linked: (string | null)[] = [];
    const line = roomLegLine(fakeSession(linked), 'caller-1', () => false);
    line.listen({ number: NUMBER, identity: LEG });
    line.restore();
    expect(linked).toEqual([LEG]);
  });
});
