/**
 * The one bridge between a real AgentSession and the call machine, both directions:
 * - AgentSession events (user/agent state, final transcripts, close, unrecoverable errors) and room events become
 *   machine events; tools run through `pauseDuring` so presence pauses while they execute;
 * - machine commands become `session.say` / `generateReply` (their playout reported back), the dialer, an ordered
 *   close (session.close → ctx.shutdown → delete the room), each started as a tracked task that `drain()` awaits.
 */
import { voice, type llm } from '@livekit/agents';
import type { Actor } from 'xstate';
import { callSettings, type CallMachine } from '../../machines/call.machine.js';
import type { CallEvent, CloseReason, Command, DialOutcome, DialRefusal, EndSource, PromptKind } from '../../machines/events.js';
import { createCallActor } from '../commands.js';
import type { AgentConfig } from '../config/schema.js';
import { apiFailureDetail } from '../dialer/apiFailure.js';
import type { Dialer, DialResult } from '../dialer/sipDialer.js';
import { dialReportNote } from '../dialer/outcomeNote.js';
import { screenAnsweredLeg, type LegLine, type ScreenOptions } from '../dialer/voicemail.js';
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
  /** Dials answering-machine detection screens, by the leg's identity: from before the leg is dialed until it settles. */
  private readonly screening = new Map<string, LegScreening>();
  /** The leg the session hears while AMD listens: its turns are the callee's, not the caller's. */
  private heardLeg: LegScreening | null = null;
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

  /**
   * The greeting (config `greeting`), once the session has started with the caller there: said before anything else.
   * The machine needs no part in it: presence counts from its end because the framework's away timer only runs while
   * the agent is quiet.
   */
  greet(): void {
    const g = this.o.config.greeting;
    if (g.mode === 'off' || this.isEnded) return;
    const s = this.o.session;
    const log = this.o.logger;
    log?.info({ mode: g.mode }, 'greeting');
    void this.track(
      'greeting',
      (async () => {
        let handle: voice.SpeechHandle;
        try {
          handle = g.mode === 'fixed' ? s.say(g.text, { allowInterruptions: true }) : s.generateReply({ instructions: g.instructions });
        } catch (e) {
          log?.warn({ error: (e as Error).message }, 'generated greeting failed; saying the fixed text');
          handle = s.say(g.text, { allowInterruptions: true });
        }
        await handle.waitForPlayout();
      })().catch((e: unknown) => log?.warn({ error: (e as Error).message }, 'greeting failed')),
    );
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
    if (screening) {
      screening.left = true;
      // Gone while AMD listens: nothing more to hear, the dial settles now (not when AMD's budget runs out).
      if (screening.run) screening.stop.abort();
    }
    if (!this.callees.delete(identity)) {
      this.departed.add(identity);
      return false;
    }
    return this.callees.size === 0;
  }

  /**
   * The room says a dialed leg answered (its `sip.callStatus` turned `active`, which livekit-sip sets at the SIP
   * answer): answering-machine detection starts hearing it now, before the API's answer to the dial arrives.
   */
  legAnswered(identity: string): void {
    const s = this.screening.get(identity);
    if (s && !s.run && !s.left && !s.stop.signal.aborted) {
      this.o.logger?.info({ number: s.number, identity }, 'the leg answered; answering-machine detection listens');
      s.run = this.screen(s);
    }
  }

  /**
   * A user turn the session completed (the agent's `onUserTurnCompleted`): while AMD hears a dialed leg, the turn is
   * that leg's greeting, so the chat says who spoke rather than taking it for the caller.
   */
  attributeTurn(message: llm.ChatMessage): void {
    const leg = this.heardLeg;
    if (!leg) return;
    leg.turns++;
    message.content = [`(${leg.number}, who was just dialed, answered and said:) ${message.textContent ?? ''}`];
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
          this.dialAndScreen(c.number, controller.signal)
            // Never swallowed: a dial that failed in our own code still settles (failed), or presence would stay paused
            // until the dial.maxSeconds watchdog.
            .catch((e: unknown): Screened | null => {
              log?.warn({ number: c.number, error: (e as Error).message }, 'the dial failed in the agent');
              return controller.signal.aborted ? null : { outcome: 'failed', detail: (e as Error).message };
            })
            .then((r) => {
              if (this.dials.get(c.number) === controller) this.dials.delete(c.number);
              if (!r) return; // the machine ended this dial itself
              this.send(
                r.sipStatus === undefined
                  ? { type: 'DIAL_SETTLED', number: c.number, outcome: r.outcome }
                  : { type: 'DIAL_SETTLED', number: c.number, outcome: r.outcome, sipStatus: r.sipStatus },
              );
              this.reportDial(c.number, r);
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
   * Dials; an answered dial goes through answering-machine detection (dial.amd) when the bridge can hear the leg.
   * Detection starts as soon as the leg answers: when the room says so (`legAnswered`), or at the latest when the dial's
   * API call returns. Not before: a running AMD holds every reply of the session (it pauses reply authorization), so
   * the caller would hear nothing while the leg rings, not even "I'm calling them now". A leg that leaves while AMD
   * listens settles the dial at once, answered and gone. Null: the machine ended the dial itself (nothing to report).
   */
  private async dialAndScreen(number: string, signal: AbortSignal): Promise<Screened | null> {
    const screen = this.o.config.dial.amd.enabled ? this.o.screen : undefined;
    const canHear = screen !== undefined && (screen.line.canHear?.() ?? true);
    if (screen && !canHear) this.o.logger?.warn({ number }, 'answering-machine detection skipped: the session cannot be linked to the leg (no RoomIO), and AMD would classify the caller');
    const legs: LegScreening[] = [];
    const r = await this.o.dialer.dial(number, (identity) => {
      if (!canHear) return;
      const leg: LegScreening = { number, identity, stop: new AbortController(), run: null, left: false, turns: 0, category: null };
      signal.addEventListener('abort', () => leg.stop.abort(), { once: true });
      this.screening.set(identity, leg);
      legs.push(leg);
    });
    const leg = legs[0];
    if (!leg) return r;
    this.o.logger?.info({ number, outcome: r.outcome, screening: leg.run !== null }, "the dial's API call returned");
    try {
      if (r.outcome !== 'answered' || !r.identity || signal.aborted) {
        leg.stop.abort();
        await leg.run;
        return r;
      }
      // It answered and left before detection could start: nothing to screen.
      if (leg.left && !leg.run) return { ...r, calleeLeft: true, leftAtOnce: true };
      const outcome = await (leg.run ??= this.screen(leg));
      if (outcome === null) return leg.left && !signal.aborted ? { ...r, calleeLeft: true, leftAtOnce: true } : null;
      return { outcome, identity: r.identity, calleeLeft: leg.left, category: leg.category, greeted: leg.turns > 0 };
    } finally {
      this.screening.delete(leg.identity);
    }
  }

  /** AMD on one answered leg, the session linked to it meanwhile. */
  private screen(leg: LegScreening): Promise<Extract<DialOutcome, 'answered' | 'voicemail'> | null> {
    const screen = this.o.screen!;
    const log = this.o.logger;
    return screenAnsweredLeg(leg.number, leg.identity, {
      session: this.o.session,
      dial: this.o.config.dial,
      line: {
        listen: (l) => {
          screen.line.listen(l);
          this.heardLeg = leg;
          this.legListening = true;
          this.applyAudioInput();
        },
        restore: () => {
          this.heardLeg = null;
          this.legListening = false;
          this.applyAudioInput();
          screen.line.restore();
        },
      },
      ...(screen.models ? { models: screen.models } : {}),
      ...(screen.timeScale !== undefined ? { timeScale: screen.timeScale } : {}),
      record: (entry) => {
        if (entry.type === 'amd') {
          leg.category = entry.category;
          log?.info({ number: leg.number, category: entry.category }, 'answering-machine detection');
        }
        this.record(entry);
      },
      hangup: () => this.o.dialer.hangup(leg.number),
      signal: leg.stop.signal,
      log: (fields, msg) => log?.warn(fields, msg),
    });
  }

  /**
   * The model hears how the dial ended and answers the caller: a note in its chat context, and a reply with it as the
   * instructions. Not for a dial we cancelled, nor once the call is closing, nor for an answer whose greeting the
   * model is already replying to (the turn AMD held, attributed to the callee).
   */
  private reportDial(number: string, r: Screened): void {
    const note = dialReportNote({ ...r, number, amd: r.category ?? null, closing: this.closeReason !== null || this.isEnded }, this.o.config.dial.onVoicemail);
    if (note === null) return;
    const session = this.o.session;
    void this.track(
      `report dial ${number}`,
      (async () => {
        const agent = session.currentAgent;
        const ctx = agent.chatCtx.copy();
        ctx.addMessage({ role: 'system', content: note });
        await agent.updateChatCtx(ctx);
        if (this.closeReason !== null || this.isEnded) return;
        await session.generateReply({ instructions: note }).waitForPlayout();
      })().catch((e: unknown) => this.o.logger?.warn({ number, error: (e as Error).message }, 'could not tell the model how the dial ended')),
    );
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

/** One dial AMD screens: the leg's identity is known before it is dialed. */
interface LegScreening {
  number: string;
  identity: string;
  /** Aborted when the machine ends the dial, or when the leg leaves while AMD listens. */
  stop: AbortController;
  /** Detection, once the leg answered. */
  run: Promise<Extract<DialOutcome, 'answered' | 'voicemail'> | null> | null;
  /** The leg left the room. */
  left: boolean;
  /** User turns heard from the leg while AMD listened (its greeting). */
  turns: number;
  category: AmdCategory | null;
}

/** A dial's result, and what screening it learned. */
type Screened = DialResult & { calleeLeft?: boolean; leftAtOnce?: boolean; category?: AmdCategory | null; greeted?: boolean };
