/**
 * Whether a callee is speaking, from two sources:
 *  - the SFU's active speakers (`RoomEvent.ActiveSpeakersChanged`), for a callee whose track carries audio levels;
 *  - the session's own VAD run on each dialed participant's audio track. Measured on the real stack: livekit-sip
 *    (v1.8.0) publishes a SIP leg's audio without the RTP audio-level extension, so livekit-server never reports a
 *    SIP participant as an active speaker, and a conference whose callee talks would otherwise look silent.
 * The callee speaks while either source says so; `onChange` hears each change of that, once.
 */
import type { VAD } from '@livekit/agents';
import { VADEventType } from '@livekit/agents';
import { AudioStream, TrackKind, type RemoteTrack } from '@livekit/rtc-node';

export class CalleeSpeech {
  private readonly voiced = new Set<string>();
  private activeSpeakers: readonly string[] = [];
  private speaking = false;
  private readonly streams = new Map<string, { close(): void }>();

  constructor(
    /** Whether an identity is a callee now (a leg AMD is still deciding about is not). */
    private readonly isCallee: (identity: string) => boolean,
    private readonly onChange: (speaking: boolean) => void,
  ) {}

  /** The SFU's active speakers changed. */
  speakers(identities: readonly string[]): void {
    this.activeSpeakers = identities;
    this.update();
  }

  /**
   * Runs `vad` on a dialed participant's audio track until the track ends or `stop` is called. The VAD stream and the
   * audio stream are closed when it ends.
   */
  listen(identity: string, track: RemoteTrack, vad: VAD): void {
    if (track.kind !== TrackKind.KIND_AUDIO || this.streams.has(identity)) return;
    const stream = vad.stream();
    const audio = new AudioStream(track, 16_000, 1);
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      this.streams.delete(identity);
      this.voiced.delete(identity);
      stream.close();
      void audio.cancel().catch(() => undefined);
      this.update();
    };
    this.streams.set(identity, { close });
    void (async () => {
      for await (const frame of audio) {
        if (!open) break;
        stream.pushFrame(frame);
      }
    })().catch(() => undefined).finally(close);
    void (async () => {
      for await (const ev of stream) {
        if (ev.type === VADEventType.START_OF_SPEECH) this.voiced.add(identity);
        else if (ev.type === VADEventType.END_OF_SPEECH) this.voiced.delete(identity);
        else continue;
        this.update();
      }
    })().catch(() => undefined);
  }

  /** Stops listening to `identity` (its track ended or it left). */
  stop(identity: string): void {
    this.streams.get(identity)?.close();
  }

  /** Stops listening to everyone. */
  dispose(): void {
    for (const s of [...this.streams.values()]) s.close();
  }

  private update(): void {
    const speaking = [...this.voiced, ...this.activeSpeakers].some((id) => this.isCallee(id));
    if (speaking === this.speaking) return;
    this.speaking = speaking;
    this.onChange(speaking);
  }
}
