/**
 * A model of the AgentSession's presence rules (agents-js 1.9, `voice/agent_session.ts`), on the simulator's clock:
 * - the away timer runs only while the user AND the agent are `listening`, restarting on each such state change;
 * - `away` is edge-triggered: after it fired, the agent speaking and returning to listening does not re-arm it;
 * - a final transcript while away moves the user back to `listening`; detected speech moves them to `speaking`;
 * - the agent speaks a text for words / speechRate seconds; user speech interrupts interruptible speech;
 * - with audio input disabled (caller hold) the session hears nothing; disabling it ends speech in progress;
 * - answering-machine detection (see `amdModel.ts`): the input linked to a dialed leg (the caller unheard, speech in
 *   progress cut off), replies held while it decides (`pauseReplyAuthorization`: what plays goes on, nothing new
 *   starts), and a machine verdict interrupting everything queued (`interrupt({ force: true })`).
 */
import type { AgentState, CallEvent, PromptKind, UserState } from '../../machines/events.js';
import { words } from './scenario.js';
import type { TimelineEntry } from '../timeline/timeline.js';

/** The slice of a fake clock the models need (satisfied by @sinonjs/fake-timers and by real timers). */
export interface ModelClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  /** Milliseconds on this clock. */
  now(): number;
}

export interface ModelOptions {
  speechRate: number;
  replyLatency: number;
  reply: string;
}

interface Speech {
  text: string;
  prompt: PromptKind | null;
  attempt?: number;
  interruptible: boolean;
  think: boolean;
  /** A reply whose LLM started earlier (at the end of the user's turn): thinking lasts only until this time (ms). */
  readyAt?: number;
  /** Called when its playout ends (or it is interrupted or dropped). */
  onDone?: (interrupted: boolean) => void;
}

export interface ModelOutputs {
  record(entry: TimelineEntry): void;
  send(event: CallEvent): void;
}

/** Seconds → whole milliseconds (fake timers count in whole ms). */
export const ms = (seconds: number) => Math.max(1, Math.round(seconds * 1000));

export class SessionModel {
  userState: UserState = 'listening';
  agentState: AgentState = 'initializing';
  private awayTimer: unknown = null;
  private userSpeechTimer: unknown = null;
  private speechTimer: unknown = null;
  private current: Speech | null = null;
  private readonly queue: Speech[] = [];
  private closed = false;
  /** `session.input.setAudioEnabled`: while false the session hears nothing from the user. */
  private audioEnabled = true;
  /** The input is linked to a dialed leg (answering-machine detection): the caller is not heard. */
  private legLinked = false;
  /** Reply authorization paused (AMD deciding): the speech playing goes on, nothing queued starts. */
  private repliesPaused = false;

  constructor(
    private readonly clock: ModelClock,
    private readonly options: ModelOptions,
    /** presence.userAwayTimeout, seconds. */
    private readonly userAwayTimeout: number,
    private readonly out: ModelOutputs,
  ) {}

  /** `session.start()` finished: the agent listens. */
  start(): void {
    this.setAgentState('listening');
  }

  speechSeconds(text: string): number {
    return words(text) / this.options.speechRate;
  }

  // --- the user -------------------------------------------------------------------------------------------------

  /** The user speaks `text`; a final transcript follows the end of speech, and the agent replies. */
  userSays(text: string): void {
    if (!this.legLinked) this.says(text, false);
  }

  /** The VAD hears noise for `seconds`; no transcript. */
  userNoise(seconds: number): void {
    if (!this.legLinked) this.userSpeaks(seconds, () => {});
  }

  /**
   * Whoever the input hears says `text`: speech, then its final transcript and the agent's reply. `held`: the reply
   * waits for authorization (AMD deciding) while its LLM runs from the end of the turn, so it thinks only for what is
   * left of `replyLatency` once it may start.
   */
  private says(text: string, held: boolean): void {
    this.userSpeaks(this.speechSeconds(text), () => {
      this.transcript(text);
      const readyAt = held ? { readyAt: this.clock.now() + this.options.replyLatency * 1000 } : {};
      this.speak({ text: this.options.reply, prompt: null, interruptible: true, think: true, ...readyAt });
    });
  }

  // --- a dialed leg (answering-machine detection) ----------------------------------------------------------------

  /** The session's input is linked to the dialed leg: the caller's speech in progress ends there, unheard. */
  listenToLeg(): void {
    this.cutUserSpeech();
    this.legLinked = true;
  }

  /** The leg says `text` into the session (its greeting), as a user would: speech, transcript, a reply. */
  legSays(text: string): void {
    if (this.legLinked) this.says(text, true);
  }

  /** The input hears the caller again; whatever the leg was still saying is cut off. */
  listenToCaller(): void {
    if (this.legLinked) this.cutUserSpeech();
    this.legLinked = false;
  }

  /** `pauseReplyAuthorization` / `resumeReplyAuthorization`. */
  pauseReplies(): void {
    this.repliesPaused = true;
  }

  resumeReplies(): void {
    if (!this.repliesPaused) return;
    this.repliesPaused = false;
    if (!this.current) this.playNext();
  }

  /** `session.interrupt({ force: true })`: what plays and everything queued, interruptible or not. */
  interruptAll(): void {
    const dropped = this.queue.splice(0);
    if (this.current) this.finishSpeech(true);
    else if (dropped.length) this.setAgentState('listening');
    for (const d of dropped) this.report(d, true);
  }

  private cutUserSpeech(): void {
    if (this.userSpeechTimer === null) return;
    this.clock.clearTimeout(this.userSpeechTimer);
    this.userSpeechTimer = null;
    this.setUserState('listening');
  }

  /** `session.input.setAudioEnabled(enabled)`: disabling it ends any speech in progress without a transcript. */
  setAudioEnabled(enabled: boolean): void {
    if (this.audioEnabled === enabled) return;
    this.audioEnabled = enabled;
    if (!enabled && this.userSpeechTimer !== null) {
      this.clock.clearTimeout(this.userSpeechTimer);
      this.userSpeechTimer = null;
      this.setUserState('listening');
    }
  }

  private userSpeaks(seconds: number, then: () => void): void {
    if (this.closed || !this.audioEnabled) return;
    if (this.userSpeechTimer !== null) this.clock.clearTimeout(this.userSpeechTimer);
    this.setUserState('speaking');
    if (this.current?.interruptible) this.finishSpeech(true);
    this.userSpeechTimer = this.clock.setTimeout(() => {
      this.userSpeechTimer = null;
      if (this.closed) return;
      this.setUserState('listening');
      then();
    }, ms(seconds));
  }

  private transcript(text: string): void {
    this.out.record({ type: 'transcript', text });
    // LiveKit's own listener runs first: it may bring the user back from away, or restart the away timer.
    if (this.userState === 'away') this.setUserState('listening');
    else if (this.userState === 'listening' && this.agentState === 'listening') this.armAwayTimer();
    this.out.send({ type: 'TRANSCRIPT', text });
  }

  /** The caller hung up: no more speech from them. */
  callerLeft(): void {
    if (this.userSpeechTimer !== null) this.clock.clearTimeout(this.userSpeechTimer);
    this.userSpeechTimer = null;
  }

  // --- the agent ------------------------------------------------------------------------------------------------

  /** `session.say` / `generateReply`: queued behind any speech already playing, like LiveKit's speech queue. */
  speak(speech: Speech): void {
    if (this.closed) return;
    this.queue.push(speech);
    if (!this.current) this.playNext();
  }

  checkIn(text: string, attempt: number, generated: boolean): void {
    this.speak({ text, prompt: 'checkIn', attempt, interruptible: true, think: generated });
  }

  sayFixed(text: string, prompt: PromptKind): void {
    this.speak({ text, prompt, interruptible: false, think: false });
  }

  /**
   * `session.say(text, { allowInterruptions: false })` of a text that is none of the machine's prompts; `onDone` at
   * its end. Returns its `interrupt(true)`.
   */
  sayOther(text: string, onDone: (interrupted: boolean) => void): () => void {
    const speech: Speech = { text, prompt: null, interruptible: false, think: false, onDone };
    this.speak(speech);
    return () => {
      if (this.current === speech) return this.finishSpeech(true);
      const i = this.queue.indexOf(speech);
      if (i >= 0) this.report(this.queue.splice(i, 1)[0]!, true);
    };
  }

  private playNext(): void {
    // Paused authorization: nothing new starts. A reply waiting for it is already generating: the agent thinks.
    if (this.repliesPaused && this.queue.length > 0) return this.setAgentState(this.queue[0]!.think ? 'thinking' : 'listening');
    const next = this.queue.shift();
    if (!next) {
      this.setAgentState('listening');
      return;
    }
    this.current = next;
    const play = () => {
      this.setAgentState('speaking');
      this.speechTimer = this.clock.setTimeout(() => this.finishSpeech(false), ms(this.speechSeconds(next.text)));
    };
    const thinkMs = next.readyAt !== undefined ? next.readyAt - this.clock.now() : this.options.replyLatency * 1000;
    if (next.think && thinkMs > 0) {
      this.setAgentState('thinking');
      this.speechTimer = this.clock.setTimeout(play, Math.max(1, Math.round(thinkMs)));
    } else {
      play();
    }
  }

  private finishSpeech(interrupted: boolean): void {
    const done = this.current;
    if (!done) return;
    if (this.speechTimer !== null) this.clock.clearTimeout(this.speechTimer);
    this.speechTimer = null;
    this.current = null;
    if (this.queue.length === 0) this.setAgentState('listening');
    this.report(done, interrupted);
    if (this.queue.length > 0 && !this.closed) this.playNext();
  }

  /** A speech's end: a prompt's playout reported to the machine, and whoever waits for it. */
  private report(done: Speech, interrupted: boolean): void {
    if (done.prompt) {
      this.out.record(interrupted ? { type: 'playoutEnd', prompt: done.prompt, interrupted } : { type: 'playoutEnd', prompt: done.prompt });
      this.out.send({ type: 'PLAYOUT_FINISHED', prompt: done.prompt, attempt: done.attempt, interrupted });
    }
    done.onDone?.(interrupted);
  }

  /**
   * The framework's `session.close()` (its finalizeSession, when it ends the job): what is playing is interrupted
   * (its playout reported as such, interruptible or not), the queue dropped, then the session closes.
   */
  frameworkClose(): void {
    if (this.closed) return;
    this.queue.length = 0;
    this.finishSpeech(true);
    this.close();
  }

  /** `session.close()`: speech stops, timers stop, no more state changes. */
  close(): void {
    this.closed = true;
    for (const t of [this.awayTimer, this.speechTimer, this.userSpeechTimer]) if (t !== null) this.clock.clearTimeout(t);
    this.awayTimer = this.speechTimer = this.userSpeechTimer = null;
    this.queue.length = 0;
    this.current = null;
  }

  // --- LiveKit's presence rules ---------------------------------------------------------------------------------

  private setUserState(state: UserState): void {
    if (this.closed || this.userState === state) return;
    this.userState = state;
    this.updateAwayTimer();
    this.out.record({ type: 'userState', state });
    this.out.send({ type: 'USER_STATE', state });
  }

  private setAgentState(state: AgentState): void {
    if (this.closed || this.agentState === state) return;
    this.agentState = state;
    this.updateAwayTimer();
    this.out.record({ type: 'agentState', state });
    this.out.send({ type: 'AGENT_STATE', state });
  }

  private updateAwayTimer(): void {
    if (this.userState === 'listening' && this.agentState === 'listening') this.armAwayTimer();
    else this.cancelAwayTimer();
  }

  private armAwayTimer(): void {
    this.cancelAwayTimer();
    this.awayTimer = this.clock.setTimeout(() => {
      this.awayTimer = null;
      this.setUserState('away');
    }, ms(this.userAwayTimeout));
  }

  private cancelAwayTimer(): void {
    if (this.awayTimer !== null) this.clock.clearTimeout(this.awayTimer);
    this.awayTimer = null;
  }
}
