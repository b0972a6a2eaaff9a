/**
 * The one bridge between a real AgentSession and the call machine, both directions:
 * - AgentSession events (user/agent state, final transcripts, close, unrecoverable errors) and room events become
 *   machine events; tools run through `pauseDuring` so presence pauses while they execute;
 * - machine commands become `session.say` / `generateReply` (their playout reported back), the dialer, an ordered
 *   close (session.close → ctx.shutdown → delete the room), each started as a tracked task that `drain()` awaits.
 */
import { voice } from '@livekit/agents';
import type { Actor } from 'xstate';
import { callSettings, type CallMachine } from '../../machines/call.machine.js';
import type { CallEvent, CloseReason, Command, DialRefusal, EndSource, PromptKind } from '../../machines/events.js';
import { createCallActor } from '../commands.js';
import type { AgentConfig } from '../config/schema.js';
import { apiFailureDetail } from '../dialer/apiFailure.js';
import type { Dialer, DialResult } from '../dialer/sipDialer.js';
import { screenAnsweredLeg, voicemailNote, type LegLine, type ScreenOptions } from '../dialer/voicemail.js';
import type { TaskRegistry } from '../lifecycle/tasks.js';
import { sessionCloseEvent } from './roomEvents.js';
import { commandEntry, type AmdCategory, type TimelineEntry } from '../timeline/timeline.js';

export interface BridgeLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

export interface CallBridgeOptions {
  session: voice.AgentSession;
  config: AgentConfig;
  dialer: Dialer;
  /** `ctx.shutdown(reason)`: ends the job. Called exactly once, after the session closed. */
  shutdown: (reason: CloseReason) => void;
  /** Deletes the call's room (RoomServiceClient.deleteRoom). */
  deleteRoom: () => Promise<void>;
  /** Mutes or unmutes the caller's microphone track (RoomServiceClient.mutePublishedTrack); for dial.holdCaller. */
  muteCaller?: (muted: boolean) => Promise<void>;
  /** Every timeline entry as it happens (local mode display, agent-mode simulation, session record). */
  onTimeline?: (entry: TimelineEntry) => void;
  logger?: BridgeLogger;
  /** The call's task registry: everything the bridge starts is registered there too, by name (leak report). */
  tasks?: TaskRegistry;
  /**
   * Answering-machine detection on answered dials (`dial.amd`): how the session hears a dialed leg (in a room, RoomIO
   * linked to it; in agent-mode simulation, the simulated line), and, for the simulation, AMD's models and clock
   * scale. Without it (no room: local mode, a roomless job) an answered dial counts as answered at once.
   */
  screen?: { line: LegLine } & Pick<ScreenOptions, 'models' | 'timeScale'>;
  /** The machine's clock (XState's `clock` option); agent-mode simulation passes a scaled one. */
  clock?: { setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown; clearTimeout(id: unknown): void };
}

export class CallBridge {
  readonly actor: Actor<CallMachine>;
  /** Resolves with the close reason once shutdown was requested. */
  readonly ended: Promise<CloseReason>;
  private resolveEnded!: (reason: CloseReason) => void;
  private readonly tasks = new Set<Promise<unknown>>();
  private closing: Promise<void> | null = null;
  private readonly refusals = new Map<string, DialRefusal>();
  private readonly detach: (() => void)[] = [];
  /** In-flight dials by number: aborting one stops its answering-machine detection (the machine ended the dial). */
  private readonly dials = new Map<string, AbortController>();
  /** Legs under answering-machine detection (not callees yet), and whether they left the room meanwhile. */
  private readonly screening = new Map<string, { left: boolean }>();
  /** Legs a machine answered: never callees. */
  private readonly machineLegs = new Set<string>();
  /** Legs whose dial settled answered by a person: the conference's callees, until they leave. */
  private readonly callees = new Set<string>();
  /**
   * Dialed participants that left before their dial settled. On the real SIP bridge a dialed leg is in the room from
   * the moment dialing starts, so a busy or unanswered leg leaves too (USER_REJECTED, USER_UNAVAILABLE): it never was
   * a callee. Only if its dial then settles answered (it hung up right after answering) does its leaving count.
   */
  private readonly departed = new Set<string>();
  /** dial.holdCaller.audioInput: the caller is on hold; the session's input is off unless it listens to a leg. */
  private callerHeld = false;
  private legListening = false;

  constructor(private readonly o: CallBridgeOptions) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.actor = createCallActor((c) => this.run(c), {
      input: callSettings(o.config),
      ...(o.clock ? { clock: o.clock } : {}),
    });
  }

  /** Subscribes to the session and starts the machine. Call before `session.start()` to see its first states. */
  start(): this {
    const s = this.o.session;
    const onUserState = (ev: voice.UserStateChangedEvent) => {
      this.record({ type: 'userState', state: ev.newState });
      this.send({ type: 'USER_STATE', state: ev.newState });
    };
    const onAgentState = (ev: voice.AgentStateChangedEvent) => {
      this.record({ type: 'agentState', state: ev.newState });
      this.send({ type: 'AGENT_STATE', state: ev.newState });
    };
    const onTranscript = (ev: voice.UserInputTranscribedEvent) => {
      if (!ev.isFinal) return;
      this.record({ type: 'transcript', text: ev.transcript });
      this.send({ type: 'TRANSCRIPT', text: ev.transcript });
    };
    const onClose = (ev: voice.CloseEvent) => {
      // A close we did not ask for still has to end the job; the framework closing it means the job is ending.
      if (!this.closing) {
        const event = sessionCloseEvent(ev.reason);
        if (event.type === 'JOB_SHUTDOWN') this.record({ type: 'jobShutdown' });
        this.send(event);
      }
      this.o.logger?.info({ reason: ev.reason }, 'agent session closed');
    };
    const onError = (ev: voice.ErrorEvent) => {
      const recoverable = (ev.error as { recoverable?: boolean }).recoverable ?? true;
      this.o.logger?.warn({ recoverable, error: String((ev.error as { error?: unknown }).error ?? ev.type) }, 'agent session error');
      if (!recoverable) {
        this.record({ type: 'error', message: 'unrecoverable session error' });
        this.send({ type: 'FATAL_ERROR', message: 'unrecoverable session error' });
      }
    };
    const T = voice.AgentSessionEventTypes;
    s.on(T.UserStateChanged, onUserState);
    s.on(T.AgentStateChanged, onAgentState);
    s.on(T.UserInputTranscribed, onTranscript);
    s.on(T.Close, onClose);
    s.on(T.Error, onError);
    this.detach.push(() => {
      s.off(T.UserStateChanged, onUserState);
      s.off(T.AgentStateChanged, onAgentState);
      s.off(T.UserInputTranscribed, onTranscript);
      s.off(T.Close, onClose);
      s.off(T.Error, onError);
    });
    this.actor.start();
    return this;
  }

  /** Sends an event to the machine; after shutdown the machine is final and nothing is sent. */
  send(event: CallEvent): void {
    if (!this.isEnded) this.actor.send(event);
  }

  /** The config this call runs with (after env and dispatch overrides). */
  get config(): AgentConfig {
    return this.o.config;
  }

  /** The first reason the call started to end, once it has (the machine's own record of it). */
  get closeReason(): CloseReason | null {
    return this.actor.getSnapshot().context.closeReason;
  }

  get isEnded(): boolean {
    return this.actor.getSnapshot().status !== 'active';
  }

  /** Runs a tool with presence paused (the JS AgentSession does not pause its away timer during tools). */
  async pauseDuring<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.record({ type: 'toolStart', name });
    this.send({ type: 'TOOL_STARTED', name });
    try {
      return await fn();
    } finally {
      this.record({ type: 'toolEnd', name });
      this.send({ type: 'TOOL_FINISHED', name });
    }
  }

  /** Asks the machine to dial; returns why it refused, or null when the dial started. */
  requestDial(number: string): DialRefusal | null {
    if (this.isEnded) return 'closing'; // after shutdown nothing is recorded or done
    this.refusals.delete(number);
    this.record({ type: 'dialRequest', number });
    this.send({ type: 'DIAL_REQUESTED', number });
    return this.refusals.get(number) ?? null;
  }

  /**
   * Whether a dialed participant counts as a callee (its speech and its leaving are presence's business): only once its
   * dial settled answered by a person. Not while it rings, nor while answering-machine detection decides about it,
   * and never once a machine answered.
   */
  mayBeCallee(identity: string): boolean {
    return this.callees.has(identity);
  }

  /**
   * A dialed participant left the room. Returns whether to report it now (record `calleeLeft`, send CALLEE_LEFT): only
   * when it was a callee and no other callee remains, since the machine knows one conference, not each leg. A leg
   * whose dial has not settled is not a callee yet: if its dial then settles answered, the bridge reports its leaving
   * right after. A busy, unanswered or machine leg never was one.
   */
  dialedParticipantLeft(identity: string): boolean {
    const screening = this.screening.get(identity);
    if (screening) screening.left = true;
    if (!this.callees.delete(identity)) {
      this.departed.add(identity);
      return false;
    }
    return this.callees.size === 0;
  }

  /** Awaits every task the bridge started (speech playouts, dials, the close, the room deletion). */
  async drain(): Promise<void> {
    while (this.tasks.size) await Promise.allSettled([...this.tasks]);
  }

  /**
   * An end request (the `end_call` tool, the end-session RPC): recorded as the exit trigger it is (`endRequest`, as
   * the simulators record it and the invariants expect it), then sent. Nothing once the call has ended.
   */
  requestEnd(source: EndSource): void {
    if (this.isEnded) return;
    this.record({ type: 'endRequest', source });
    this.send({ type: 'END_REQUESTED', source });
  }

  /** Detaches from the session and stops the machine (idempotent). */
  dispose(): void {
    for (const d of this.detach.splice(0)) d();
    this.actor.stop();
  }

  private record(entry: TimelineEntry): void {
    this.o.onTimeline?.(entry);
  }

  private track<T>(name: string, p: Promise<T>): Promise<T> {
    this.tasks.add(p);
    void p.finally(() => this.tasks.delete(p)).catch(() => {});
    this.o.tasks?.add(`bridge: ${name}`, p);
    return p;
  }

  private run(c: Command): void {
    this.record(commandEntry(c));
    const log = this.o.logger;
    const s = this.o.session;
    switch (c.type) {
      case 'checkIn':
        log?.info({ attempt: c.attempt, mode: c.mode }, 'check-in');
        return this.speak('checkIn', c.attempt, () => {
          if (c.mode === 'fixed') return s.say(c.text, { allowInterruptions: true });
          try {
            return s.generateReply({ instructions: c.instructions });
          } catch (e) {
            log?.warn({ error: (e as Error).message }, 'generated check-in failed; saying the fixed text');
            return s.say(c.text, { allowInterruptions: true });
          }
        });
      case 'goodbye':
        return this.speak('goodbye', undefined, () => s.say(c.text, { allowInterruptions: false }));
      case 'warn':
        return this.speak('warning', undefined, () => s.say(c.text, { allowInterruptions: false }));
      case 'dialStart': {
        log?.info({ number: c.number }, 'dial started');
        const controller = new AbortController();
        this.dials.set(c.number, controller);
        void this.track(
          `dial ${c.number}`,
          this.dialAndScreen(c.number, controller.signal).then((r) => {
            if (this.dials.get(c.number) === controller) this.dials.delete(c.number);
            if (!r) return; // the machine ended this dial itself
            this.send(
              r.sipStatus === undefined
                ? { type: 'DIAL_SETTLED', number: c.number, outcome: r.outcome }
                : { type: 'DIAL_SETTLED', number: c.number, outcome: r.outcome, sipStatus: r.sipStatus },
            );
            if (r.outcome !== 'answered' || !r.identity) return;
            if (!r.calleeLeft && !this.departed.has(r.identity)) return void this.callees.add(r.identity);
            // It answered and has already left: report it now, unless another callee is still in the call.
            if (this.callees.size === 0 && !this.isEnded) {
              this.record({ type: 'calleeLeft' });
              this.send({ type: 'CALLEE_LEFT' });
            }
          }),
        );
        return;
      }
      case 'dialCancel':
        log?.info({ number: c.number }, 'dial cancelled');
        this.dials.get(c.number)?.abort();
        this.dials.delete(c.number);
        void this.track(`cancel dial ${c.number}`, this.o.dialer.cancel(c.number));
        return;
      case 'dialEnd':
        log?.info({ number: c.number, outcome: c.outcome, sipStatus: c.sipStatus }, 'dial ended');
        // However the machine ended it (a room deleted mid-dial is only recorded), detection on it stops.
        this.dials.get(c.number)?.abort();
        this.dials.delete(c.number);
        return;
      case 'dialRefused':
        this.refusals.set(c.number, c.reason);
        log?.info({ number: c.number, reason: c.reason }, 'dial refused');
        return;
      case 'holdCaller':
      case 'releaseCaller':
        return this.holdCaller(c.type === 'holdCaller');
      case 'sessionClose':
        log?.info({ reason: c.reason }, 'closing the session');
        this.closing = this.track('session.close', s.close().catch((e: unknown) => log?.warn({ error: String(e) }, 'session close failed')));
        return;
      case 'shutdown': {
        const reason = c.reason;
        void this.track(
          'ctx.shutdown',
          (this.closing ?? Promise.resolve()).then(() => {
            log?.info({ reason }, 'shutting down the job');
            this.resolveEnded(reason);
            this.o.shutdown(reason);
          }),
        );
        return;
      }
      case 'deleteRoom':
        void this.track(
          'deleteRoom',
          (this.closing ?? Promise.resolve())
            .then(() => this.o.deleteRoom())
            .catch((e: unknown) => log?.warn({ error: apiFailureDetail(e) }, 'room deletion failed')),
        );
        return;
    }
  }

  /**
   * dial.holdCaller: the session stops (or resumes) acting on the caller's audio, and/or their track is muted (or
   * unmuted) server-side. Permissions are left alone: they neither mute nor unmute a published track.
   */
  private holdCaller(hold: boolean): void {
    const { audioInput, muteTrack } = this.o.config.dial.holdCaller;
    this.o.logger?.info({ hold, audioInput, muteTrack }, hold ? 'caller on hold for the dial' : 'caller hold released');
    this.callerHeld = hold;
    this.applyAudioInput();
    if (muteTrack && this.o.muteCaller) {
      void this.track(hold ? 'mute caller' : 'unmute caller', this.o.muteCaller(hold).catch((e: unknown) => this.o.logger?.warn({ hold, error: apiFailureDetail(e) }, 'caller track mute failed')));
    }
  }

  /** The session's audio input: off while the caller is held (audioInput), except while it listens to a dialed leg. */
  private applyAudioInput(): void {
    if (this.o.config.dial.holdCaller.audioInput) this.o.session.input.setAudioEnabled(!this.callerHeld || this.legListening);
  }

  /**
   * Dials; an answered dial then goes through answering-machine detection (dial.amd) when the bridge can hear the
   * leg. Null: the machine ended the dial itself while it was being screened (nothing to report).
   */
  private async dialAndScreen(number: string, signal: AbortSignal): Promise<(DialResult & { calleeLeft?: boolean }) | null> {
    const r = await this.o.dialer.dial(number);
    const screen = this.o.screen;
    if (r.outcome !== 'answered' || !r.identity || !screen || !this.o.config.dial.amd.enabled || signal.aborted) return r;
    const identity = r.identity;
    const state = { left: false };
    this.screening.set(identity, state);
    let category: AmdCategory | null = null;
    const log = this.o.logger;
    const outcome = await screenAnsweredLeg(number, identity, {
      session: this.o.session,
      dial: this.o.config.dial,
      line: {
        listen: (leg) => {
          screen.line.listen(leg);
          this.legListening = true;
          this.applyAudioInput();
        },
        restore: () => {
          this.legListening = false;
          this.applyAudioInput();
          screen.line.restore();
        },
      },
      ...(screen.models ? { models: screen.models } : {}),
      ...(screen.timeScale !== undefined ? { timeScale: screen.timeScale } : {}),
      record: (entry) => {
        if (entry.type === 'amd') {
          category = entry.category;
          log?.info({ number, category }, 'answering-machine detection');
        }
        this.record(entry);
      },
      hangup: () => this.o.dialer.hangup(number),
      signal,
      log: (fields, msg) => log?.warn(fields, msg),
    });
    this.screening.delete(identity);
    if (outcome !== 'answered') this.machineLegs.add(identity);
    if (outcome === null) return null;
    if (outcome === 'voicemail' && category) {
      this.tellModel(voicemailNote(number, category, this.o.config.dial.onVoicemail === 'leave-message' && category === 'machine-vm'));
    }
    return { outcome, identity, calleeLeft: state.left };
  }

  /** Puts a note in the agent's chat context (what happened that it did not see), without a reply. */
  private tellModel(text: string): void {
    try {
      const agent = this.o.session.currentAgent;
      const ctx = agent.chatCtx.copy();
      ctx.addMessage({ role: 'system', content: text });
      void this.track('tell the model', agent.updateChatCtx(ctx).catch((e: unknown) => this.o.logger?.warn({ error: (e as Error).message }, 'could not tell the model')));
    } catch (e) {
      this.o.logger?.warn({ error: (e as Error).message }, 'could not tell the model');
    }
  }

  /** Plays a prompt and reports its playout (or its failure) to the machine, which bounds the wait anyway. */
  private speak(prompt: PromptKind, attempt: number | undefined, make: () => voice.SpeechHandle): void {
    void this.track(
      `speech ${prompt}`,
      (async () => {
        let interrupted = false;
        try {
          const handle = make();
          await handle.waitForPlayout();
          interrupted = handle.interrupted;
        } catch (e) {
          this.o.logger?.warn({ prompt, error: (e as Error).message }, 'prompt playout failed');
        }
        this.record(interrupted ? { type: 'playoutEnd', prompt, interrupted } : { type: 'playoutEnd', prompt });
        this.send({ type: 'PLAYOUT_FINISHED', prompt, attempt, interrupted });
      })(),
    );
  }
}
