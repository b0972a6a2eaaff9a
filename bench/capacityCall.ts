/**
 * One benchmark call for the capacity section, three ways on the same line: the same caller (real speech through the
 * real Silero VAD, looped with silences so the user goes away and check-ins happen), the same scripted STT / LLM /
 * TTS as agent mode (FakeSTT, ScriptedLLM, PacedTTS, RealtimeAudioOutput), and a probe that times every check-in
 * against the moment it was due, on the session's own events. Only the wiring differs:
 * - `ours`: `startCall` (the call machine, the CallBridge, the task registry, the JSONL session record on disk);
 * - `bare`: the framework only, with LiveKit's idle-user example pattern (on `away`, up to three
 *   `generateReply` check-ins, `checkIn.interval` apart, then goodbye and close; cancelled when the user is back);
 * - `vad`: no AgentSession at all, the caller's audio through a Silero VAD stream only (the VAD's own cost);
 * - `feed`: the caller's audio read and dropped (what feeding audio costs without the VAD).
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web';
import { log, stt, voice, type JobContext, type VAD } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { startCall } from '../src/agent/call.js';
import { defineConfig } from '../src/config/load.js';
import { PacedTTS } from '../src/simulator/agent/pacedTts.js';
import { RealtimeAudioOutput } from '../src/simulator/agent/realtimeAudioOutput.js';
import { ScriptedLLM } from '../src/models/scriptedLlm.js';

export type Side = 'ours' | 'bare' | 'vad' | 'feed';

const SAMPLE_RATE = 16_000;
const FRAME = SAMPLE_RATE / 100; // 10 ms, as LiveKit delivers a remote track's frames

/**
 * The call's timing (seconds). One loop of the caller's line: the committed sentence (4.28 s, speech until 3.9 s),
 * then silence. Silero hears the end of speech 0.55 s later (its minSilenceDuration), the agent answers "Okay."
 * (0.1 s to first token, 0.25 s of audio), LiveKit marks the user away USER_AWAY after both went quiet, and the
 * check-ins follow: each 1 s of audio (4 words at 4 words/s), CHECK_IN_INTERVAL apart. The caller speaks again
 * 0.75 s after the second check-in finished and 0.75 s before a third one would be due, so a timer off by less than
 * 0.75 s can neither add nor remove a check-in: exactly two per silence, and any other count is a miss or a double.
 */
export const TIMING = {
  userAwayTimeout: 1.5,
  checkInInterval: 1.5,
  llmLatencyMs: 100,
  speechRate: 4,
  /** The loop: the WAV, then silence up to this length. */
  loopSeconds: 10.8,
  /** Silero's default minSilenceDuration: the end of speech is reported this long after the audio went quiet. */
  vadSilenceMs: 550,
  /** A check-in this late (or a due one never made before the caller spoke again) counts as missed. */
  missedAfterMs: 500,
};

const CHECK_IN_INSTRUCTIONS = 'The user has been silent for a while. Briefly and kindly ask whether they are still there.';
const CHECK_IN_TEXT = 'Are you still there?';
const AGENT_INSTRUCTIONS = 'You are a helpful, concise voice assistant.';
const USER_TEXT = 'Hello, this is a short test of the voice activity detector.';

/** The PCM samples of the committed 16 kHz mono WAV, and where its speech ends (last 10 ms frame above the floor). */
export function loadSpeech(): { pcm: Int16Array; speechEndFrame: number } {
  const buf = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'speech-16k.wav'));
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.readUInt32LE(24) !== SAMPLE_RATE || buf.readUInt16LE(22) !== 1) throw new Error('expected a 16 kHz mono WAV');
  let at = 12;
  while (buf.toString('ascii', at, at + 4) !== 'data') at += 8 + buf.readUInt32LE(at + 4);
  const bytes = buf.subarray(at + 8, at + 8 + buf.readUInt32LE(at + 4));
  const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let speechEndFrame = 0;
  for (let f = 0; f * FRAME < pcm.length; f++) {
    let e = 0;
    for (let i = f * FRAME; i < Math.min(pcm.length, (f + 1) * FRAME); i++) e += pcm[i]! * pcm[i]!;
    if (Math.sqrt(e / FRAME) > 100) speechEndFrame = f + 1;
  }
  return { pcm, speechEndFrame };
}

/**
 * The caller's microphone: the WAV looped with silence, 10 ms frames in real time. A shared pacer (one timer per
 * process) pushes every frame that is due by the wall clock, so a late tick catches up instead of slowing the audio.
 * `onSpeechEnd` fires as the last speech frame of each loop goes out (when the STT's final transcript is sent).
 */
export class LoopMicrophone extends voice.AudioInput {
  private controller!: ReadableStreamDefaultController<AudioFrame>;
  private frame = 0;
  private readonly offset: number;
  private readonly started = performance.now();
  private readonly loopFrames = Math.round(TIMING.loopSeconds * 100);
  /** Wall time (performance.now) at which the last speech frame went out. */
  lastSpeechEndAt: number | null = null;
  onSpeechEnd: () => void = () => {};
  closed = false;

  /** `phase` (0 to 1): where in the loop the caller's line starts, so calls started together do not move in step. */
  constructor(
    private readonly speech: { pcm: Int16Array; speechEndFrame: number },
    phase = 0,
  ) {
    super();
    this.offset = Math.floor(phase * this.loopFrames);
    this.multiStream.addInputStream(new ReadableStream<AudioFrame>({ start: (c) => void (this.controller = c) }));
  }

  /** The readable side, for a consumer that is not an AgentSession (the `vad` and `feed` sides). */
  get frames(): ReadableStream<AudioFrame> {
    return this.stream;
  }

  tick(now: number): void {
    if (this.closed) return;
    const due = Math.floor((now - this.started) / 10);
    for (; this.frame < due; this.frame++) {
      const f = (this.frame + this.offset) % this.loopFrames;
      // A new buffer per frame, as rtc-node hands out; silence past the end of the WAV.
      const data = new Int16Array(FRAME);
      if (f * FRAME < this.speech.pcm.length) data.set(this.speech.pcm.subarray(f * FRAME, Math.min(this.speech.pcm.length, (f + 1) * FRAME)));
      this.controller.enqueue(new AudioFrame(data, SAMPLE_RATE, 1, FRAME));
      if (f === this.speech.speechEndFrame - 1) {
        this.lastSpeechEndAt = now;
        this.onSpeechEnd();
      }
    }
  }

  override async close(): Promise<void> {
    this.closed = true;
    try {
      this.controller.close();
    } catch {
      /* already closed */
    }
    await super.close();
  }
}

/** One timer per process drives every microphone (and only runs while there is one). */
export class Pacer {
  private readonly set = new Set<LoopMicrophone>();
  private timer: NodeJS.Timeout | null = null;
  readonly mics = {
    add: (m: LoopMicrophone) => {
      this.set.add(m);
      this.timer ??= setInterval(() => {
        const now = performance.now();
        for (const mic of this.set) mic.tick(now);
      }, 10);
    },
    delete: (m: LoopMicrophone) => {
      this.set.delete(m);
      if (!this.set.size) this.stop();
    },
  };
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** One check-in's timing: issued `errMs` after it was due (negative: early). */
export interface Sample {
  t: number;
  errMs: number;
  /** `away`: the first check-in of a silence (due USER_AWAY after both sides went quiet); `interval`: the next ones. */
  kind: 'away' | 'interval';
}

/**
 * Times every check-in against when it was due, from the session's own events (identical for both sides): the first
 * one of a silence is due `userAwayTimeout` after the user and the agent were both listening (LiveKit's away timer,
 * re-armed exactly as AgentSession re-arms it), each next one `checkIn.interval` after the previous one finished
 * playing. A check-in with none due (one already playing, or none armed) is a double; a due one not made within
 * `missedAfterMs` before the caller speaks again is a miss.
 */
export class CheckInProbe {
  samples: Sample[] = [];
  vadLagMs: number[] = [];
  missed = 0;
  doubled = 0;
  checkIns = 0;
  /** Completed silences: how many check-ins each one had. */
  spells: number[] = [];
  private user = 'listening';
  private agent = 'initializing';
  private due: { at: number; kind: Sample['kind'] } | null = null;
  private inSpell = false;
  private spellCount = 0;

  constructor(
    session: voice.AgentSession,
    private readonly mic: LoopMicrophone,
  ) {
    const T = voice.AgentSessionEventTypes;
    session.on(T.UserStateChanged, (ev) => this.onUser(ev.newState, ev.oldState));
    session.on(T.AgentStateChanged, (ev) => {
      this.agent = ev.newState;
      this.arm();
    });
    session.on(T.UserInputTranscribed, (ev) => {
      // AgentSession re-arms its away timer on a final transcript while both listen (no state event).
      if (ev.isFinal && this.user === 'listening' && this.agent === 'listening' && !this.inSpell) this.arm(true);
    });
    // Every check-in goes through generateReply with the check-in instructions, on both sides.
    const generate = session.generateReply.bind(session);
    session.generateReply = (o) => {
      const handle = generate(o);
      if (o?.instructions === CHECK_IN_INSTRUCTIONS) this.onCheckIn(handle);
      return handle;
    };
  }

  private onUser(state: string, old: string): void {
    const now = performance.now();
    this.user = state;
    if (state === 'away') {
      this.inSpell = true;
      return;
    }
    if (state === 'listening' && old === 'speaking' && this.mic.lastSpeechEndAt !== null) {
      this.vadLagMs.push(now - this.mic.lastSpeechEndAt - TIMING.vadSilenceMs);
    }
    // The user is back: by voice (speaking), or by a final transcript while away (AgentSession then sets
    // `listening`; it happens when the VAD lags so far behind that the transcript comes first).
    if ((state === 'speaking' || old === 'away') && this.inSpell) {
      this.spells.push(this.spellCount);
      this.inSpell = false;
      this.spellCount = 0;
    }
    if (!this.inSpell) this.arm();
  }

  /** Mirrors AgentSession's away timer: armed when both sides are listening, cancelled otherwise. */
  private arm(rearm = false): void {
    if (this.inSpell) return;
    const now = performance.now();
    if (this.user === 'listening' && this.agent === 'listening') {
      if (!this.due || rearm) this.clear(now), (this.due = { at: now + TIMING.userAwayTimeout * 1000, kind: 'away' });
    } else this.clear(now);
  }

  private clear(now: number): void {
    if (this.due && now > this.due.at + TIMING.missedAfterMs) this.missed++;
    this.due = null;
  }

  private onCheckIn(handle: voice.SpeechHandle): void {
    const now = performance.now();
    this.inSpell = true;
    this.spellCount++;
    this.checkIns++;
    if (!this.due) this.doubled++;
    else this.samples.push({ t: now, errMs: now - this.due.at, kind: this.due.kind });
    this.due = null;
    void handle.waitForPlayout().then(
      () => {
        if (this.inSpell && this.user === 'away') this.due = { at: performance.now() + TIMING.checkInInterval * 1000, kind: 'interval' };
      },
      () => {},
    );
  }

  /** Takes what was measured since the last call. */
  take(): { samples: Sample[]; vadLagMs: number[]; missed: number; doubled: number; checkIns: number; spells: number[] } {
    const r = { samples: this.samples, vadLagMs: this.vadLagMs, missed: this.missed, doubled: this.doubled, checkIns: this.checkIns, spells: this.spells };
    this.samples = [];
    this.vadLagMs = [];
    this.missed = this.doubled = this.checkIns = 0;
    this.spells = [];
    return r;
  }
}

/** FakeSTT that keeps the stream the session opened, so the caller's line can put transcripts on it. */
class LineSTT extends stt.testing.FakeSTT {
  current: stt.testing.FakeRecognizeStream | null = null;
  override stream(options?: Parameters<stt.testing.FakeSTT['stream']>[0]): stt.testing.FakeRecognizeStream {
    this.current = super.stream(options);
    return this.current;
  }
}

/** The same AgentSession for both sides: real Silero VAD, scripted STT / LLM / TTS, audio "played" in real time. */
function agentSession(vad: VAD, mic: LoopMicrophone): voice.AgentSession {
  const lineStt = new LineSTT();
  const session = new voice.AgentSession({
    llm: new ScriptedLLM({ reply: () => 'Okay.', checkInInstructions: { caller: CHECK_IN_INSTRUCTIONS, room: CHECK_IN_INSTRUCTIONS }, checkIn: () => CHECK_IN_TEXT, latencyMs: TIMING.llmLatencyMs }),
    stt: lineStt,
    vad,
    tts: new PacedTTS({ speechRate: TIMING.speechRate, timeScale: 1 }),
    userAwayTimeout: TIMING.userAwayTimeout,
    aecWarmupDuration: null,
    turnHandling: {
      turnDetection: 'vad',
      endpointing: { minDelay: 0, maxDelay: 0 },
      preemptiveGeneration: { enabled: false },
    },
  } as ConstructorParameters<typeof voice.AgentSession>[0]);
  session.input.audio = mic;
  session.output.audio = new RealtimeAudioOutput();
  // The caller's words arrive as the STT's final transcript when their speech ends.
  mic.onSpeechEnd = () => lineStt.current?.sendFakeTranscript(USER_TEXT, true);
  return session;
}

export interface BenchCall {
  probe: CheckInProbe | null;
  /** Frames the `vad` / `feed` consumer has read. */
  consumed: () => number;
  /** Ends the call: the caller's line goes quiet for good and the session (or VAD stream) closes. */
  close: () => Promise<void>;
}

/** What a job context gives startCall here: no room (no caller, no SFU), the job's id, its shutdown hooks. */
function roomlessContext(id: string): JobContext {
  const room = Object.assign(new EventEmitter(), { name: id, localParticipant: undefined });
  return { job: { id }, isFakeJob: true, room, shutdown: () => {}, addShutdownCallback: () => {} } as unknown as JobContext;
}

export async function startBenchCall(side: Side, i: number, o: { vad: VAD; pacer: Pacer; speech: ReturnType<typeof loadSpeech>; recordDir: string; phase: number }): Promise<BenchCall> {
  const mic = new LoopMicrophone(o.speech, o.phase);
  o.pacer.mics.add(mic);
  if (side === 'vad' || side === 'feed') {
    let n = 0;
    const reader = mic.frames.getReader();
    const stream = side === 'vad' ? o.vad.stream() : null;
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        n++;
        stream?.pushFrame(value);
      }
    })();
    if (stream) {
      void (async () => {
        for await (const _ of stream) {
          /* the events a session would act on */
        }
      })();
    }
    return {
      probe: null,
      consumed: () => n,
      close: async () => {
        o.pacer.mics.delete(mic);
        stream?.close();
        await mic.close();
      },
    };
  }
  const session = agentSession(o.vad, mic);
  let task: AbortController | null = null;
  const probe = new CheckInProbe(session, mic);
  const agent = { instructions: AGENT_INSTRUCTIONS };
  if (side === 'ours') {
    const config = defineConfig({
      presence: { userAwayTimeout: TIMING.userAwayTimeout },
      checkIn: { mode: 'llm', interval: TIMING.checkInInterval, maxPrompts: 3, instructions: CHECK_IN_INSTRUCTIONS, maxSeconds: 5 },
      goodbye: { maxSeconds: 5 },
      record: { enabled: true, dir: o.recordDir },
      models: { instructions: agent.instructions },
    });
    const logger = log().child({ room: `call-${i}` });
    await startCall({
      ctx: roomlessContext(`bench-${process.pid}-${i}`),
      config,
      session,
      api: { url: 'http://127.0.0.1:9', apiKey: 'unused', apiSecret: 'unused' },
      roomName: `call-${i}`,
      logger: { info: (f, m) => logger.info(f, m), warn: (f, m) => logger.warn(f, m) },
    });
  } else {
    // LiveKit's idle-user example: on away, a presence task; any other user state cancels it, and so does the end.
    session.on(voice.AgentSessionEventTypes.Close, () => task?.abort());
    session.on(voice.AgentSessionEventTypes.UserStateChanged, (ev) => {
      if (ev.newState === 'away') {
        if (task) return;
        const controller = (task = new AbortController());
        void (async () => {
          for (let k = 0; k < 3; k++) {
            if (controller.signal.aborted) return;
            await session.generateReply({ instructions: CHECK_IN_INSTRUCTIONS }).waitForPlayout();
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, TIMING.checkInInterval * 1000);
              controller.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
            });
          }
          if (controller.signal.aborted) return;
          await session.say("It seems you've stepped away. Goodbye!").waitForPlayout();
          await session.close();
        })().catch(() => {}); // the away timer can still fire while the session closes (dropped calls)
        return;
      }
      task?.abort();
      task = null;
    });
    await session.start({ agent: new voice.Agent(agent) });
  }
  return {
    probe,
    consumed: () => 0,
    close: async () => {
      o.pacer.mics.delete(mic);
      task?.abort();
      await session.close().catch(() => {});
      await mic.close();
    },
  };
}
