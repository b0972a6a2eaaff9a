/**
 * The scripted TTS (`models.provider: 'scripted'`): every text is spoken as a sine tone whose pitch is a function of
 * the text, lasting as long as the text takes to say. It carries no words, but it is real audio: over WebRTC a
 * listener can tell that the agent spoke, when, and which text it was (the check-in's pitch is not the goodbye's).
 * Non-streaming, like the OpenAI plugin's TTS, so the AgentSession wraps it in its own StreamAdapter as in production.
 */
import { shortuuid, tts, type APIConnectOptions } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';

export const TONE_SAMPLE_RATE = 24_000;
const FRAME_MS = 20;
/** Words per second: an unhurried speaking pace. */
const WORDS_PER_SECOND = 2.5;
const AMPLITUDE = 0.3 * 32_767;
/** Pitches are TONE_BASE_HZ + k * TONE_STEP_HZ, k in 0..TONE_STEPS-1: far enough apart for a listener to tell. */
export const TONE_BASE_HZ = 400;
export const TONE_STEP_HZ = 100;
export const TONE_STEPS = 12;

/** The pitch a text is spoken at (FNV-1a of the text picks the step). */
export function toneFrequency(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return TONE_BASE_HZ + (h % TONE_STEPS) * TONE_STEP_HZ;
}

/** How long a text is spoken, in seconds: its words at WORDS_PER_SECOND, at least half a second. */
export function toneSeconds(text: string): number {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return Math.max(0.5, words / WORDS_PER_SECOND);
}

export class ToneTTS extends tts.TTS {
  label = 'scripted.ToneTTS';
  constructor() {
    super(TONE_SAMPLE_RATE, 1, { streaming: false });
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): tts.ChunkedStream {
    return new ToneStream(this, text, connOptions, abortSignal);
  }

  stream(): tts.SynthesizeStream {
    throw new Error('ToneTTS is not streaming: the AgentSession wraps it in a StreamAdapter');
  }
}

class ToneStream extends tts.ChunkedStream {
  label = 'scripted.ToneStream';
  constructor(
    owner: ToneTTS,
    private readonly text: string,
    connOptions?: APIConnectOptions,
    abortSignal?: AbortSignal,
  ) {
    super(text, owner, connOptions, abortSignal);
  }

  protected async run(): Promise<void> {
    try {
      const requestId = shortuuid();
      const w = (2 * Math.PI * toneFrequency(this.text)) / TONE_SAMPLE_RATE;
      const total = Math.round(toneSeconds(this.text) * TONE_SAMPLE_RATE);
      const perFrame = (TONE_SAMPLE_RATE * FRAME_MS) / 1000;
      for (let start = 0; start < total; start += perFrame) {
        const n = Math.min(perFrame, total - start);
        const pcm = new Int16Array(n);
        for (let i = 0; i < n; i++) pcm[i] = Math.round(AMPLITUDE * Math.sin(w * (start + i)));
        this.queue.put({ requestId, segmentId: requestId, frame: new AudioFrame(pcm, TONE_SAMPLE_RATE, 1, n), final: start + n >= total });
      }
    } finally {
      this.queue.close();
    }
  }
}
