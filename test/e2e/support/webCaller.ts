/**
 * A web caller: an rtc-node participant in the real room, over WebRTC through livekit-server. Its microphone plays the
 * committed speech WAV in real time, then a quiet line (silence frames: a quiet line still sends audio), and can speak
 * it again. It subscribes to the agent's audio and hears it the way the scripted TTS speaks it: each text is a tone of
 * its own pitch (src/models/toneTts.ts), so `heard(text)` says whether that text's audio actually arrived.
 */
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  ParticipantKind,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  type RemoteParticipant,
  type RemoteTrack,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { TONE_BASE_HZ, TONE_STEP_HZ, TONE_STEPS, toneFrequency } from '../../../src/models/toneTts.js';
import { readWav, WAV_SAMPLE_RATE } from '../../support/wav.js';
import { STACK } from './stack.js';

const FRAME = WAV_SAMPLE_RATE / 100; // 10 ms
const LISTEN_RATE = 24_000;
/** Analysis window: 40 ms gives 25 Hz bins, well inside the tones' 100 Hz spacing. */
const WINDOW = (LISTEN_RATE * 40) / 1000;
/** A window is sound when its RMS is above this (the tone is at 0.3 of full scale; Opus silence is near 0). */
const SOUND_RMS = 1_000;

/** A stretch of the agent's audio with one pitch, in the caller's own clock (ms since it joined). */
export interface HeardTone {
  hz: number;
  startMs: number;
  endMs: number;
}

export interface WebCaller {
  identity: string;
  room: Room;
  /** Every tone heard so far. */
  tones: HeardTone[];
  /** Whether the text was heard: its sentences' tones in order (see toneSequences), each for at least `minMs`. */
  heard(text: string, minMs?: number): boolean;
  /** Plays the speech WAV once more, then the quiet line goes on. */
  speak(): Promise<void>;
  /** The caller's microphone publication sid. */
  micSid(): string;
  /** Closes the microphone and leaves the room. */
  leave(): Promise<void>;
  /** ms since the caller joined, on its own clock. */
  now(): number;
}

export async function token(room: string, identity: string, attributes: Record<string, string> = {}): Promise<string> {
  const at = new AccessToken(STACK.key, STACK.secret, { identity, attributes });
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true });
  return at.toJwt();
}

/**
 * The pitch sequences a text may be heard as. The session's TTS stream adapter speaks a non-streaming TTS sentence by
 * sentence (voice/agent.ts: the framework's basic sentence tokenizer), and its stream joins a short sentence to its
 * neighbour depending on how the text arrived: any grouping of consecutive sentences is possible, each group one tone.
 */
export function toneSequences(text: string): number[][] {
  const pieces = text.trim().split(/(?<=[.!?])\s+/);
  const out: number[][] = [];
  const walk = (from: number, acc: number[]) => {
    if (from === pieces.length) return void out.push(acc);
    for (let to = from + 1; to <= pieces.length; to++) walk(to, [...acc, toneFrequency(pieces.slice(from, to).join(' '))]);
  };
  walk(0, []);
  return out;
}

/** Goertzel power of `hz` in `x`. */
function power(x: Float64Array, hz: number): number {
  const k = (2 * Math.cos((2 * Math.PI * hz) / LISTEN_RATE));
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s = v + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

export async function joinWebCaller(roomName: string, o: { identity?: string; speakFirst?: boolean } = {}): Promise<WebCaller> {
  const identity = o.identity ?? 'web-caller';
  const room = new Room();
  await room.connect(STACK.wsUrl, await token(roomName, identity), { autoSubscribe: true, dynacast: false });
  const t0 = performance.now();
  const now = () => performance.now() - t0;

  // The microphone: 10 ms frames, paced by the source's own queue (captureFrame waits when it is full).
  const source = new AudioSource(WAV_SAMPLE_RATE, 1);
  const track = LocalAudioTrack.createAudioTrack('microphone', source);
  const pub = await room.localParticipant!.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
  const speech = readWav();
  let speechAt = o.speakFirst === false ? speech.length : 0;
  const waiting: { spoken?: () => void } = {};
  let open = true;
  const pump = (async () => {
    const silence = new Int16Array(FRAME);
    while (open) {
      let pcm = silence;
      if (speechAt < speech.length) {
        pcm = new Int16Array(FRAME);
        pcm.set(speech.subarray(speechAt, Math.min(speechAt + FRAME, speech.length)));
        speechAt += FRAME;
        if (speechAt >= speech.length) waiting.spoken?.();
      }
      await source.captureFrame(new AudioFrame(pcm, WAV_SAMPLE_RATE, 1, FRAME));
    }
  })();

  // The agent's audio, analysed window by window.
  const tones: HeardTone[] = [];
  const listen = async (t: RemoteTrack) => {
    const stream = new AudioStream(t, LISTEN_RATE, 1);
    const buf = new Float64Array(WINDOW);
    let fill = 0;
    for await (const frame of stream) {
      for (const v of frame.data) {
        buf[fill++] = v;
        if (fill < WINDOW) continue;
        fill = 0;
        let sq = 0;
        for (const s of buf) sq += s * s;
        if (Math.sqrt(sq / WINDOW) < SOUND_RMS) continue;
        let best = TONE_BASE_HZ;
        let bestP = -1;
        for (let k = 0; k < TONE_STEPS; k++) {
          const hz = TONE_BASE_HZ + k * TONE_STEP_HZ;
          const p = power(buf, hz);
          if (p > bestP) [best, bestP] = [hz, p];
        }
        const at = now();
        const last = tones.at(-1);
        // One tone goes on while the pitch stays and no more than 200 ms of quiet came between.
        if (last && last.hz === best && at - last.endMs < 200) last.endMs = at;
        else tones.push({ hz: best, startMs: at - 40, endMs: at });
      }
    }
  };
  const onTrack = (t: RemoteTrack, _p: unknown, participant: RemoteParticipant) => {
    if (t.kind === TrackKind.KIND_AUDIO && participant.kind === ParticipantKind.AGENT) void listen(t);
  };
  room.on(RoomEvent.TrackSubscribed, onTrack);

  return {
    identity,
    room,
    tones,
    now,
    heard(text, minMs = 300) {
      return toneSequences(text).some((want) => {
        let i = 0;
        for (const t of tones) if (i < want.length && t.hz === want[i] && t.endMs - t.startMs >= minMs) i++;
        return i === want.length;
      });
    },
    speak: () =>
      new Promise<void>((resolve) => {
        waiting.spoken = resolve;
        speechAt = 0;
      }),
    micSid: () => pub.sid!,
    async leave() {
      open = false;
      await pump.catch(() => undefined);
      await room.disconnect();
      await source.close();
    },
  };
}
