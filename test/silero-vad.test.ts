/**
 * Real audio through the real Silero VAD inside the AgentSession: a committed speech WAV (synthesised with
 * espeak-ng: "Hello, this is a short test of the voice activity detector.") played in real time, then a quiet line.
 * LiveKit's own pipeline must show the user speaking, then listening, then away, and the machine must check in.
 */
import { ReadableStream } from 'node:stream/web';
import { voice } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { AudioFrame } from '@livekit/rtc-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgentCall, until } from './support/session.js';
import { readWav, WAV_SAMPLE_RATE as SAMPLE_RATE } from './support/wav.js';

const FRAME = SAMPLE_RATE / 100; // 10 ms, as LiveKit delivers a remote track

/** A caller's microphone: the WAV in real time, then silence frames (a quiet line still sends audio). */
class WavMicrophone extends voice.AudioInput {
  private timer: NodeJS.Timeout | null = null;
  constructor(pcm: Int16Array, silenceSeconds: number) {
    super();
    const total = pcm.length + silenceSeconds * SAMPLE_RATE;
    let pos = 0;
    const stream = new ReadableStream<AudioFrame>({
      start: (controller) => {
        this.timer = setInterval(() => {
          if (pos >= total) return this.stop();
          const frame = new Int16Array(FRAME);
          if (pos < pcm.length) frame.set(pcm.subarray(pos, Math.min(pos + FRAME, pcm.length)));
          pos += FRAME;
          controller.enqueue(new AudioFrame(frame, SAMPLE_RATE, 1, FRAME));
        }, 10);
      },
    });
    this.multiStream.addInputStream(stream);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

describe('real speech through the real Silero VAD', () => {
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await cleanup?.();
    cleanup = null;
  });

  it('a caller speaks one sentence then goes quiet: speaking → listening → away → a check-in', async () => {
    const vad = await silero.VAD.load();
    const mic = new WavMicrophone(readWav(), 6);
    const call = await startAgentCall(
      { presence: { userAwayTimeout: 1.5 }, checkIn: { mode: 'fixed', interval: 2, maxPrompts: 1 }, goodbye: { maxSeconds: 2 } },
      {
        session: (userAwayTimeout) => {
          const session = new voice.AgentSession({ llm: new voice.testing.FakeLLM([]), vad, turnHandling: { turnDetection: null }, userAwayTimeout });
          session.input.audio = mic;
          return session;
        },
      },
    );
    cleanup = async () => {
      mic.stop();
      await call.stop();
    };

    await until(() => call.types().includes('checkIn'), 20_000);
    const users = call.timeline.filter((e) => e.type === 'userState');
    const first = (state: string) => users.find((e) => 'state' in e && e.state === state);
    const speaking = first('speaking');
    const away = first('away');
    expect(speaking, 'the VAD heard the speech').toBeDefined();
    // The sentence lasts 4.3 s: the user is heard speaking for most of it before the VAD hears the silence.
    const lastListening = users.filter((e) => 'state' in e && e.state === 'listening' && e.t < away!.t).at(-1)!;
    expect(lastListening.t - speaking!.t).toBeGreaterThan(3);
    expect(away!.t - lastListening.t).toBeGreaterThan(1.4); // userAwayTimeout after the user (and agent) went quiet
    const checkIn = call.timeline.find((e) => e.type === 'checkIn')!;
    expect(checkIn.t).toBeGreaterThanOrEqual(away!.t);
  }, 30_000);
});
