/**
 * The conversation-level checks, written with the framework's own test API (`session.run({ userInput })` →
 * `RunResult`, `result.expect.nextEvent().isFunctionCall(...)`, `isFunctionCallOutput`, `isMessage`,
 * `noMoreEvents()`, `voice.testing.withMockTools`), on a real AgentSession bound to the machine and the emulator
 * (`startAgentCall`): the model's tool calls are scripted with the framework's FakeLLM (`toolCalls`), and what the
 * model is told back is asserted as the function call output it receives.
 *
 * - `add_participant`: an allowed number is dialed through the bridge and the emulator; a refused one (not E.164,
 *   outside `dial.allow`, a denied premium-rate number, a second dial while one is in flight) is explained to the
 *   model and never reaches the API; a tool that skips the policy check is still stopped by the machine.
 * - `end_call`: the call closes through the normal path (goodbye, close, shutdown).
 * - the end-session RPC (`agent.endSession`): an accepted request closes the call the same way; a refused caller or
 *   a malformed payload gets an `RpcError` and the conversation goes on.
 * - check-in generation: an `llm` check-in goes through `generateReply`, and the agent says what the model generated.
 */
import { voice } from '@livekit/agents';
import { RpcError } from '@livekit/rtc-node';
import { afterEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { endSessionHandler } from '../src/presence/endSessionRpc.js';
import { CallAgent } from '../src/agent/callAgent.js';
import { explainRefusal, presenceAgentParts } from '../src/presence/tools.js';
import type { CallBridge } from '../src/bridge/callBridge.js';
import { defineConfig } from '../src/config/load.js';
import type { AgentConfigInput } from '../src/config/schema.js';
import { createTextSession } from '../src/local/textSession.js';
import type { SipEntry } from '../src/sip/entry.js';
import { startAgentCall, until } from './support/session.js';


/** The framework hands a tool's string result to the model JSON-encoded: this is the text the model receives. */
const toModel = (s: string) => JSON.stringify(s);

const DIALING = (n: string) => `Dialing ${n} now. Tell the user you are calling.`;
const ENDING = 'The call is ending; a goodbye is being said.';
const GOODBYE = defineConfig({}).goodbye.messages;

const quiet = {
  presence: { userAwayTimeout: 30 },
  checkIn: { mode: 'fixed', interval: 0.2, maxPrompts: 2 },
  goodbye: { maxSeconds: 1 },
} as const;

let call: Awaited<ReturnType<typeof startAgentCall>> | null = null;
afterEach(async () => {
  await call?.stop();
  call = null;
});

const start = (config: AgentConfigInput, llm: voice.testing.FakeLLM, sip: Record<string, SipEntry> = {}) =>
  startAgentCall(config, { llm, sip, agent: (bridge) => new CallAgent(presenceAgentParts(bridge), 'You are a test agent.') });

/** The model's answer to a user asking to add `phone`: a call to `add_participant` with it. */
const asksToAdd = (phone: string): voice.testing.FakeLLMResponse => ({
  input: `please add ${phone} to the call`,
  toolCalls: [{ name: 'add_participant', args: { phone } }],
});
/** The model's answer once it has read the tool's output `output`: proof that exactly this text reached it. */
const answers = (output: string, content: string): voice.testing.FakeLLMResponse => ({ input: toModel(output), content });

/** The text of an assistant message event. */
const said = (m: voice.testing.MessageAssert) => m.event().item.textContent;

/** Everything the agent said in this call, from the session's own history (replies, check-ins, say()). */
const agentSaid = () =>
  call!.session.history.items.flatMap((i) => (i.type === 'message' && i.role === 'assistant' ? [i.textContent ?? ''] : []));
const lastSaid = () => agentSaid().at(-1);

describe('add_participant, through session.run', () => {
  it('an allowed number: the model is told it is being dialed, and the bridge dials it through the emulator', async () => {
    const llm = new voice.testing.FakeLLM([asksToAdd('+15550001111'), answers(DIALING('+15550001111'), 'Calling your manager now.')]);
    call = await start({ ...quiet, dial: { allow: ['+1*'] } }, llm, { '+15550001111': { outcome: 'answered', ringSeconds: 0.5 } });

    const result = await call.session.run({ userInput: 'please add +15550001111 to the call' }).wait();
    result.expect.nextEvent().isFunctionCall({ name: 'add_participant', args: { phone: '+15550001111' } });
    const output = result.expect.nextEvent().isFunctionCallOutput({ output: toModel(DIALING('+15550001111')), isError: false });
    expect(output.event().item.output).toMatch(/^"Dialing \+15550001111/);
    expect(said(result.expect.nextEvent().isMessage({ role: 'assistant' }))).toBe('Calling your manager now.');
    result.expect.noMoreEvents();

    await until(() => call!.types().includes('dialEnd'));
    expect(call.emulator.calls.filter((c) => c.method.endsWith('CreateSIPParticipant')).map((c) => c.request.sipCallTo)).toEqual(['+15550001111']);
    expect(call.timeline.find((e) => e.type === 'dialEnd')).toMatchObject({ number: '+15550001111', outcome: 'answered' });
    // The tool ran with presence paused, and the dial went through the machine.
    expect(call.types().filter((t) => ['toolStart', 'dialRequest', 'dialStart', 'toolEnd'].includes(t))).toEqual(['toolStart', 'dialRequest', 'dialStart', 'toolEnd']);
  });

  it('refused numbers are explained to the model and never reach the API: not E.164, not allowed, premium-rate, a second dial in flight', async () => {
    const refusals = {
      '555 1234': `Not dialed: ${explainRefusal('not_e164')}`,
      '+442071234567': `Not dialed: ${explainRefusal('not_allowed')}`, // outside dial.allow ['+1*']
      '+19005550100': `Not dialed: ${explainRefusal('not_allowed')}`, // allowed by '+1*', denied as premium-rate (+1900*)
    };
    const inFlight = `Not dialed: ${explainRefusal('dial_in_flight')}`;
    const llm = new voice.testing.FakeLLM([
      ...Object.keys(refusals).map(asksToAdd),
      asksToAdd('+15550001111'),
      asksToAdd('+15550002222'),
      answers(refusals['555 1234'], 'I need the number with its country code.'),
      answers(refusals['+442071234567'], 'I am not allowed to call that number.'),
      answers(DIALING('+15550001111'), 'Calling them now.'),
      answers(inFlight, 'I am still dialing the first number.'),
    ]);
    // The first dial rings long enough to still be in flight at the next turn, however slow the machine is.
    call = await start({ ...quiet, dial: { allow: ['+1*'] } }, llm, { '+15550001111': { outcome: 'answered', ringSeconds: 3 } });

    /** One user turn: the model calls the tool with `phone`, gets `output`, and (when scripted) answers `reply`. */
    const turn = async (phone: string, output: string, reply?: string) => {
      const result = await call!.session.run({ userInput: `please add ${phone} to the call` }).wait();
      result.expect.nextEvent().isFunctionCall({ name: 'add_participant', args: { phone } });
      const out = result.expect.nextEvent().isFunctionCallOutput({ output: toModel(output), isError: false });
      if (reply !== undefined) expect(said(result.expect.nextEvent().isMessage({ role: 'assistant' }))).toBe(reply);
      result.expect.noMoreEvents();
      return JSON.parse(out.event().item.output) as string;
    };

    expect(await turn('555 1234', refusals['555 1234'], 'I need the number with its country code.')).toMatch(/^Not dialed: .*E\.164/);
    expect(await turn('+442071234567', refusals['+442071234567'], 'I am not allowed to call that number.')).toMatch(/^Not dialed: .*not allowed/);
    expect(await turn('+19005550100', refusals['+19005550100'], 'I am not allowed to call that number.')).toMatch(/^Not dialed: .*not allowed/);
    // Refused by the tool itself: neither the API nor even the machine's dialer saw them.
    expect(call.emulator.calls).toEqual([]);
    expect(call.types()).not.toContain('dialRequest');

    expect(await turn('+15550001111', DIALING('+15550001111'), 'Calling them now.')).toMatch(/^Dialing \+15550001111/);
    expect(await turn('+15550002222', inFlight, 'I am still dialing the first number.')).toMatch(/^Not dialed: .*already being dialed/);
    expect(call.timeline.find((e) => e.type === 'dialRefused')).toMatchObject({ number: '+15550002222', reason: 'dial_in_flight' });

    await until(() => call!.emulator.calls.length > 0);
    expect(call.emulator.calls.map((c) => c.request.sipCallTo)).toEqual(['+15550001111']);
    expect(call.types().filter((t) => t === 'toolStart')).toHaveLength(5);
  });

  it('a tool that skips the policy check (mocked) is still stopped by the machine: a premium-rate number never reaches the API', async () => {
    const llm = new voice.testing.FakeLLM([asksToAdd('+19005550100')]);
    call = await start(quiet, llm);
    const bridge = call.bridge;
    // A careless add_participant that hands the number straight to the machine.
    const mock = vi.fn(({ phone }: { phone: string }) => bridge.requestDial(phone) ?? 'dialing');
    const mocked = voice.testing.withMockTools(CallAgent, { add_participant: mock });
    try {
      const result = await call.session.run({ userInput: 'please add +19005550100 to the call' }).wait();
      result.expect.nextEvent().isFunctionCall({ name: 'add_participant', args: { phone: '+19005550100' } });
      result.expect.nextEvent().isFunctionCallOutput({ output: toModel('not_allowed'), isError: false });
      result.expect.noMoreEvents();
    } finally {
      mocked[Symbol.dispose]();
    }
    expect(mock).toHaveBeenCalledOnce();
    expect(call.timeline.filter((e) => e.type === 'dialRequest' || e.type === 'dialRefused')).toMatchObject([
      { type: 'dialRequest', number: '+19005550100' },
      { type: 'dialRefused', number: '+19005550100', reason: 'not_allowed' },
    ]);
    expect(call.types()).not.toContain('dialStart');
    expect(call.emulator.calls).toEqual([]);
  });
});

describe('end_call, through session.run', () => {
  it('the model ends the call: goodbye, session close, shutdown, room deleted', async () => {
    const llm = new voice.testing.FakeLLM([{ input: 'that is all, thanks', toolCalls: [{ name: 'end_call', args: {} }] }]);
    call = await start(quiet, llm);

    const result = await call.session.run({ userInput: 'that is all, thanks' }).wait();
    result.expect.nextEvent().isFunctionCall({ name: 'end_call' });
    result.expect.nextEvent().isFunctionCallOutput({ output: toModel(ENDING), isError: false });
    // The model says nothing more: the goodbye is the machine's fixed text, spoken with session.say in this turn. The
    // run waits for that speech, but 1.9's RunResult does not list say() messages (its ttsTask never reports the item
    // to the speech handle), so the goodbye is read from the session's history.
    result.expect.noMoreEvents();
    expect(call.types()).toContain('playoutEnd');
    expect(lastSaid()).toBe(GOODBYE.end_requested);

    expect(await call.bridge.ended).toBe('end_requested');
    await call.bridge.drain();
    expect(call.shutdowns).toEqual(['end_requested']);
    // The model's request is recorded as the exit trigger it is, before the close it starts.
    expect(call.types().filter((t) => ['endRequest', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom'].includes(t))).toEqual(['endRequest', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(call.timeline.find((e) => e.type === 'endRequest')).toMatchObject({ source: 'agent' });
    expect(call.timeline.find((e) => e.type === 'sessionClose')).toMatchObject({ reason: 'end_requested' });
    expect(call.emulator.isDeleted('call-1')).toBe(true);
  });
});

describe('end-session RPC (agent.endSession), on a live call', () => {
  const rpc = (callerIdentity: string, payload: string) => ({ requestId: 'r1', callerIdentity, payload, responseTimeout: 5000 });
  /** The handler as `startCall` registers it: a valid request asks the machine to end the call. */
  const register = (allow: string[]) => {
    const ended: number[] = [];
    const bridge = call!.bridge;
    const handler = endSessionHandler({ allow, end: () => (ended.push(1), bridge.send({ type: 'END_REQUESTED', source: 'frontend' })) });
    return { ended, handler };
  };
  const chatting = () => new voice.testing.FakeLLM([{ input: 'are you there?', content: 'Yes, I am here.' }]);
  /** The conversation goes on: a user turn is answered, and nothing closed. */
  const stillTalking = async () => {
    const result = await call!.session.run({ userInput: 'are you there?' }).wait();
    expect(said(result.expect.nextEvent().isMessage({ role: 'assistant' }))).toBe('Yes, I am here.');
    result.expect.noMoreEvents();
    expect(call!.bridge.isEnded).toBe(false);
    expect(call!.types()).not.toContain('goodbye');
    expect(call!.shutdowns).toEqual([]);
  };

  it('an allowed caller with a valid payload ends the call through the normal path (goodbye, close, shutdown)', async () => {
    call = await start(quiet, chatting());
    const { ended, handler } = register(['web-*']);
    expect(await handler(rpc('web-alice', '{"reason":"user clicked end"}'))).toBe('{"ok":true}');
    expect(await handler(rpc('web-bob', ''))).toBe('{"ok":true}');
    expect(ended).toHaveLength(2);
    expect(await call.bridge.ended).toBe('end_requested');
    await call.bridge.drain();
    // Asked twice, closed once.
    expect(call.shutdowns).toEqual(['end_requested']);
    expect(call.types().filter((t) => ['goodbye', 'sessionClose', 'shutdown', 'deleteRoom'].includes(t))).toEqual(['goodbye', 'sessionClose', 'shutdown', 'deleteRoom']);
    // The caller heard the goodbye: it is the conversation's last word.
    expect(lastSaid()).toBe(GOODBYE.end_requested);
  });

  it('refuses a caller not allowed by endSession.allow, naming them; the conversation goes on', async () => {
    call = await start(quiet, chatting());
    const { ended, handler } = register(['web-*']);
    await expect(handler(rpc('sip-15550001111', '{}'))).rejects.toThrow(/participant "sip-15550001111" may not end this session/);
    await expect(handler(rpc('sip-15550001111', '{}'))).rejects.toBeInstanceOf(RpcError);
    expect(ended).toEqual([]);
    await stillTalking();
  });

  it('refuses a malformed payload with a clear error, and does not end the call', async () => {
    call = await start(quiet, chatting());
    const { ended, handler } = register(['*']);
    await expect(handler(rpc('web-alice', 'end please'))).rejects.toThrow(/invalid payload: expected JSON/);
    await expect(handler(rpc('web-alice', '{"reason":42}'))).rejects.toThrow(/invalid payload: reason: /);
    await expect(handler(rpc('web-alice', '{"force":true}'))).rejects.toThrow(/invalid payload/);
    expect(ended).toEqual([]);
    await stillTalking();
  });
});

describe('check-in generation (checkIn.mode llm)', () => {
  it('goes through generateReply with checkIn.instructions, and the agent says what the model generated', async () => {
    // FakeLLM recognises an instruction-only turn by the system message's last line starting with "instructions:";
    // generateReply appends the extra instructions to the agent's on a new line, so these are written that way.
    const instructions = 'instructions: the user went quiet; ask kindly whether they are still there';
    const llm = new voice.testing.FakeLLM([{ input: instructions, content: 'Still with me, friend?' }]);
    // Spied on before the session starts, so that however soon the check-in comes, it is seen.
    let generateReply!: MockInstance<voice.AgentSession['generateReply']>;
    let sayCalls!: MockInstance<voice.AgentSession['say']>;
    call = await startAgentCall(
      { presence: { userAwayTimeout: 0.3 }, checkIn: { mode: 'llm', instructions, interval: 0.2, maxPrompts: 1 }, goodbye: { maxSeconds: 1 } },
      {
        agent: (bridge) => new CallAgent(presenceAgentParts(bridge), 'You are a test agent.'),
        session: (userAwayTimeout) => {
          const session = createTextSession(llm, userAwayTimeout);
          generateReply = vi.spyOn(session, 'generateReply');
          sayCalls = vi.spyOn(session, 'say');
          return session;
        },
      },
    );

    await until(() => call!.types().includes('playoutEnd'));
    expect(call.timeline.find((e) => e.type === 'checkIn')).toMatchObject({ attempt: 1 });
    expect(generateReply).toHaveBeenCalledExactlyOnceWith({ instructions });
    expect(sayCalls).not.toHaveBeenCalled();
    // The generated text, not the fixed fallback (checkIn.messages[0], "Are you still there?").
    expect(agentSaid()).toEqual(['Still with me, friend?']);

    // Then the goodbye (a fixed text, said), and the close.
    expect(await call.bridge.ended).toBe('user_unresponsive');
    expect(sayCalls).toHaveBeenCalledWith(GOODBYE.user_unresponsive, { allowInterruptions: false });
  });
});
