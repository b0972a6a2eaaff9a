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
import type { CallEvent, CloseReason, Command, DialRefusal, PromptKind } from '../../machines/events.js';
import { createCallActor } from '../commands.js';
import type { AgentConfig } from '../config/schema.js';
import type { Dialer } from '../dialer/sipDialer.js';
import type { TaskRegistry } from '../lifecycle/tasks.js';
import { sessionCloseEvent } from './roomEvents.js';
import { commandEntry, type TimelineEntry } from '../timeline/timeline.js';

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

  /** Awaits every task the bridge started (speech playouts, dials, the close, the room deletion). */
  async drain(): Promise<void> {
    while (this.tasks.size) await Promise.allSettled([...this.tasks]);
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
      case 'dialStart':
        log?.info({ number: c.number }, 'dial started');
        void this.track(
          `dial ${c.number}`,
          this.o.dialer.dial(c.number).then((r) => {
            this.send(
              r.sipStatus === undefined
                ? { type: 'DIAL_SETTLED', number: c.number, outcome: r.outcome }
                : { type: 'DIAL_SETTLED', number: c.number, outcome: r.outcome, sipStatus: r.sipStatus },
            );
          }),
        );
        return;
      case 'dialCancel':
        log?.info({ number: c.number }, 'dial cancelled');
        void this.track(`cancel dial ${c.number}`, this.o.dialer.cancel(c.number));
        return;
      case 'dialEnd':
        log?.info({ number: c.number, outcome: c.outcome, sipStatus: c.sipStatus }, 'dial ended');
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
            .catch((e: unknown) => log?.warn({ error: (e as Error).message }, 'room deletion failed')),
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
    if (audioInput) this.o.session.input.setAudioEnabled(!hold);
    if (muteTrack && this.o.muteCaller) {
      void this.track(hold ? 'mute caller' : 'unmute caller', this.o.muteCaller(hold).catch((e: unknown) => this.o.logger?.warn({ hold, error: (e as Error).message }, 'caller track mute failed')));
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
