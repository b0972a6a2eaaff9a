/**
 * An AudioOutput that "plays" what it is given in real time: a segment finishes when its audio would have finished
 * playing on a speaker (frames arrive faster than real time, as from any TTS). Without it, speech in a session with
 * no room completes at once and no timing could be compared with model mode.
 */
import { voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';

interface Segment {
  startsAt: number;
  audioMs: number;
  timer: NodeJS.Timeout | null;
}

export class RealtimeAudioOutput extends voice.AudioOutput {
  /** The segment being captured (not flushed yet). */
  private open: Segment | null = null;
  /** Flushed segments still playing, in order. */
  private readonly playing: Segment[] = [];

  constructor() {
    super(16_000);
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    if (!this.open) {
      const last = this.playing.at(-1);
      const now = performance.now();
      this.open = { startsAt: Math.max(now, last ? last.startsAt + last.audioMs : now), audioMs: 0, timer: null };
      this.onPlaybackStarted(Date.now());
    }
    this.open.audioMs += (frame.samplesPerChannel / frame.sampleRate) * 1000;
  }

  private stalled = false;

  /** Fault injection: from now on, audio never finishes playing (until it is cleared). */
  stall(): void {
    this.stalled = true;
  }

  override flush(): void {
    super.flush();
    const seg = this.open;
    if (!seg) return;
    this.open = null;
    this.playing.push(seg);
    if (this.stalled) return;
    seg.timer = setTimeout(() => {
      this.playing.splice(this.playing.indexOf(seg), 1);
      this.onPlaybackFinished({ playbackPosition: seg.audioMs / 1000, interrupted: false });
    }, Math.max(0, seg.startsAt + seg.audioMs - performance.now()));
  }

  /** Interruption: everything still buffered stops now. */
  clearBuffer(): void {
    const now = performance.now();
    const stopped = [...this.playing, ...(this.open ? [this.open] : [])];
    this.playing.length = 0;
    if (this.open) this.abandonOpenSegment();
    this.open = null;
    for (const seg of stopped) {
      if (seg.timer) clearTimeout(seg.timer);
      const played = Math.min(seg.audioMs, Math.max(0, now - seg.startsAt));
      this.onPlaybackFinished({ playbackPosition: played / 1000, interrupted: true });
    }
  }
}
