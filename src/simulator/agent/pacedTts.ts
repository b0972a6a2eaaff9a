/**
 * A TTS whose audio lasts exactly as long as the text takes to say: words / speechRate seconds (scaled by the
 * simulation's time scale), as silence. Non-streaming, like the OpenAI plugin's TTS, so the AgentSession wraps it in
 * its own StreamAdapter exactly as it would in production.
 */
import { shortuuid, tts, type APIConnectOptions } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { words } from '../scenario.js';

const SAMPLE_RATE = 16_000;
const FRAME_MS = 20;

export interface PacedTtsOptions {
  /** Words per second (the scenario's `model.speechRate`). */
  speechRate: number;
  /** Real seconds per simulated second. */
  timeScale: number;
  /** Throws this instead of synthesising when it returns an Error (fault injection). */
  fault?: (text: string) => Error | null;
}

export class PacedTTS extends tts.TTS {
  label = 'simulator.PacedTTS';
  constructor(readonly options: PacedTtsOptions) {
    super(SAMPLE_RATE, 1, { streaming: false });
  }

  /** Real milliseconds of audio for `text`. */
  audioMs(text: string): number {
    return (words(text) / this.options.speechRate) * this.options.timeScale * 1000;
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): tts.ChunkedStream {
    return new PacedChunkedStream(this, text, connOptions, abortSignal);
  }

  stream(): tts.SynthesizeStream {
    throw new Error('PacedTTS is not streaming: the AgentSession wraps it in a StreamAdapter');
  }
}

class PacedChunkedStream extends tts.ChunkedStream {
  label = 'simulator.PacedChunkedStream';
  constructor(
    private readonly paced: PacedTTS,
    private readonly text: string,
    connOptions?: APIConnectOptions,
    abortSignal?: AbortSignal,
  ) {
    super(text, paced, connOptions, abortSignal);
  }

  protected async run(): Promise<void> {
    try {
      const fault = this.paced.options.fault?.(this.text);
      if (fault) throw fault;
      const requestId = shortuuid();
      let samples = Math.round((this.paced.audioMs(this.text) / 1000) * SAMPLE_RATE);
      const perFrame = (SAMPLE_RATE * FRAME_MS) / 1000;
      while (samples > 0) {
        const n = Math.min(perFrame, samples);
        samples -= n;
        const frame = new AudioFrame(new Int16Array(n), SAMPLE_RATE, 1, n);
        this.queue.put({ requestId, segmentId: requestId, frame, final: samples === 0 });
      }
    } finally {
      this.queue.close();
    }
  }
}
