/**
 * The conversation-level behaviour of one call: presence (check-ins, goodbye), the outbound dial guard, the max
 * call duration and every exit path, ending in exactly one shutdown.
 *
 * Pure: no I/O, no clock but XState `after` delays. Every side effect is a named action (see `Commands`) with a
 * no-op placeholder here; `src/` provides the real ones with `machine.provide()`. The context is finite and
 * serialisable (counters are bounded by config, strings come from events), so the graph can be explored.
 */
import { and, assign, enqueueActions, not, raise, setup } from 'xstate';
import { GOODBYE_REASONS as GOODBYE_TEXT_REASONS, type AgentConfig } from '../src/config/schema.js';
import { dialRefusal } from './dialPolicy.js';
import type { Audience, CallEvent, CloseReason, Commands, DialOutcome, DialRefusal } from './events.js';

/** The part of the agent's config the machine reads. */
export type CallSettings = Pick<
  AgentConfig,
  'presence' | 'checkIn' | 'goodbye' | 'closeAction' | 'dial' | 'maxCallDuration'
>;

export interface CallContext {
  readonly settings: CallSettings;
  /** Check-ins said in the current unanswered spell (0..checkIn.maxPrompts). */
  attempt: number;
  /** Tools running now; presence is paused while > 0. */
  tools: number;
  /** The agent is `listening`: the only agent state in which LiveKit (and our own window) counts silence. */
  agentListening: boolean;
  /** The user is `speaking` (LiveKit's user state): LiveKit's away timer, and so our own window, does not run. */
  userSpeaking: boolean;
  /** An answered dialed participant is in the room: a conference, where presence hears everyone. */
  callee: boolean;
  /** The callee is speaking (the room's active speakers). */
  calleeSpeaking: boolean;
  /** Dials placed in this call (0..dial.maxPerCall). */
  dialsPlaced: number;
  /** The number being dialed; presence is paused while set. */
  dialNumber: string | null;
  /** The first reason the call started to end; later ones never replace it. */
  closeReason: CloseReason | null;
  callerGone: boolean;
  roomGone: boolean;
  /** The agent can no longer be heard: its connection is gone or the framework is closing the job. */
  agentGone: boolean;
  /** The agent's connection is reconnecting: nobody hears it, so presence is paused. */
  agentReconnecting: boolean;
}

/** Placeholder for a command: `src/` provides the real implementation. */
const command = <K extends keyof Commands>() => (_args: unknown, _params: Commands[K]): void => {};

/** The fixed text of check-in `attempt` for `audience` (the last message repeats). */
export const checkInText = (s: CallSettings, attempt: number, audience: Audience = 'caller'): string => {
  const texts = audience === 'room' ? s.checkIn.roomMessages : s.checkIn.messages;
  return texts[Math.min(attempt, texts.length) - 1] ?? texts[0]!;
};

/** The goodbye said for `reason` (only reasons in GOODBYE_REASONS get one). */
export const goodbyeText = (s: CallSettings, reason: CloseReason): string =>
  (s.goodbye.messages as Record<string, string>)[reason] ?? s.goodbye.messages.user_unresponsive;

/** Whether dials put the caller on hold (dial.holdCaller). */
const holdsCaller = (s: CallSettings): boolean => s.dial.holdCaller.audioInput || s.dial.holdCaller.muteTrack;

/** Reasons whose close is polite: someone is still there to hear a goodbye. */
const GOODBYE_REASONS: readonly CloseReason[] = GOODBYE_TEXT_REASONS;

const callSetup = setup({
  types: {
    context: {} as CallContext,
    events: {} as CallEvent,
    input: {} as CallSettings,
  },
  actions: {
    checkIn: command<'checkIn'>(),
    goodbye: command<'goodbye'>(),
    warn: command<'warn'>(),
    dialStart: command<'dialStart'>(),
    dialCancel: command<'dialCancel'>(),
    dialEnd: command<'dialEnd'>(),
    holdCaller: command<'holdCaller'>(),
    releaseCaller: command<'releaseCaller'>(),
    dialRefused: command<'dialRefused'>(),
    sessionClose: command<'sessionClose'>(),
    shutdown: command<'shutdown'>(),
    deleteRoom: command<'deleteRoom'>(),

    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    resetAttemptsIfConfigured: assign({
      attempt: ({ context }) => (context.settings.checkIn.resetOnSpeech ? 0 : context.attempt),
    }),
    toolStarted: assign({ tools: ({ context }) => context.tools + 1 }),
    toolFinished: assign({ tools: ({ context }) => Math.max(0, context.tools - 1) }),
    trackUserState: assign({
      userSpeaking: ({ context, event }) =>
        event.type === 'USER_STATE'
          ? event.state === 'speaking'
          : context.userSpeaking,
    }),
    trackCalleeSpeech: assign({
      calleeSpeaking: ({ context, event }) =>
        event.type === 'CALLEE_SPEAKING'
          ? context.callee && event.speaking
          : context.calleeSpeaking,
    }),
    calleeJoined: assign({ callee: true }),
    calleeLeft: assign({ callee: false, calleeSpeaking: false }),
    countDial: assign({ dialsPlaced: ({ context }) => Math.min(context.dialsPlaced + 1, context.settings.dial.maxPerCall) }),
    // The session's input is linked to the caller: once they are gone, their (stale) speaking state says nothing.
    forgetCallerSpeech: assign({ userSpeaking: false }),
    trackAgentState: assign({
      agentListening: ({ context, event }) =>
        event.type === 'AGENT_STATE'
          ? event.state === 'listening'
          : context.agentListening,
    }),
    rememberDial: assign({
      dialNumber: ({ context, event }) => (event.type === 'DIAL_REQUESTED' ? event.number : context.dialNumber),
    }),
    forgetDial: assign({ dialNumber: null }),
    closeFor: assign({
      closeReason: ({ context }, params: { reason: CloseReason }) => context.closeReason ?? params.reason,
    }),
    markCallerGone: assign({ callerGone: true }),
    markRoomGone: assign({ roomGone: true }),
    markAgentGone: assign({ agentGone: true }),
    agentReconnecting: assign({ agentReconnecting: true }),
    agentReconnected: assign({ agentReconnecting: false }),
  },
  guards: {
    presencePaused: ({ context }) => context.tools > 0 || context.dialNumber !== null || context.agentReconnecting,
    // As LiveKit arms its own away timer: only while the agent listens and nobody speaks.
    silenceCounts: ({ context }) => context.agentListening && !context.userSpeaking && !context.calleeSpeaking,
    calleeStartsSpeaking: ({ context, event }) => event.type === 'CALLEE_SPEAKING' && event.speaking && context.callee,
    dialAnswered: ({ event }) => event.type === 'DIAL_SETTLED' && event.outcome === 'answered',
    dialLimitReached: ({ context }) => context.dialsPlaced >= context.settings.dial.maxPerCall,
    // With onCallerLeft 'continue', the call goes on while a dial may still bring someone in, or a callee is there.
    callGoesOnWithoutCaller: ({ context }) =>
      context.settings.dial.onCallerLeft === 'continue' &&
      (context.callee || context.dialNumber !== null),
    nobodyLeft: ({ context }) => context.callerGone && !context.callee && context.dialNumber === null,
    isAway: ({ context, event }) => event.type === 'USER_STATE' && event.state === 'away' && !context.callee && !context.callerGone,
    // What brings the user back: a final transcript always; detected speech only with activitySignal 'vad'.
    isActivity: ({ context, event }) =>
      event.type === 'TRANSCRIPT' ||
      (event.type === 'USER_STATE' && event.state === 'speaking' && context.settings.presence.activitySignal === 'vad'),
    promptsExhausted: ({ context }) => context.attempt >= context.settings.checkIn.maxPrompts,
    isCurrentCheckInPlayout: ({ context, event }) =>
      event.type === 'PLAYOUT_FINISHED' && event.prompt === 'checkIn' && event.attempt === context.attempt,
    isGoodbyePlayout: ({ event }) => event.type === 'PLAYOUT_FINISHED' && event.prompt === 'goodbye',
    toolRunning: ({ context }) => context.tools > 0,
    dialInFlight: ({ context }) => context.dialNumber !== null,
    settlesOurDial: ({ context, event }) => event.type === 'DIAL_SETTLED' && event.number === context.dialNumber,
    numberRefused: ({ context, event }) =>
      event.type === 'DIAL_REQUESTED' && dialRefusal(event.number, context.settings.dial) !== null,
    roomDeleted: ({ event }) => event.type === 'ROOM_DISCONNECTED' && event.deleted,
    cancelOnCallerLeft: ({ context }) => context.settings.dial.onCallerLeft === 'cancel',
    hasMaxDuration: ({ context }) => context.settings.maxCallDuration !== null,
    hasWarning: ({ context }) => (context.settings.maxCallDuration?.warnBefore ?? 0) > 0,
    wantsGoodbye: ({ context }) =>
      context.closeReason !== null &&
      GOODBYE_REASONS.includes(context.closeReason) &&
      // Someone to hear it: the caller, or the callee a call went on with.
      (!context.callerGone || context.callee) &&
      !context.roomGone &&
      !context.agentGone,
  },
  delays: {
    awayWindow: ({ context }) => context.settings.presence.userAwayTimeout * 1000,
    callerReconnectGrace: ({ context }) => context.settings.presence.callerReconnectGrace * 1000,
    checkInInterval: ({ context }) => context.settings.checkIn.interval * 1000,
    checkInMax: ({ context }) => context.settings.checkIn.maxSeconds * 1000,
    goodbyeMax: ({ context }) => context.settings.goodbye.maxSeconds * 1000,
    settleTimeout: ({ context }) => context.settings.dial.settleTimeout * 1000,
    dialMax: ({ context }) => context.settings.dial.maxSeconds * 1000,
    warnAt: ({ context }) => {
      const m = context.settings.maxCallDuration;
      return m ? (m.seconds - m.warnBefore) * 1000 : Infinity;
    },
    warnBefore: ({ context }) => (context.settings.maxCallDuration?.warnBefore ?? 0) * 1000,
    maxDuration: ({ context }) => (context.settings.maxCallDuration?.seconds ?? Infinity) * 1000,
  },
});

// Caller hold spans exactly the dial: it starts with the dial, and every end of a dial goes through `endDial`.
const holdIfConfigured = callSetup.enqueueActions(({ context, enqueue }) => {
  if (holdsCaller(context.settings)) enqueue({ type: 'holdCaller', params: {} });
});
const endDial = callSetup.enqueueActions(({ context, enqueue }) => {
  enqueue('forgetDial');
  if (holdsCaller(context.settings)) enqueue({ type: 'releaseCaller', params: {} });
});

// The machine ends the dial itself (caller left, close deadline, watchdog): cancel it explicitly, then record it.
const cancelDial = callSetup.enqueueActions(({ context, enqueue }) => {
  if (context.dialNumber === null) return;
  enqueue({ type: 'dialCancel', params: { number: context.dialNumber } });
  enqueue({ type: 'dialEnd', params: { number: context.dialNumber, outcome: 'cancelled' } });
  enqueue(endDial);
});

// The room is gone, and the dial's participant with it: nothing to cancel, only record the outcome.
const recordDialLost = callSetup.enqueueActions(({ context, enqueue }) => {
  if (context.dialNumber === null) return;
  enqueue({ type: 'dialEnd', params: { number: context.dialNumber, outcome: 'cancelled' } });
  enqueue(endDial);
});

// One transition does the whole close, in order, so it can neither half-happen nor happen twice.
const finish = callSetup.enqueueActions(({ context, enqueue }) => {
  const reason = context.closeReason ?? 'error';
  enqueue({ type: 'sessionClose', params: { reason } });
  enqueue({ type: 'shutdown', params: { reason } });
  if (context.settings.closeAction === 'delete-room' && !context.roomGone) enqueue({ type: 'deleteRoom', params: {} });
});

export const callMachine = callSetup.createMachine({
  id: 'call',
  context: ({ input }) => ({
    settings: input,
    attempt: 0,
    tools: 0,
    agentListening: false,
    userSpeaking: false,
    callee: false,
    calleeSpeaking: false,
    dialsPlaced: 0,
    dialNumber: null,
    closeReason: null,
    callerGone: false,
    roomGone: false,
    agentGone: false,
    agentReconnecting: false,
  }),
  initial: 'live',
  states: {
    live: {
      type: 'parallel',
      // The caller left earlier (onCallerLeft 'continue') and now nobody is left: the dial did not bring anyone in,
      // or the callee left too.
      always: { guard: 'nobodyLeft', target: 'closing', actions: { type: 'closeFor', params: { reason: 'caller_left' } } },
      on: {
        // Tools and agent state are tracked here; the presence region derives pause/hold from them.
        TOOL_STARTED: { actions: 'toolStarted' },
        TOOL_FINISHED: { guard: 'toolRunning', actions: 'toolFinished' },
        AGENT_STATE: { actions: 'trackAgentState' },
        // Non-presence exits. Each goes through `closing`, which waits for an in-flight dial to settle.
        END_REQUESTED: { target: 'closing', actions: { type: 'closeFor', params: { reason: 'end_requested' } } },
        DRAIN: { target: 'closing', actions: { type: 'closeFor', params: { reason: 'drain' } } },
        MAX_DURATION_REACHED: { target: 'closing', actions: { type: 'closeFor', params: { reason: 'max_duration' } } },
        // The session closed by itself: nobody can talk to a callee or conference them, so an in-flight dial is ended
        // now rather than waited for (dial.settleTimeout).
        SESSION_CLOSED: {
          target: 'closing',
          actions: [
            'markAgentGone',
            { type: 'closeFor', params: { reason: 'session_closed' } },
            cancelDial,
          ],
        },
        FATAL_ERROR: {
          target: 'closing',
          actions: { type: 'closeFor', params: { reason: 'error' } },
        },
        CALLER_DISCONNECTED: [
          // dial.onCallerLeft 'cancel': the dial was for the caller, who is gone; end it explicitly.
          {
            guard: and(['dialInFlight', 'cancelOnCallerLeft']),
            target: 'closing',
            actions: [
              'markCallerGone',
              { type: 'closeFor', params: { reason: 'caller_left' } },
              cancelDial,
            ],
          },
          // 'continue': the call goes on with the callee (or the one being dialed, should they answer). Presence
          // follows whoever is left; the room is not deleted under someone who just answered.
          { guard: 'callGoesOnWithoutCaller', actions: ['markCallerGone', 'forgetCallerSpeech'] },
          {
            target: 'closing',
            actions: [
              'markCallerGone',
              { type: 'closeFor', params: { reason: 'caller_left' } },
            ],
          },
        ],
        CALLEE_LEFT: { actions: 'calleeLeft' },
        // The agent's connection is reconnecting: presence pauses (nobody hears a check-in), and resumes with a full
        // window of its own once it is back.
        AGENT_RECONNECTING: { actions: 'agentReconnecting' },
        AGENT_RECONNECTED: { actions: 'agentReconnected' },
        ROOM_DISCONNECTED: [
          // The room is gone: its participants, the dial's included. Nothing to wait for, nobody to say goodbye to.
          {
            guard: 'roomDeleted',
            target: 'closing',
            actions: ['markRoomGone', { type: 'closeFor', params: { reason: 'room_deleted' } }, recordDialLost],
          },
          // Only the agent's connection ended: the room, the caller and a ringing SIP leg are still there. End the
          // dial explicitly (nobody is left to conference it) and still run closeAction.
          {
            target: 'closing',
            actions: [
              'markAgentGone',
              { type: 'closeFor', params: { reason: 'disconnected' } },
              cancelDial,
            ],
          },
        ],
        // The framework is ending the job (server termination, drain timeout, crash): it will not wait for a dial to
        // settle or a goodbye to play, so end the dial now and go straight to the close.
        JOB_SHUTDOWN: {
          target: 'closing',
          actions: [
            'markAgentGone',
            { type: 'closeFor', params: { reason: 'job_shutdown' } },
            cancelDial,
          ],
        },
      },
      states: {
        presence: {
          initial: 'active',
          states: {
            active: {
              // A running tool or a dial in flight pauses presence. Derived from context, so no path can forget it.
              always: { guard: 'presencePaused', target: 'paused' },
              initial: 'present',
              states: {
                present: {
                  initial: 'trusting',
                  on: {
                    TRANSCRIPT: { target: '.trusting', actions: 'resetAttemptsIfConfigured' },
                    // The callee talking is activity too: a fresh own window (held while they speak).
                    CALLEE_SPEAKING: {
                      guard: 'calleeStartsSpeaking',
                      target: '.ownWindow', reenter: true,
                      actions: 'resetAttemptsIfConfigured',
                    },
                  },
                  states: {
                    // LiveKit's away timer is armed (both sides listening): its edge-triggered `away` is the signal.
                    // Not in a conference, or once the caller left: LiveKit hears only the caller, so the machine
                    // runs its own window, which everyone's speech holds and restarts.
                    trusting: {
                      always: { guard: ({ context }) => context.callee || context.callerGone, target: 'ownWindow' },
                      on: {
                        USER_STATE: [
                          { guard: 'isAway', target: '#call.live.presence.active.away' },
                          { guard: 'isActivity', actions: 'resetAttemptsIfConfigured' },
                        ],
                      },
                    },
                    // Presence resumed after a pause. LiveKit's `away` may have fired during the pause and will not
                    // fire again this spell, so the machine runs its own full window and ignores LiveKit's.
                    ownWindow: {
                      initial: 'counting',
                      on: {
                        USER_STATE: {
                          guard: 'isActivity',
                          target: 'trusting',
                          actions: 'resetAttemptsIfConfigured',
                        },
                      },
                      states: {
                        // Like LiveKit's timer, ours only runs while the agent listens and the user is not speaking
                        // (speech that began during the pause never produced an activity event after it).
                        counting: {
                          always: { guard: not('silenceCounts'), target: 'held' },
                          after: { awayWindow: '#call.live.presence.active.away' },
                        },
                        held: { always: { guard: 'silenceCounts', target: 'counting' } },
                      },
                    },
                  },
                },
                away: {
                  initial: 'next',
                  on: {
                    CALLEE_SPEAKING: { guard: 'calleeStartsSpeaking', target: 'present', actions: 'resetAttemptsIfConfigured' },
                    USER_STATE: {
                      guard: 'isActivity',
                      target: 'present.trusting',
                      actions: 'resetAttemptsIfConfigured',
                    },
                    TRANSCRIPT: { target: 'present.trusting', actions: 'resetAttemptsIfConfigured' },
                  },
                  states: {
                    // Another check-in, or the goodbye once they are used up (also when the count was not reset).
                    next: {
                      always: [
                        {
                          guard: 'promptsExhausted',
                          target: '#call.closing',
                          actions: { type: 'closeFor', params: { reason: 'user_unresponsive' } },
                        },
                        { target: 'prompting', actions: 'countAttempt' },
                      ],
                    },
                    prompting: {
                      entry: {
                        type: 'checkIn',
                        params: ({ context }) => {
                          const audience: Audience = context.callee ? 'room' : 'caller';
                          return {
                            attempt: context.attempt,
                            mode: context.settings.checkIn.mode,
                            instructions: audience === 'room' ? context.settings.checkIn.roomInstructions : context.settings.checkIn.instructions,
                            text: checkInText(context.settings, context.attempt, audience),
                            audience,
                          };
                        },
                      },
                      // The interval counts from the end of this prompt's playout; a playout that never reports
                      // is bounded by checkIn.maxSeconds.
                      on: { PLAYOUT_FINISHED: { guard: 'isCurrentCheckInPlayout', target: 'waiting' } },
                      after: { checkInMax: 'waiting' },
                    },
                    waiting: { after: { checkInInterval: 'next' } },
                  },
                },
              },
            },
            // Tools or a dial in flight. Nothing presence-related can happen here; on resume, a full own window.
            paused: {
              always: { guard: not('presencePaused'), target: 'active.present.ownWindow' },
              // The user talking during a tool or a dial is still an answer to earlier check-ins.
              on: {
                USER_STATE: { guard: 'isActivity', actions: 'resetAttemptsIfConfigured' },
                TRANSCRIPT: { actions: 'resetAttemptsIfConfigured' },
                CALLEE_SPEAKING: { guard: 'calleeStartsSpeaking', actions: 'resetAttemptsIfConfigured' },
              },
            },
          },
        },
        // The caller's connection. Lost without a hang-up (a network fault, a reconnect that comes back with a new
        // session) is not gone: they have presence.callerReconnectGrace to come back, and only then is it a hang-up.
        callerLink: {
          initial: 'connected',
          states: {
            connected: { on: { CALLER_CONNECTION_LOST: 'lost' } },
            lost: {
              after: { callerReconnectGrace: { target: 'gone', actions: raise({ type: 'CALLER_DISCONNECTED' }) } },
              on: { CALLER_RECONNECTED: 'connected' },
            },
            // Not back in time: a hang-up. The call may go on with a callee (onCallerLeft 'continue'), not with them.
            gone: {},
          },
        },
        // LiveKit's user state, tracked in a region of its own: in a parallel state XState takes the parent's
        // handler only when no region handles the event, and the presence region handles USER_STATE.
        user: {
          initial: 'tracking',
          states: {
            tracking: {
              on: { USER_STATE: { actions: 'trackUserState' }, CALLEE_SPEAKING: { actions: 'trackCalleeSpeech' } },
            },
          },
        },
        dial: {
          initial: 'idle',
          states: {
            idle: {
              on: {
                DIAL_REQUESTED: [
                  {
                    guard: 'numberRefused',
                    actions: {
                      type: 'dialRefused',
                      params: ({ context, event }) => refusalParams(context, event),
                    },
                  },
                  {
                    guard: 'dialLimitReached',
                    actions: { type: 'dialRefused', params: ({ event }) => ({ number: numberOf(event), reason: 'limit' as const }) },
                  },
                  {
                    target: 'dialing',
                    actions: [
                      'rememberDial',
                      'countDial',
                      { type: 'dialStart', params: ({ event }) => ({ number: numberOf(event) }) },
                      holdIfConfigured,
                    ],
                  },
                ],
              },
            },
            dialing: {
              // Watchdog: a dial that never reports would pause presence forever.
              after: { dialMax: { target: 'idle', actions: cancelDial } },
              on: {
                DIAL_REQUESTED: {
                  actions: {
                    type: 'dialRefused',
                    params: ({ event }) => ({ number: numberOf(event), reason: 'dial_in_flight' as const }),
                  },
                },
                DIAL_SETTLED: [
                  // Answered: the callee is in the room, a conference begins.
                  {
                    guard: and(['settlesOurDial', 'dialAnswered']),
                    target: 'idle',
                    actions: [{ type: 'dialEnd', params: ({ event }) => settledParams(event) }, endDial, 'calleeJoined'],
                  },
                  // Busy, no answer, failed, or voicemail (a machine answered and the dialer removed its leg): nobody
                  // joined. The caller is released and presence resumes; no callee.
                  {
                    guard: 'settlesOurDial',
                    target: 'idle',
                    actions: [{ type: 'dialEnd', params: ({ event }) => settledParams(event) }, endDial],
                  },
                ],
              },
            },
          },
        },
        callTimer: {
          initial: 'start',
          states: {
            start: {
              always: [
                { guard: not('hasMaxDuration'), target: 'off' },
                { guard: 'hasWarning', target: 'beforeWarning' },
                { target: 'beforeLimit' },
              ],
            },
            off: {},
            beforeWarning: {
              after: {
                warnAt: {
                  target: 'warned',
                  actions: {
                    type: 'warn',
                    params: ({ context }) => ({ text: context.settings.maxCallDuration?.message ?? '' }),
                  },
                },
              },
            },
            warned: {
              after: {
                warnBefore: { target: '#call.closing', actions: { type: 'closeFor', params: { reason: 'max_duration' } } },
              },
            },
            beforeLimit: {
              after: {
                maxDuration: { target: '#call.closing', actions: { type: 'closeFor', params: { reason: 'max_duration' } } },
              },
            },
          },
        },
      },
    },
    // Router: let an in-flight dial settle, then say goodbye if someone can hear it, then finish.
    closing: {
      always: [
        { guard: 'dialInFlight', target: 'settlingDial' },
        { guard: 'wantsGoodbye', target: 'goodbye' },
        { target: 'closed' },
      ],
    },
    // A close wanted during a dial waits for it to settle, at most dial.settleTimeout, then cancels it.
    settlingDial: {
      after: { settleTimeout: { target: 'closing', actions: cancelDial } },
      on: {
        DIAL_SETTLED: {
          guard: 'settlesOurDial',
          target: 'closing',
          actions: [{ type: 'dialEnd', params: ({ event }) => settledParams(event) }, endDial],
        },
        CALLER_DISCONNECTED: [
          { guard: 'cancelOnCallerLeft', target: 'closing', actions: ['markCallerGone', cancelDial] },
          { actions: 'markCallerGone' },
        ],
        ROOM_DISCONNECTED: [
          { guard: 'roomDeleted', target: 'closing', actions: ['markRoomGone', recordDialLost] },
          { target: 'closing', actions: ['markAgentGone', cancelDial] },
        ],
        JOB_SHUTDOWN: { target: 'closing', actions: ['markAgentGone', cancelDial] },
        SESSION_CLOSED: { target: 'closing', actions: ['markAgentGone', cancelDial] },
        DIAL_REQUESTED: { actions: { type: 'dialRefused', params: ({ event }) => closingRefusal(event) } },
      },
    },
    goodbye: {
      entry: {
        type: 'goodbye',
        params: ({ context }) => {
          const reason = context.closeReason ?? 'user_unresponsive';
          return { text: goodbyeText(context.settings, reason), reason };
        },
      },
      after: { goodbyeMax: 'closed' },
      on: {
        PLAYOUT_FINISHED: { guard: 'isGoodbyePlayout', target: 'closed' },
        CALLER_DISCONNECTED: { target: 'closed', actions: 'markCallerGone' },
        ROOM_DISCONNECTED: [
          { guard: 'roomDeleted', target: 'closed', actions: 'markRoomGone' },
          { target: 'closed', actions: 'markAgentGone' },
        ],
        JOB_SHUTDOWN: { target: 'closed', actions: 'markAgentGone' },
        DIAL_REQUESTED: { actions: { type: 'dialRefused', params: ({ event }) => closingRefusal(event) } },
      },
    },
    // Final: session close, the explicit shutdown, the room. No event is handled after this.
    closed: { type: 'final', entry: finish },
  },
});

function numberOf(event: CallEvent): string {
  return event.type === 'DIAL_REQUESTED' ? event.number : '';
}

function refusalParams(context: CallContext, event: CallEvent): { number: string; reason: DialRefusal } {
  const number = numberOf(event);
  return { number, reason: dialRefusal(number, context.settings.dial) ?? 'not_allowed' };
}

function closingRefusal(event: CallEvent): { number: string; reason: DialRefusal } {
  return { number: numberOf(event), reason: 'closing' };
}

function settledParams(event: CallEvent): { number: string; outcome: DialOutcome; sipStatus?: number } {
  if (event.type !== 'DIAL_SETTLED') return { number: '', outcome: 'failed' };
  return event.sipStatus === undefined
    ? { number: event.number, outcome: event.outcome }
    : { number: event.number, outcome: event.outcome, sipStatus: event.sipStatus };
}

export type CallMachine = typeof callMachine;

/** Reads the machine's input from a full config. */
export function callSettings(config: AgentConfig): CallSettings {
  const { presence, checkIn, goodbye, closeAction, dial, maxCallDuration } = config;
  return { presence, checkIn, goodbye, closeAction, dial, maxCallDuration };
}
