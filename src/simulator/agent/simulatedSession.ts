/**
 * A real AgentSession with a simulated line: a scripted user (ScriptedVAD for voice activity, the framework's
 * FakeSTT for transcripts), the ScriptedLLM, a PacedTTS and a RealtimeAudioOutput, all on a real clock scaled by
 * `timeScale` (real seconds per simulated second).
 *
 * Where the model of the session (`sessionModel.ts`) simplifies, the session is configured to match it, and each
 * such setting says so: endpointing is immediate (the model's `replyLatency` is the whole reply delay), any detected
 * speech interrupts interruptible speech, and there is no AEC warm-up (there is no echo to cancel).
 */
import { stt, voice } from '@livekit/agents';
import type { Audience } from '../../../machines/events.js';
import type { LegLine } from '../../dialer/voicemail.js';
import type { ModelOptions } from '../sessionModel.js';
import { words } from '../scenario.js';
import { PacedTTS } from './pacedTts.js';
import { RealtimeAudioOutput } from './realtimeAudioOutput.js';
import { ScriptedLLM } from '../../models/scriptedLlm.js';
import { ScriptedVAD } from './scriptedVad.js';

/** FakeSTT that keeps the stream the session opened, so the scripted user can put transcripts on it. */
class ScriptedSTT extends stt.testing.FakeSTT {
  current: stt.testing.FakeRecognizeStream | null = null;
  override stream(options?: Parameters<stt.testing.FakeSTT['stream']>[0]): stt.testing.FakeRecognizeStream {
    this.current = super.stream(options);
    return this.current;
  }
}

export interface SimulatedSessionOptions {
  model: ModelOptions;
  timeScale: number;
  /** presence.userAwayTimeout, simulated seconds. */
  userAwayTimeout: number;
  /** `checkIn.instructions`, and the text of the check-in being generated (llm-mode check-ins). */
  checkInInstructions: Record<Audience, string>;
  checkInText: () => string;
  /** `greeting`: what the scripted model says when asked for it. */
  greeting: { instructions: string; text: string };
  /** Fault injection for the TTS (e.g. a goodbye that cannot be synthesised). */
  ttsFault?: (text: string) => Error | null;
  /** Fault injection for the LLM (e.g. every generated check-in fails). */
  llmFault?: (isCheckIn: boolean) => Error | null;
}

/**
 * The scripted user on the line, and the dialed legs: while answering-machine detection listens to one (`line`), the
 * session's input hears that leg's greeting instead of the caller, as RoomIO linked to it would.
 */
export class SimulatedUser {
  private speechTimer: NodeJS.Timeout | null = null;
  /** The dialed leg the input is linked to, and its greeting about to start. */
  private leg: { number: string; start: NodeJS.Timeout } | null = null;
  constructor(
    private readonly session: voice.AgentSession,
    private readonly vad: ScriptedVAD,
    private readonly stt: ScriptedSTT,
    private readonly o: SimulatedSessionOptions,
  ) {}

  /** Speaks `text` for words / speechRate simulated seconds; the STT's final transcript comes at the end. */
  says(text: string): void {
    if (!this.leg) this.say(text);
  }

  /** The VAD hears noise for `seconds`; no transcript. */
  noise(seconds: number): void {
    if (!this.leg) this.speak(seconds * 1000 * this.o.timeScale, () => {});
  }

  /**
   * The line AMD listens on (the deployed agent's is RoomIO's `setParticipant`): linking it to a leg cuts off what the
   * caller was saying (the VAD hears the stream change) and plays the leg's greeting into the session.
   */
  line(greetingOf: (number: string) => string): LegLine {
    return {
      listen: ({ number }) => {
        this.cutSpeech();
        // Once AMD listens: it starts right after this returns (screenAnsweredLeg), on this same turn.
        const start = setTimeout(() => {
          if (this.leg?.start === start) this.say(greetingOf(number));
        }, 0);
        this.leg = { number, start };
      },
      restore: () => {
        if (!this.leg) return;
        clearTimeout(this.leg.start);
        this.leg = null;
        this.cutSpeech();
      },
    };
  }

  private say(text: string): void {
    this.speak((words(text) / this.o.model.speechRate) * 1000 * this.o.timeScale, () => this.stt.current?.sendFakeTranscript(text, true));
  }

  /** Speech in progress ends without a transcript. */
  private cutSpeech(): void {
    if (!this.speechTimer) return;
    clearTimeout(this.speechTimer);
    this.speechTimer = null;
    // With the input disabled the session already ended the speech (see speak).
    if (this.session.input.audioEnabled) this.vad.endOfSpeech();
    else this.vad.abandonSpeech();
  }

  /** The caller hung up: no more audio from them. */
  leaves(): void {
    if (this.speechTimer) clearTimeout(this.speechTimer);
    this.speechTimer = null;
  }

  private speak(realMs: number, atEnd: () => void): void {
    // The scripted VAD stands in for audio: with the session's audio input disabled (caller hold) no audio, and so no
    // voice activity and no transcript, would reach it.
    if (!this.session.input.audioEnabled) return;
    if (this.speechTimer) clearTimeout(this.speechTimer);
    this.vad.startOfSpeech();
    this.speechTimer = setTimeout(() => {
      this.speechTimer = null;
      // Disabling audio already ended the speech in the session; the VAD never heard its end.
      if (!this.session.input.audioEnabled) return this.vad.abandonSpeech();
      atEnd();
      this.vad.endOfSpeech();
    }, realMs);
  }
}

export function createSimulatedSession(o: SimulatedSessionOptions): { session: voice.AgentSession; user: SimulatedUser; audio: RealtimeAudioOutput } {
  const vad = new ScriptedVAD();
  const scriptedStt = new ScriptedSTT();
  const scale = o.timeScale;
  const session = new voice.AgentSession({
    llm: new ScriptedLLM({ reply: () => o.model.reply, checkInInstructions: o.checkInInstructions, greeting: o.greeting,
      checkIn: o.checkInText,
      latencyMs: o.model.replyLatency * 1000 * scale,
      ...(o.llmFault ? { fault: o.llmFault } : {}),
    }),
    stt: scriptedStt,
    vad,
    tts: new PacedTTS({ speechRate: o.model.speechRate, timeScale: scale, fault: o.ttsFault }),
    userAwayTimeout: o.userAwayTimeout * scale,
    // No echo in a simulation, so no warm-up during which speech could not interrupt.
    aecWarmupDuration: null,
    turnHandling: {
      turnDetection: 'vad',
      // The model replies `replyLatency` after the end of speech: endpointing adds nothing here.
      endpointing: { minDelay: 0, maxDelay: 0 },
      // The model lets any detected speech interrupt interruptible speech, and never resumes it.
      interruption: { minDuration: 0, resumeFalseInterruption: false, falseInterruptionTimeout: 2000 * scale },
      preemptiveGeneration: { enabled: false },
    },
  } as ConstructorParameters<typeof voice.AgentSession>[0]);
  const audio = new RealtimeAudioOutput();
  session.output.audio = audio;
  return { session, audio, user: new SimulatedUser(session, vad, scriptedStt, o) };
}
