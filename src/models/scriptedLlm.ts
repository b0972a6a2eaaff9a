/**
 * The scripted model used when there is no OpenAI key (local mode) and in agent-mode simulation: the framework's
 * own FakeLLM, answering every user turn with a reply and every generated check-in (a reply whose extra
 * instructions are the check-in instructions) with the check-in text the machine chose, after a fixed latency.
 */
import { llm, voice } from '@livekit/agents';
import { callSettings, checkInText } from '../../machines/call.machine.js';
import type { Audience } from '../../machines/events.js';
import type { AgentConfig } from '../config/schema.js';
import { dialNoteHeadline } from '../dialer/outcomeNote.js';
import type { TimelineEntry } from '../timeline/timeline.js';

/**
 * The text of the check-in the machine asked for last, followed through the timeline: what the scripted model
 * "generates" for an llm-mode check-in (the machine's fixed text for that attempt).
 */
export function followCheckIns(config: AgentConfig): { observe(entry: TimelineEntry): void; text(): string } {
  const settings = callSettings(config);
  let attempt = 1;
  let audience: Audience = 'caller';
  return {
    observe: (entry) => {
      if (entry.type !== 'checkIn') return;
      attempt = entry.attempt;
      audience = entry.audience ?? 'caller';
    },
    text: () => checkInText(settings, attempt, audience),
  };
}

/** The instructions a generated check-in comes with, by whom it asks: the caller, or the room in a conference. */
export const checkInInstructionsOf = (config: AgentConfig): Record<Audience, string> => ({ caller: config.checkIn.instructions, room: config.checkIn.roomInstructions });

export interface ScriptedLlmOptions {
  /** The answer to a user turn. */
  reply: (userInput: string) => string;
  /**
   * `checkIn.instructions` and `checkIn.roomInstructions` (checkInInstructionsOf): how a generated check-in is
   * recognised, whether it asks the caller or, in a conference, the room. A room check-in the model did not recognise
   * would be answered as a user turn with nothing in it, and said as nothing.
   */
  checkInInstructions: Record<Audience, string>;
  /** `greeting` (mode `llm`): its instructions are recognised, and answered with its text. */
  greeting?: { instructions: string; text: string };
  /** The answer to a generated check-in, by whom it asks. */
  checkIn: (audience: Audience) => string;
  /** A tool call to answer a user turn with instead of a reply (then `reply` answers the tool's output). */
  toolCall?: (userInput: string) => { name: string; args: Record<string, unknown> } | null;
  /** Time to first token, milliseconds. */
  latencyMs: number;
  /** Fault injection: an error to fail this turn with. */
  fault?: (isCheckIn: boolean) => Error | null;
}

/** FakeLLM's own marker for an instruction-only turn (the last line of the system message), one per audience. */
const CHECK_IN_MARKERS: Record<Audience, string> = { caller: 'instructions: check-in', room: 'instructions: room check-in' };
/** FakeLLM's marker for a dial outcome's reply: its headline follows. */
const DIAL_MARKER = 'instructions: dial result: ';
const GREETING_MARKER = 'instructions: greeting';
const audienceOf = (input: string): Audience | undefined => (Object.keys(CHECK_IN_MARKERS) as Audience[]).find((a) => CHECK_IN_MARKERS[a] === input);

export class ScriptedLLM extends voice.testing.FakeLLM {
  constructor(private readonly script: ScriptedLlmOptions) {
    super([]);
  }

  /**
   * `generateReply({ instructions })` appends the instructions to the agent's system message; FakeLLM only knows an
   * instruction-only turn by a last line starting with "instructions:", so such a turn is handed to it in that form.
   */
  override chat(params: Parameters<voice.testing.FakeLLM['chat']>[0]): llm.LLMStream {
    const system = params.chatCtx.items.find((i): i is llm.ChatMessage => i.type === 'message' && i.role === 'system');
    const text = system?.textContent ?? '';
    const marker = this.instructionMarker(text);
    if (marker === null) return super.chat(params);
    const chatCtx = llm.ChatContext.empty();
    chatCtx.addMessage({ role: 'system', content: `scripted turn\n${marker}` });
    return super.chat({ ...params, chatCtx });
  }

  /**
   * The instruction-only turn a system text ends with, as FakeLLM's marker line: a check-in (by audience), the
   * greeting, or a dial's outcome (outcomeNote.ts: the model tells the caller what happened). Null: a user turn.
   */
  private instructionMarker(text: string): string | null {
    const audience = (Object.keys(CHECK_IN_MARKERS) as Audience[]).find((a) => text.endsWith(this.script.checkInInstructions[a]));
    if (audience) return CHECK_IN_MARKERS[audience];
    if (this.script.greeting && text.endsWith(this.script.greeting.instructions)) return GREETING_MARKER;
    const headline = dialNoteHeadline(text.slice(text.lastIndexOf('\n') + 1));
    return headline === null ? null : `${DIAL_MARKER}${headline}`;
  }

  override lookup(input: string): voice.testing.FakeLLMResponse {
    if (input === GREETING_MARKER && this.script.greeting) return { input, type: 'llm', content: this.script.greeting.text, ttft: this.script.latencyMs, duration: 0 };
    if (input.startsWith(DIAL_MARKER)) return { input, type: 'llm', content: input.slice(DIAL_MARKER.length), ttft: this.script.latencyMs, duration: 0 };
    const audience = audienceOf(input);
    const failure = this.script.fault?.(audience !== undefined);
    if (failure) throw failure;
    if (audience) return { input, type: 'llm', content: this.script.checkIn(audience), ttft: this.script.latencyMs, duration: 0 };
    const call = this.script.toolCall?.(input);
    if (call) return { input, type: 'llm', toolCalls: [call], ttft: this.script.latencyMs, duration: 0 };
    return { input, type: 'llm', content: this.script.reply(input), ttft: this.script.latencyMs, duration: 0 };
  }
}
