/**
 * How a scripted SIP number behaves: shared by the model-mode dialer and the LiveKit API emulator, so both modes
 * play the same outcome at the same time. SIP statuses follow RFC 3261: 486 Busy Here, 480 Temporarily Unavailable
 * (no answer), 404 Not Found, 503 Service Unavailable.
 */
import type { DialOutcome } from '../../machines/events.js';
import type { SipEntry } from './entry.js';

export interface SipPlan {
  /** Seconds from the dial until it settles. */
  seconds: number;
  outcome: DialOutcome;
  sipStatus?: number;
  /** The API itself cannot be reached (connection refused): no SIP status at all. */
  unreachable?: boolean;
}

/** Unlisted numbers answer after this many seconds. */
export const DEFAULT_RING_SECONDS = 5;

export function sipPlan(entry: SipEntry | undefined, ringingTimeout: number): SipPlan {
  const ring = entry?.ringSeconds;
  switch (entry?.outcome) {
    case undefined:
    case 'answered':
    // A machine answers like a person: SIP says 200 either way (answering-machine detection tells them apart).
    case 'voicemail': {
      const seconds = ring ?? DEFAULT_RING_SECONDS;
      // Ringing longer than dial.ringingTimeout: the SIP call gives up unanswered.
      return seconds > ringingTimeout ? { seconds: ringingTimeout, outcome: 'no-answer', sipStatus: 480 } : { seconds, outcome: 'answered' };
    }
    case 'busy':
      return { seconds: Math.min(ring ?? 3, ringingTimeout), outcome: 'busy', sipStatus: entry.sipStatus ?? 486 };
    case 'no-answer':
      return { seconds: Math.min(ring ?? ringingTimeout, ringingTimeout), outcome: 'no-answer', sipStatus: entry.sipStatus ?? 480 };
    case 'failed':
      return { seconds: Math.min(ring ?? 1, ringingTimeout), outcome: 'failed', sipStatus: entry.sipStatus ?? 503 };
    case 'unreachable':
      return { seconds: ring ?? 0.1, outcome: 'failed', unreachable: true };
  }
}

/** What an answered leg says first, unless its entry gives a `greeting`: a person's hello, or a voicemail greeting. */
export const DEFAULT_GREETINGS = {
  answered: 'Hello?',
  voicemail: "Hi, you've reached my voicemail. I can't take your call right now. Please leave a message after the tone.",
} as const;

/** The greeting the leg of `entry` says once it answered (an unlisted number is a person who says hello). */
export function legGreeting(entry: SipEntry | undefined): string {
  return entry?.greeting ?? (entry?.outcome === 'voicemail' ? DEFAULT_GREETINGS.voicemail : DEFAULT_GREETINGS.answered);
}

/** Maps a SIP status (from a SipCallError) to the dial outcome the machine understands. */
export function outcomeForSipStatus(status: number | undefined): DialOutcome {
  if (status === undefined) return 'failed';
  if (status >= 200 && status < 300) return 'answered';
  if (status === 486 || status === 600) return 'busy';
  if (status === 487) return 'cancelled'; // Request Terminated: we removed the ringing participant
  if (status === 480 || status === 408) return 'no-answer';
  return 'failed';
}
