/**
 * The rules every call must obey, checked on a finished timeline. The simulator, the property tests and (in agent
 * mode) the real AgentSession run are all judged by this one function.
 *
 * Each violation reads `t=<time> <event> [<rule>]: <what happened>`, the rule being one of `RULES`.
 */
import { dialRefusal } from '../../machines/dialPolicy.js';
import type { AgentConfig } from '../config/schema.js';
import { ACTION_TYPES, isMachineCategory, type AmdCategory, type TimelineEvent } from './timeline.js';

/** Seconds: timer rounding on the virtual clock. Agent mode passes more (a real clock jitters, magnified by the scale). */
export const TIMER_ROUNDING = 0.002;

/** The rules, by the name a violation gives. */
export const RULES = {
  /** (a) A dial in flight is never disturbed by presence, nor closed around. */
  quietDuringDial: 'quiet-during-dial',
  /** (b) At most one shutdown, right after the session close, with the same reason. */
  oneShutdown: 'one-shutdown',
  /** (c) Nothing happens after shutdown, except the room deletion that is part of the same close. */
  nothingAfterShutdown: 'nothing-after-shutdown',
  /** One dial at a time, and only to numbers the policy allows; a dial ends only once it started. */
  dialPolicy: 'dial-policy',
  /** A dial is cancelled only by the caller leaving, the close deadline, the watchdog, or the agent being gone. */
  dialCancelCause: 'dial-cancel-cause',
  /**
   * (d) The agent gone (jobShutdown, disconnect): a dial in flight is cancelled explicitly (dialCancel, not merely
   * recorded as ended) before anything else, and the close follows with nothing waited for between.
   */
  agentGone: 'agent-gone-closes-at-once',
  /** (e) No goodbye once the caller, the room or the agent is gone: nobody would hear it. */
  noGoodbyeWhenGone: 'no-goodbye-when-gone',
  /**
   * Check-ins: at most checkIn.maxPrompts, never over the user's speech (vad), and each one whose playout finished
   * was heard: the agent spoke between the check-in and the end of its playout (a model that answers a check-in with
   * nothing would otherwise count as having asked).
   */
  checkIns: 'check-ins',
  /**
   * No presence-driven check-in or unresponsive goodbye while any human spoke within the away window: the caller
   * (a transcript; detected speech too with activitySignal 'vad') or, in a conference, the dialed participant.
   */
  humansHeard: 'humans-heard',
  /** No unresponsive close before the last check-in. */
  unresponsiveClose: 'unresponsive-close',
  /** closeAction: the room is deleted only with 'delete-room', and only if it still exists. */
  closeAction: 'close-action',
  /** Every exit path ends in a shutdown, within dial.settleTimeout + goodbye.maxSeconds of what started it. */
  boundedClose: 'bounded-close',
  /**
   * Answering-machine detection: at most one verdict per dial, while it is in flight; a dial ends as `voicemail` only
   * after a machine verdict and the removal of its leg (after the message, when one is left); a machine-answered leg
   * never ends `answered`, and never makes a conference (no check-in addresses the room because of it).
   */
  voicemail: 'voicemail-leg',
  /**
   * No silence after a dial: a dial that ends by itself (not cancelled) while the call goes on is followed by the
   * agent speaking (the model telling the caller how it went), unless the call starts closing first.
   */
  dialReported: 'dial-reported',
} as const;

/** Seconds the agent has to start telling the caller how a dial went (the model's reply latency, with room to spare). */
export const DIAL_REPORT_GRACE = 5;
export type Rule = (typeof RULES)[keyof typeof RULES];

/** What ends a call from outside presence (SIGTERM only with shutdown.onSigterm 'drain'). The close they start must finish within a bounded time. */
const EXIT_TRIGGERS = new Set<TimelineEvent['type']>(['callerHangup', 'roomDeleted', 'jobShutdown', 'disconnect', 'endRequest', 'error']);
/** Exit triggers after which nobody is left to hear a goodbye. */
const GONE_TRIGGERS = new Set<TimelineEvent['type']>(['callerHangup', 'roomDeleted', 'jobShutdown', 'disconnect']);
/** The agent itself is gone: the framework is ending the job, or its connection ended. */
const AGENT_GONE = new Set<TimelineEvent['type']>(['jobShutdown', 'disconnect']);
/** Presence-caused or closing actions that may never happen while a dial is in flight. */
const FORBIDDEN_DURING_DIAL = new Set<TimelineEvent['type']>(['checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom']);
/** What may come between an agent-gone trigger and the session close: the in-flight dial's end, the caller's release. */
const AGENT_GONE_ALLOWED = new Set<TimelineEvent['type']>(['dialCancel', 'dialEnd', 'releaseCaller', 'sessionClose']);

export function checkInvariants(timeline: readonly TimelineEvent[], config: AgentConfig, until: number, tolerance = TIMER_ROUNDING): string[] {
  const EPS = tolerance;
  const violations: string[] = [];
  const at = (t: number) => `t=${t.toFixed(3)}`;
  const fail = (e: TimelineEvent, rule: Rule, why: string) => violations.push(`${at(e.t)} ${e.type} [${rule}]: ${why}`);
  const exitTriggers = new Set(EXIT_TRIGGERS);
  if (config.shutdown.onSigterm === 'drain') exitTriggers.add('sigterm');

  let dial = null as { number: string; t: number } | null;
  // What answering-machine detection decided about the dial in flight, and what was done with a machine's leg.
  let screen = { category: null as AmdCategory | null, message: false, removed: false };
  let shutdownAt: TimelineEvent | null = null;
  let sessionClosed = false;
  let lastAction: TimelineEvent | null = null;
  let lastCheckIn = 0;
  let userState = 'listening';
  let roomDeleted = false;
  let firstTrigger = null as TimelineEvent | null;
  let closingSince: number | null = null;
  let callerHangupAt: number | null = null;
  let gone: TimelineEvent | null = null;
  // The first agent-gone trigger, until the session close: the dial it found in flight and whether it was cancelled.
  let agentGone: { trigger: TimelineEvent; dial: string | null } | null = null;
  const maxDuration = config.maxCallDuration?.seconds ?? null;
  // The conference: an answered dialed participant in the room, and whether the call went on without the caller.
  let callee = false;
  let callerGoneContinuing = false;
  // Human speech, for humans-heard: whether someone speaks now, and when the last speech ended.
  let callerSpeaking = false;
  let calleeSpeaking = false;
  let lastSpeech = -Infinity;
  let agentSpeaking = false;
  /** A dial that ended while the call goes on, until the agent speaks about it. */
  let untold: TimelineEvent | null = null;
  /** When the agent's current speech began. */
  let speakingSince = -Infinity;
  /** The check-in whose playout is pending, and whether the agent has spoken since it began. */
  let checkInPlayout: { e: TimelineEvent; spoke: boolean } | null = null;
  const window = config.presence.userAwayTimeout;
  const trigger = (e: TimelineEvent) => {
    firstTrigger ??= e;
    closingSince ??= e.t;
  };

  for (const e of timeline) {
    // With onCallerLeft 'continue', a caller who leaves while a dial is in flight or a callee is there does not end
    // the call: it goes on with the callee, who can still hear a goodbye. It ends once nobody is left.
    const goesOn = e.type === 'callerHangup' && config.dial.onCallerLeft === 'continue' && (callee || dial !== null);
    // The caller's speech ends with them: a speaking state they left in (they hung up mid-word) is not speech.
    if (goesOn) {
      callerGoneContinuing = true;
      if (callerSpeaking) lastSpeech = e.t;
      callerSpeaking = false;
    }
    if (exitTriggers.has(e.type) && !goesOn) trigger(e);
    if (GONE_TRIGGERS.has(e.type) && !goesOn) gone ??= e;
    if (e.type === 'calleeLeft') {
      callee = false;
      calleeSpeaking = false;
      if (callerGoneContinuing) trigger(e);
    }
    if (e.type === 'dialEnd' && e.outcome === 'answered') callee = true;
    if (e.type === 'dialEnd' && e.outcome !== 'answered' && callerGoneContinuing && !callee) trigger(e);
    if (e.type === 'transcript') lastSpeech = e.t;
    if (e.type === 'userState' && config.presence.activitySignal === 'vad' && !callerGoneContinuing) {
      if (callerSpeaking && e.state !== 'speaking') lastSpeech = e.t;
      callerSpeaking = e.state === 'speaking';
    }
    if (e.type === 'calleeSpeech' && callee) {
      if (calleeSpeaking && !e.speaking) lastSpeech = e.t;
      calleeSpeaking = e.speaking;
    }
    if (AGENT_GONE.has(e.type) && !agentGone && !sessionClosed) agentGone = { trigger: e, dial: dial?.number ?? null };
    if (e.type === 'callerHangup') callerHangupAt = e.t;
    if (maxDuration !== null && closingSince === null && e.t >= maxDuration - EPS) closingSince = maxDuration;
    if (e.type === 'presence' && e.state === 'closing' && closingSince === null) closingSince = e.t;
    if (e.type === 'userState') userState = e.state;
    if (e.type === 'roomDeleted') roomDeleted = true;
    if (closingSince !== null) untold = null;
    if (e.type === 'agentState') {
      if (e.state === 'speaking' && !agentSpeaking) speakingSince = e.t;
      agentSpeaking = e.state === 'speaking';
      if (agentSpeaking) untold = null;
      if (agentSpeaking && checkInPlayout) checkInPlayout.spoke = true;
    }
    if (e.type === 'playoutEnd' && e.prompt === 'checkIn') {
      // A playout ending after `until` is the run being stopped, not a check-in that played out.
      if (checkInPlayout && !e.interrupted && !checkInPlayout.spoke && e.t < until) fail(e, RULES.checkIns, `the check-in at ${at(checkInPlayout.e.t)} finished without the agent speaking`);
      checkInPlayout = null;
    }

    if (!(ACTION_TYPES as readonly string[]).includes(e.type)) continue;

    if (shutdownAt) {
      if (!(e.type === 'deleteRoom' && e.t === shutdownAt.t && lastAction?.type === 'shutdown')) fail(e, RULES.nothingAfterShutdown, 'an action after the shutdown');
    }
    if (dial && FORBIDDEN_DURING_DIAL.has(e.type)) fail(e, RULES.quietDuringDial, `while the dial to ${dial.number} is in flight`);

    // The agent gone: cancel the dial first, then close, nothing else between. (A goodbye is the rule below's.)
    let cancelledForAgentGone = false;
    if (agentGone) {
      const { trigger } = agentGone;
      const since = `the ${trigger.type} at ${at(trigger.t)}`;
      if (agentGone.dial !== null) {
        if (e.type === 'dialCancel' && e.number === agentGone.dial) cancelledForAgentGone = true;
        else if (e.type === 'dialEnd' && e.number === agentGone.dial) fail(e, RULES.agentGone, `the dial to ${e.number} in flight at ${since} was only recorded as ${e.outcome}, not cancelled`);
        else if (e.type !== 'goodbye') fail(e, RULES.agentGone, `the dial to ${agentGone.dial} in flight at ${since} must be cancelled before anything else`);
        agentGone.dial = null; // reported (or cancelled) once
      } else if (!AGENT_GONE_ALLOWED.has(e.type) && e.type !== 'goodbye') {
        fail(e, RULES.agentGone, `after ${since} the close must follow at once`);
      }
      if (e.type === 'sessionClose') agentGone = null;
    }

    switch (e.type) {
      case 'dialStart':
        if (dial) fail(e, RULES.dialPolicy, `second dial while ${dial.number} is in flight`);
        if (dialRefusal(e.number, config.dial) !== null) fail(e, RULES.dialPolicy, `dialed a number the policy refuses (${e.number})`);
        dial = { number: e.number, t: e.t };
        screen = { category: null, message: false, removed: false };
        break;
      case 'amd':
        if (!dial || dial.number !== e.number) fail(e, RULES.voicemail, `a verdict on ${e.number} with no dial to it in flight`);
        else if (screen.category !== null) fail(e, RULES.voicemail, `a second verdict on the dial to ${e.number}`);
        screen.category = e.category;
        break;
      case 'voicemailMessage': {
        const leaves = config.dial.onVoicemail === 'leave-message' && screen.category === 'machine-vm';
        if (!dial || dial.number !== e.number || !leaves || screen.removed) {
          fail(e, RULES.voicemail, `a message to ${e.number} without a voicemail verdict on its dial and onVoicemail 'leave-message'`);
        }
        screen.message = true;
        break;
      }
      case 'legRemoved':
        if (!dial || dial.number !== e.number || screen.category === null || !isMachineCategory(screen.category)) {
          fail(e, RULES.voicemail, `the leg of ${e.number} removed without a machine verdict on its dial`);
        } else if (config.dial.onVoicemail === 'leave-message' && screen.category === 'machine-vm' && !screen.message) {
          fail(e, RULES.voicemail, `the voicemail of ${e.number} hung up on before the message was left`);
        }
        screen.removed = true;
        break;
      case 'dialCancel': {
        // Only four things may cancel a dial: the caller leaving (onCallerLeft 'cancel'), the close deadline, the
        // watchdog, or the agent being gone (it cannot conference anyone in any more).
        const callerLeft = config.dial.onCallerLeft === 'cancel' && callerHangupAt !== null && Math.abs(callerHangupAt - e.t) < EPS;
        const closeDeadline = closingSince !== null && e.t - closingSince >= config.dial.settleTimeout - EPS;
        const watchdog = dial !== null && e.t - dial.t >= config.dial.maxSeconds - EPS;
        if (!callerLeft && !closeDeadline && !watchdog && !cancelledForAgentGone) {
          fail(e, RULES.dialCancelCause, 'dial cancelled without a caller hang-up, close deadline, watchdog, job shutdown or lost connection');
        }
        break;
      }
      case 'dialEnd':
        if (!dial || dial.number !== e.number) fail(e, RULES.dialPolicy, `no dial to ${e.number} in flight`);
        if (e.outcome === 'voicemail' && (screen.category === null || !isMachineCategory(screen.category) || !screen.removed)) {
          fail(e, RULES.voicemail, `ended as voicemail without a machine verdict and its leg removed`);
        }
        if (e.outcome === 'answered' && screen.category !== null && isMachineCategory(screen.category)) {
          fail(e, RULES.voicemail, `a leg AMD found to be a machine (${screen.category}) joined the call`);
        }
        // Speech that began at this very instant is the reply (the model simulator records it first).
        const replying = agentSpeaking && speakingSince >= e.t - EPS;
        if (e.outcome !== 'cancelled' && closingSince === null && !sessionClosed && !replying) untold = e;
        dial = null;
        break;
      case 'checkIn':
        checkInPlayout = { e, spoke: agentSpeaking };
        if (e.attempt > config.checkIn.maxPrompts) fail(e, RULES.checkIns, `attempt ${e.attempt} > checkIn.maxPrompts`);
        if (callerSpeaking || calleeSpeaking) fail(e, RULES.humansHeard, `a check-in while ${calleeSpeaking ? 'the callee' : 'the caller'} speaks`);
        else if (e.t - lastSpeech < window - EPS) fail(e, RULES.humansHeard, `a check-in ${(e.t - lastSpeech).toFixed(3)} s after human speech (away window ${window} s)`);
        if (userState === 'speaking' && config.presence.activitySignal === 'vad' && !callerGoneContinuing) fail(e, RULES.checkIns, 'check-in while the user is speaking');
        if (e.audience === 'room' && !callee) fail(e, RULES.voicemail, 'a check-in addressed to the room with nobody answered in it');
        lastCheckIn = e.attempt;
        break;
      case 'goodbye':
        if (gone) fail(e, RULES.noGoodbyeWhenGone, `after the ${gone.type} at ${at(gone.t)}: nobody is left to hear it`);
        if (e.reason === 'user_unresponsive' && e.t - lastSpeech < window - EPS) {
          fail(e, RULES.humansHeard, `an unresponsive goodbye ${(e.t - lastSpeech).toFixed(3)} s after human speech`);
        }
        break;
      case 'sessionClose':
        sessionClosed = true;
        if (e.reason === 'user_unresponsive' && lastCheckIn < config.checkIn.maxPrompts) {
          fail(e, RULES.unresponsiveClose, `closed as unresponsive after ${lastCheckIn} of ${config.checkIn.maxPrompts} check-ins`);
        }
        break;
      case 'shutdown':
        if (shutdownAt) fail(e, RULES.oneShutdown, 'second shutdown');
        if (lastAction?.type !== 'sessionClose' || lastAction.reason !== e.reason) fail(e, RULES.oneShutdown, 'not preceded by a session close with the same reason');
        shutdownAt = e;
        break;
      case 'deleteRoom':
        if (config.closeAction !== 'delete-room') fail(e, RULES.closeAction, 'closeAction is leave');
        if (roomDeleted) fail(e, RULES.closeAction, 'the room was already deleted');
        break;
    }
    lastAction = e;
  }
  if (agentGone?.dial != null) {
    const { trigger } = agentGone;
    fail(trigger, RULES.agentGone, `the dial to ${agentGone.dial} in flight was never cancelled`);
  }

  if (untold?.type === 'dialEnd' && untold.t + DIAL_REPORT_GRACE + EPS <= until) {
    fail(untold, RULES.dialReported, `the caller was never told how the dial to ${untold.number} went (${untold.outcome})`);
  }

  // Every exit path ends in a shutdown, and within its bound: settle wait + goodbye.
  const bound = config.dial.settleTimeout + config.goodbye.maxSeconds + EPS;
  const start = firstTrigger?.t ?? (maxDuration !== null && maxDuration <= until ? maxDuration : null);
  if (start !== null) {
    const what = firstTrigger ? `the ${firstTrigger.type} at ${at(start)}` : `maxCallDuration at ${at(start)}`;
    if (shutdownAt && shutdownAt.t - start > bound) fail(shutdownAt, RULES.boundedClose, `close took ${(shutdownAt.t - start).toFixed(3)} s > ${bound.toFixed(3)} s after ${what}`);
    if (!shutdownAt && start + bound <= until) {
      violations.push(`${at(start)} ${firstTrigger?.type ?? 'maxDuration'} [${RULES.boundedClose}]: no shutdown followed within ${bound.toFixed(3)} s`);
    }
  }
  return violations;
}
