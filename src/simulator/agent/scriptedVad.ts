/**
 * A VAD driven by the scenario instead of by audio: `startOfSpeech()` / `endOfSpeech()` emit the same events Silero
 * would, into the AgentSession's own recognition pipeline (which sets the user `speaking`/`listening`, interrupts
 * the agent and re-arms LiveKit's away timer). Real audio through the real Silero VAD has its own test.
 */
import { VAD, VADEventType, VADStream, type VADEvent } from '@livekit/agents';

class ScriptedVADStream extends VADStream {
  constructor(private readonly owner: ScriptedVAD) {
    super(owner);
  }
  emit(type: VADEventType, speaking: boolean, speechMs: number): void {
    const event: VADEvent = {
      type,
      samplesIndex: 0,
      timestamp: Date.now(),
      speechDuration: speechMs,
      silenceDuration: 0,
      frames: [],
      probability: speaking ? 1 : 0,
      inferenceDuration: 0,
      speaking,
      rawAccumulatedSilence: 0,
      rawAccumulatedSpeech: speechMs,
    };
    this.sendVADEvent(event);
  }
  override close(): void {
    this.owner.streams.delete(this);
    super.close();
  }
}

export class ScriptedVAD extends VAD {
  label = 'simulator.ScriptedVAD';
  readonly streams = new Set<ScriptedVADStream>();
  private speechStartedAt: number | null = null;

  constructor() {
    super({ updateInterval: 32 });
  }

  stream(): VADStream {
    const s = new ScriptedVADStream(this);
    this.streams.add(s);
    return s;
  }

  startOfSpeech(): void {
    if (this.speechStartedAt !== null) return;
    this.speechStartedAt = performance.now();
    // Start of speech, then one inference result saying "speaking": the session's interruption check reads it.
    for (const s of this.streams) {
      s.emit(VADEventType.START_OF_SPEECH, true, 0);
      s.emit(VADEventType.INFERENCE_DONE, true, 0);
    }
  }

  /** The audio stopped reaching the VAD mid-speech (input disabled): no end-of-speech will be heard. */
  abandonSpeech(): void {
    this.speechStartedAt = null;
  }

  endOfSpeech(): void {
    if (this.speechStartedAt === null) return;
    const speechMs = performance.now() - this.speechStartedAt;
    this.speechStartedAt = null;
    for (const s of this.streams) s.emit(VADEventType.END_OF_SPEECH, false, speechMs);
  }
}
