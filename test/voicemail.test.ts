/**
 * Answering-machine detection on the dial path, through the framework's real `voice.AMD` class:
 * - the bridge's dial (the unmodified SipDialer against the emulator, the real CallBridge and AgentSession), with the
 *   leg's greeting delivered to AMD through its recognition hooks, as AMD's own tests (`amd.test.ts`) drive it, and
 *   AMD's LLM the framework's FakeLLM scripted by the simulator's greeting rule: human → answered, machine →
 *   voicemail (leg removed, the model told), uncertain → answered, leave-message, a dial cancelled mid-detection;
 * - the same path in agent mode (greetings played into the real session by the simulated line) against model mode.
 * Real clocks with AMD's timings scaled down (screen.timeScale); no assertion on wall-clock time.
 */
import { initializeLogger, voice } from '@livekit/agents';
import { afterEach, describe, expect, it } from 'vitest';
import agentConfig from '../agent.config.js';
import type { AgentConfigInput } from '../src/config/schema.js';
import { dialOutcomeNote } from '../src/dialer/outcomeNote.js';
import { amdScriptedLlm, classifyGreeting } from '../src/simulator/amdModel.js';
import { runAgent } from '../src/simulator/runAgent.js';
import { runModel } from '../src/simulator/runModel.js';
import { parseScenario, type ScenarioInput } from '../src/simulator/scenario.js';
import type { SipEntry } from '../src/sip/entry.js';
import { ACTION_TYPES, type TimelineEvent } from '../src/timeline/timeline.js';
import { hookLine } from './support/amdLine.js';
import { startAgentCall, until } from './support/session.js';

initializeLogger({ pretty: false, level: 'error' });

const NUMBER = '+15550001111';
const HUMAN = 'Hello, this is Robin.';
const VOICEMAIL = "Hi, you've reached Dana. Please leave a message after the tone.";
const IVR = 'Thank you for calling. For sales press 1, for support press 2.';
const UNCERTAIN = 'Good afternoon and thank you so much for calling today.';
/** Real seconds per second of AMD's timings: its 1.5 s silence is 30 ms here, its 20 s budget 0.4 s. */
const SCALE = 0.02;

let call: Awaited<ReturnType<typeof startAgentCall>> | null = null;
afterEach(async () => {
  await call?.stop();
  call = null;
});

async function dialInto(greeting: string, config: AgentConfigInput = {}, entry: Partial<SipEntry> = {}) {
  const line: string[] = [];
  const sip = { [NUMBER]: { outcome: 'voicemail', ringSeconds: 0.05, greeting, ...entry } as SipEntry };
  call = await startAgentCall(
    { dial: { amd: { detectionTimeout: 20 } }, ...config },
    { sip, screen: (session) => ({ line: hookLine(() => session, greeting, line), models: { llm: amdScriptedLlm(sip), stt: null }, timeScale: SCALE }) },
  );
  expect(call.bridge.requestDial(NUMBER)).toBeNull();
  await until(() => call!.types().includes('dialEnd'), 8000);
  await call.bridge.drain();
  const removed = call.emulator.calls.filter((c) => c.method === 'livekit.RoomService/RemoveParticipant').map((c) => c.request.identity);
  const dial = call.types().filter((t) => ['dialStart', 'amd', 'voicemailMessage', 'legRemoved', 'dialEnd', 'dialCancel'].includes(t));
  return { call, line, removed, dial, get: <T extends string>(type: T) => call!.timeline.find((e) => e.type === type) };
}

const notes = (session: voice.AgentSession) =>
  session.currentAgent.chatCtx.items.flatMap((i) => (i.type === 'message' && i.role === 'system' ? [i.textContent ?? ''] : []));
const said = (session: voice.AgentSession) =>
  session.currentAgent.chatCtx.items.flatMap((i) => (i.type === 'message' && i.role === 'assistant' ? [i.textContent ?? ''] : []));

describe('the simulator greeting rule (what the scripted AMD LLM answers)', () => {
  it.each([
    [HUMAN, 'human'],
    ['Hello?', 'human'],
    [VOICEMAIL, 'machine-vm'],
    [IVR, 'machine-ivr'],
    ['The mailbox is full and cannot accept any new messages. Goodbye.', 'machine-unavailable'],
    [UNCERTAIN, 'uncertain'],
  ])('%s → %s', (greeting, category) => expect(classifyGreeting(greeting)).toBe(category));
});

describe('an answered dial goes through the real voice.AMD before it settles', () => {
  it('a human greeting: answered, a conference; the leg stays', async () => {
    const r = await dialInto(HUMAN, {}, { outcome: 'answered' });
    expect(r.dial).toEqual(['dialStart', 'amd', 'dialEnd']);
    expect(r.get('amd')).toMatchObject({ number: NUMBER, category: 'human' });
    expect(r.get('dialEnd')).toMatchObject({ outcome: 'answered' });
    expect(r.line).toEqual([`listen ${NUMBER} sip-15550001111-1`, 'restore']);
    expect(r.removed).toEqual([]);
    expect(r.call.bridge.actor.getSnapshot().context.callee).toBe(true);
  });

  it('a voicemail greeting (default onVoicemail hangup): the leg removed, the dial ends voicemail, the model told', async () => {
    const r = await dialInto(VOICEMAIL);
    expect(r.dial).toEqual(['dialStart', 'amd', 'legRemoved', 'dialEnd']);
    expect(r.get('amd')).toMatchObject({ category: 'machine-vm' });
    expect(r.get('dialEnd')).toMatchObject({ outcome: 'voicemail' });
    expect(r.removed).toEqual(['sip-15550001111-1']);
    const { context } = r.call.bridge.actor.getSnapshot();
    expect(context).toMatchObject({ callee: false, dialNumber: null });
    expect(r.call.bridge.mayBeCallee('sip-15550001111-1')).toBe(false);
    expect(notes(r.call.session)).toContain(dialOutcomeNote({ number: NUMBER, outcome: 'voicemail', amd: 'machine-vm' }));
    expect(said(r.call.session)).toEqual([]);
  });

  it("leave-message: the message said after the verdict, then the leg removed", async () => {
    const message = 'Please call Sam back.';
    const r = await dialInto(VOICEMAIL, { dial: { onVoicemail: 'leave-message', voicemailMessage: message, amd: { detectionTimeout: 20 } } });
    expect(r.dial).toEqual(['dialStart', 'amd', 'voicemailMessage', 'legRemoved', 'dialEnd']);
    expect(said(r.call.session)).toEqual([message]);
    expect(r.removed).toEqual(['sip-15550001111-1']);
    expect(notes(r.call.session)).toContain(dialOutcomeNote({ number: NUMBER, outcome: 'voicemail', amd: 'machine-vm', messageLeft: true }));
  });

  it('an IVR with leave-message: no message (nobody takes it), the leg removed, voicemail', async () => {
    const r = await dialInto(IVR, { dial: { onVoicemail: 'leave-message', amd: { detectionTimeout: 20 } } });
    expect(r.dial).toEqual(['dialStart', 'amd', 'legRemoved', 'dialEnd']);
    expect(r.get('amd')).toMatchObject({ category: 'machine-ivr' });
    expect(r.get('dialEnd')).toMatchObject({ outcome: 'voicemail' });
    expect(said(r.call.session)).toEqual([]);
  });

  it('uncertain (no verdict within the detection budget) counts as a person: answered', async () => {
    const r = await dialInto(UNCERTAIN, {}, { outcome: 'answered' });
    expect(r.dial).toEqual(['dialStart', 'amd', 'dialEnd']);
    expect(r.get('amd')).toMatchObject({ category: 'uncertain' });
    expect(r.get('dialEnd')).toMatchObject({ outcome: 'answered' });
    expect(r.removed).toEqual([]);
  });

  it('a dial the machine cancels while AMD listens (the caller hangs up, onCallerLeft cancel): no verdict recorded, the leg removed by the cancel', async () => {
    // A leg that never speaks: AMD would settle only at its no-speech timeout; the caller's hang-up comes first.
    const line: string[] = [];
    const sip = { [NUMBER]: { outcome: 'answered', ringSeconds: 0.05 } as SipEntry };
    call = await startAgentCall(
      { dial: { amd: { noSpeechTimeout: 60, detectionTimeout: 60 }, maxSeconds: 200 } },
      { sip, screen: () => ({ line: { listen: () => void line.push('listen'), restore: () => void line.push('restore') }, models: { llm: amdScriptedLlm(sip), stt: null }, timeScale: 1 }) },
    );
    call.bridge.requestDial(NUMBER);
    await until(() => line.includes('listen'), 8000);
    call.bridge.send({ type: 'CALLER_DISCONNECTED' });
    await until(() => call!.types().includes('dialEnd'), 8000);
    await call.bridge.drain();
    expect(call.types().filter((t) => ['amd', 'dialCancel', 'dialEnd'].includes(t))).toEqual(['dialCancel', 'dialEnd']);
    expect(call.timeline.find((e) => e.type === 'dialEnd')).toMatchObject({ outcome: 'cancelled' });
    expect(call.emulator.calls.filter((c) => c.method === 'livekit.RoomService/RemoveParticipant').map((c) => c.request.identity)).toContain('sip-15550001111-1');
    expect(line).toEqual(['listen', 'restore']);
    expect(call.session.amd).toBeNull();
  });
});

// Three independent runs on scaled real clocks: side by side.
describe.concurrent('agent mode (the simulated line playing greetings into the real session) agrees with model mode', () => {
  const TIME_SCALE = 0.1;
  const scenario = (sip: Record<string, SipEntry>, config: Record<string, unknown> = {}): ScenarioInput => ({
    name: 'amd on the simulated line',
    config: { presence: { userAwayTimeout: 10 }, checkIn: { mode: 'fixed', interval: 8, maxPrompts: 1 }, dial: { amd: { detectionTimeout: 8 } }, ...config },
    sip,
    steps: [{ at: 0, say: 'please add them' }, { at: 2, dial: NUMBER }],
    until: 20,
  });
  const actions = (timeline: readonly TimelineEvent[]) =>
    timeline.filter((e) => (ACTION_TYPES as readonly string[]).includes(e.type) && e.t < 15).map(({ t, ...e }) => ({ ...e, t: Math.round(t * 10) / 10 }));

  it.each([
    ['human', { outcome: 'answered', ringSeconds: 2, greeting: HUMAN }, 'answered'],
    ['voicemail', { outcome: 'voicemail', ringSeconds: 2, greeting: VOICEMAIL }, 'voicemail'],
    ['uncertain', { outcome: 'answered', ringSeconds: 2, greeting: UNCERTAIN }, 'answered'],
  ] as const)('%s greeting', async (_name, entry, outcome) => {
    const input = parseScenario(scenario({ [NUMBER]: entry as SipEntry }));
    const model = runModel(input, agentConfig);
    const agent = await runAgent(input, agentConfig, { timeScale: TIME_SCALE, slack: 1 });
    expect(model.summary.violations).toEqual([]);
    expect(agent.summary.violations).toEqual([]);
    const m = actions(model.timeline);
    const a = actions(agent.timeline);
    expect(m.find((e) => e.type === 'dialEnd')).toMatchObject({ outcome });
    expect(a.map(({ t: _t, ...e }) => e)).toEqual(m.map(({ t: _t, ...e }) => e));
    // Same decision at about the same time (the real clock lags by the framework's latency, magnified by the scale).
    const amdAt = (x: typeof m) => x.find((e) => e.type === 'amd')!.t;
    // On a busy machine the event loop's measured stalls come on top (runAgent's scheduling report, where present).
    const stalled = (agent as { scheduling?: { stalledMs: number } }).scheduling?.stalledMs ?? 0;
    expect(Math.abs(amdAt(a) - amdAt(m))).toBeLessThan(1 + stalled / 1000 / TIME_SCALE);
  }, 30_000);
});
