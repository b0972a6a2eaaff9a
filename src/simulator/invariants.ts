/**
 * The rules every call must obey, checked on a finished timeline. The simulator, the property tests and (in agent
 * mode) the real AgentSession run are all judged by this one function.
 */
import { dialRefusal } from '../../machines/dialPolicy.js';
import type { AgentConfig } from '../config/schema.js';
import { ACTION_TYPES, type TimelineEvent } from './timeline.js';

/** Seconds: timer rounding on the virtual clock. Agent mode passes more (a real clock jitters, magnified by the scale). */
export const TIMER_ROUNDING = 0.002;

/** What ends a call, from outside presence. The close they start must finish within a bounded time. */
const EXIT_TRIGGERS = new Set<TimelineEvent['type']>(['callerHangup', 'roomDeleted', 'endRequest', 'sigterm', 'error']);
/** Presence-caused or closing actions that may never happen while a dial is in flight. */
const FORBIDDEN_DURING_DIAL = new Set<TimelineEvent['type']>(['checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom']);

export function checkInvariants(timeline: readonly TimelineEvent[], config: AgentConfig, until: number, tolerance = TIMER_ROUNDING): string[] {
  const EPS = tolerance;
  const violations: string[] = [];
  const fail = (e: TimelineEvent, why: string) => violations.push(`t=${e.t.toFixed(3)} ${e.type}: ${why}`);

  let dial: { number: string; t: number } | null = null;
  let shutdownAt: TimelineEvent | null = null;
  let lastAction: TimelineEvent | null = null;
  let lastCheckIn = 0;
  let userState = 'listening';
  let roomDeleted = false;
  let firstTrigger: TimelineEvent | null = null;
  let closingSince: number | null = null;
  let callerHangupAt: number | null = null;
  const maxDuration = config.maxCallDuration?.seconds ?? null;

  for (const e of timeline) {
    if (EXIT_TRIGGERS.has(e.type)) {
      firstTrigger ??= e;
      closingSince ??= e.t;
    }
    if (e.type === 'callerHangup') callerHangupAt = e.t;
    if (maxDuration !== null && closingSince === null && e.t >= maxDuration - EPS) closingSince = maxDuration;
    if (e.type === 'presence' && e.state === 'closing' && closingSince === null) closingSince = e.t;
    if (e.type === 'userState') userState = e.state;
    if (e.type === 'roomDeleted') roomDeleted = true;

    if (!(ACTION_TYPES as readonly string[]).includes(e.type)) continue;

    // (c) Nothing happens after shutdown, except the room deletion that is part of the same close.
    if (shutdownAt) {
      if (!(e.type === 'deleteRoom' && e.t === shutdownAt.t && lastAction?.type === 'shutdown')) fail(e, 'after shutdown');
    }
    // (a) A dial in flight is never disturbed by presence, nor closed around.
    if (dial && FORBIDDEN_DURING_DIAL.has(e.type)) fail(e, `while the dial to ${dial.number} is in flight`);

    switch (e.type) {
      case 'dialStart':
        if (dial) fail(e, `second dial while ${dial.number} is in flight`);
        if (dialRefusal(e.number, config.dial) !== null) fail(e, `dialed a number the policy refuses (${e.number})`);
        dial = { number: e.number, t: e.t };
        break;
      case 'dialCancel': {
        // Only three things may cancel a dial: the caller leaving (onCallerLeft 'cancel'), the close deadline, the watchdog.
        const callerLeft = config.dial.onCallerLeft === 'cancel' && callerHangupAt !== null && Math.abs(callerHangupAt - e.t) < EPS;
        const closeDeadline = closingSince !== null && e.t - closingSince >= config.dial.settleTimeout - EPS;
        const watchdog = dial !== null && e.t - dial.t >= config.dial.maxSeconds - EPS;
        if (!callerLeft && !closeDeadline && !watchdog) fail(e, 'dial cancelled without a caller hang-up, close deadline or watchdog');
        break;
      }
      case 'dialEnd':
        if (!dial || dial.number !== e.number) fail(e, `no dial to ${e.number} in flight`);
        dial = null;
        break;
      case 'checkIn':
        if (e.attempt > config.checkIn.maxPrompts) fail(e, `attempt ${e.attempt} > checkIn.maxPrompts`);
        if (userState === 'speaking' && config.presence.activitySignal === 'vad') fail(e, 'check-in while the user is speaking');
        lastCheckIn = e.attempt;
        break;
      case 'sessionClose':
        if (e.reason === 'user_unresponsive' && lastCheckIn < config.checkIn.maxPrompts) {
          fail(e, `closed as unresponsive after ${lastCheckIn} of ${config.checkIn.maxPrompts} check-ins`);
        }
        break;
      case 'shutdown':
        // (b) At most one shutdown, always right after the session close, with the same reason.
        if (shutdownAt) fail(e, 'second shutdown');
        if (lastAction?.type !== 'sessionClose' || lastAction.reason !== e.reason) fail(e, 'not preceded by a session close with the same reason');
        shutdownAt = e;
        break;
      case 'deleteRoom':
        if (config.closeAction !== 'delete-room') fail(e, 'closeAction is leave');
        if (roomDeleted) fail(e, 'the room was already deleted');
        break;
    }
    lastAction = e;
  }

  // Every exit path ends in a shutdown, and within its bound: settle wait + goodbye.
  const bound = config.dial.settleTimeout + config.goodbye.maxSeconds + EPS;
  const start = firstTrigger?.t ?? (maxDuration !== null && maxDuration <= until ? maxDuration : null);
  if (start !== null) {
    if (shutdownAt && shutdownAt.t - start > bound) fail(shutdownAt, `close took ${(shutdownAt.t - start).toFixed(3)} s > ${bound.toFixed(3)} s`);
    if (!shutdownAt && start + bound <= until) {
      violations.push(`t=${start.toFixed(3)} ${firstTrigger?.type ?? 'maxDuration'}: no shutdown followed`);
    }
  }
  return violations;
}
