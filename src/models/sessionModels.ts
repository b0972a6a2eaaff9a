/**
 * The session's STT, LLM and TTS, by `models.provider`. `openai` is production. `scripted` runs the same agent with
 * no model service at all (the e2e suite against LiveKit's real server, machines with no network): Silero VAD still
 * hears the caller, each speech segment it finds is transcribed as SCRIPTED_TRANSCRIPT (the framework's FakeSTT, used
 * non-streaming so the session wraps it with the VAD, as it would any batch STT), the framework's FakeLLM answers
 * (ScriptedLLM, with tools on request: scriptedToolCall), and a tone per text is spoken (ToneTTS).
 */
import type { llm, stt, tts } from '@livekit/agents';
import { stt as sttNs } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import type { AgentConfig } from '../config/schema.js';
import { checkInInstructionsOf, ScriptedLLM } from './scriptedLlm.js';
import { ToneTTS } from './toneTts.js';

/** What the scripted STT hears in any speech segment. */
export const SCRIPTED_TRANSCRIPT = 'caller speech';
/** The scripted model's answer to a user turn. */
export const scriptedReply = (input: string): string => `I heard: ${input}.`;

/**
 * The scripted model's tools, as a user would ask for them in the room's text chat (`lk.chat`): "dial +15551234567"
 * calls add_participant, "end the call" calls end_call. Speech is only ever SCRIPTED_TRANSCRIPT.
 */
export function scriptedToolCall(input: string): { name: string; args: Record<string, unknown> } | null {
  const dial = /^dial\s+(\S+)$/i.exec(input.trim());
  if (dial) return { name: 'add_participant', args: { phone: dial[1] } };
  if (/^end the call$/i.test(input.trim())) return { name: 'end_call', args: {} };
  return null;
}

export interface SessionModels {
  stt: stt.STT;
  llm: llm.LLM;
  tts: tts.TTS;
}

export function sessionModels(config: AgentConfig): SessionModels {
  const m = config.models;
  if (m.provider === 'scripted') {
    return {
      stt: new sttNs.testing.FakeSTT({ fakeTranscript: SCRIPTED_TRANSCRIPT, capabilities: { streaming: false } }),
      llm: new ScriptedLLM({
        reply: scriptedReply,
        toolCall: scriptedToolCall,
        checkInInstructions: checkInInstructionsOf(config),
        greeting: config.greeting,
        // An llm-mode check-in "generates" the first fixed text for its audience (fixed mode says each text in turn itself).
        checkIn: (audience) => (audience === 'room' ? config.checkIn.roomMessages : config.checkIn.messages)[0]!,
        latencyMs: 100,
      }),
      tts: new ToneTTS(),
    };
  }
  return {
    stt: new openai.STT({ model: m.stt }),
    llm: new openai.LLM({ model: m.llm }),
    tts: new openai.TTS({ model: m.tts, voice: m.voice as never }),
  };
}
