/**
 * The call timeline: what both simulators print, what expectations and invariants are checked against, and what
 * the session record and the HTML timeline are drawn from. `t` is seconds from the start, ms precision.
 */
import type {
  AgentState,
  Audience,
  CloseReason,
  Command,
  DialOutcome,
  DialRefusal,
  EndSource,
  PromptKind,
  UserState,
} from '../../machines/events.js';

export type PresenceLabel = 'present' | 'away' | 'paused' | 'closing' | 'closed';

/** What answering-machine detection decided about an answered leg (the framework's `voice.AMDCategory` values). */
export const AMD_CATEGORIES = ['human', 'machine-vm', 'machine-ivr', 'machine-unavailable', 'uncertain'] as const;
export type AmdCategory = (typeof AMD_CATEGORIES)[number];
/** A machine answered: the dial ends as `voicemail`. `uncertain` counts as a person. */
export const isMachineCategory = (c: AmdCategory): boolean => c.startsWith('machine-');

export type TimelineEntry =
  | { type: 'userState'; state: UserState }
  | { type: 'agentState'; state: AgentState }
  | { type: 'presence'; state: PresenceLabel }
  | { type: 'transcript'; text: string }
  | { type: 'noise'; seconds: number }
  | { type: 'toolStart'; name: string }
  | { type: 'toolEnd'; name: string }
  | { type: 'dialRequest'; number: string }
  | { type: 'checkIn'; attempt: number; audience?: Audience }
  | { type: 'goodbye'; reason?: CloseReason; text?: string }
  | { type: 'warning' }
  | { type: 'playoutEnd'; prompt: PromptKind; interrupted?: boolean }
  | { type: 'dialStart'; number: string }
  | { type: 'dialEnd'; number: string; outcome: DialOutcome; sipStatus?: number }
  /** Answering-machine detection decided what answered the dial to `number` (before its dialEnd). */
  | { type: 'amd'; number: string; category: AmdCategory }
  /** `dial.onVoicemail: 'leave-message'`: the agent says `dial.voicemailMessage` to the voicemail that answered. */
  | { type: 'voicemailMessage'; number: string }
  /** The leg a machine answered is removed from the room (RemoveParticipant), before the dial ends as voicemail. */
  | { type: 'legRemoved'; number: string }
  | { type: 'dialCancel'; number: string }
  | { type: 'dialRefused'; number: string; reason: DialRefusal }
  | { type: 'holdCaller' }
  | { type: 'releaseCaller' }
  | { type: 'callerHangup' }
  /** The caller's connection dropped without a hang-up (`reason`: DisconnectReason by name); they may come back. */
  | { type: 'callerConnectionLost'; reason: string }
  /** The caller is in the room again after a lost connection. */
  | { type: 'callerReconnected' }
  /** The agent's own connection is reconnecting / is back. */
  | { type: 'agentReconnecting' }
  | { type: 'agentReconnected' }
  /** The answered dialed participant started or stopped speaking (the room's active speakers). */
  | { type: 'calleeSpeech'; speaking: boolean }
  | { type: 'calleeLeft' }
  /** A dispatch-metadata key refused (policy) or narrowed. */
  | { type: 'overrideRejected'; key: string }
  | { type: 'roomDeleted' }
  /** The framework or the server is ending the job (job termination, drain timeout, entry crash). */
  | { type: 'jobShutdown' }
  /** The agent's room connection ended without the room being deleted; `reason` is rtc-node's DisconnectReason name. */
  | { type: 'disconnect'; reason: string }
  | { type: 'endRequest'; source: EndSource }
  | { type: 'sigterm' }
  | { type: 'error'; message: string }
  | { type: 'sessionClose'; reason: CloseReason }
  | { type: 'shutdown'; reason: CloseReason }
  | { type: 'deleteRoom' };

export type TimelineEvent = TimelineEntry & { t: number };

export interface Summary {
  checkIns: number;
  dials: number;
  closeReason: CloseReason | null;
  shutdownReason: CloseReason | null;
  violations: string[];
}

/** The machine's outward actions, and what the dialer does inside a dial: what model and agent mode must agree on. */
export const ACTION_TYPES = [
  'checkIn',
  'goodbye',
  'warning',
  'dialStart',
  'amd',
  'voicemailMessage',
  'legRemoved',
  'dialEnd',
  'dialCancel',
  'dialRefused',
  'holdCaller',
  'releaseCaller',
  'sessionClose',
  'shutdown',
  'deleteRoom',
] as const satisfies readonly TimelineEntry['type'][];

/** How a machine command appears on the timeline (long texts are left out). */
export function commandEntry(c: Command): TimelineEntry {
  switch (c.type) {
    case 'checkIn':
      return c.audience === 'room' ? { type: 'checkIn', attempt: c.attempt, audience: c.audience } : { type: 'checkIn', attempt: c.attempt };
    case 'goodbye':
      return { type: 'goodbye', reason: c.reason, text: c.text };
    case 'warn':
      return { type: 'warning' };
    case 'dialEnd':
      return c.sipStatus === undefined
        ? { type: 'dialEnd', number: c.number, outcome: c.outcome }
        : { type: 'dialEnd', number: c.number, outcome: c.outcome, sipStatus: c.sipStatus };
    case 'deleteRoom':
    case 'holdCaller':
    case 'releaseCaller':
      return { type: c.type };
    default:
      return c;
  }
}

export function summarize(timeline: readonly TimelineEvent[], violations: string[]): Summary {
  const first = <T extends TimelineEvent['type']>(type: T) =>
    timeline.find((e): e is Extract<TimelineEvent, { type: T }> => e.type === type);
  return {
    checkIns: timeline.filter((e) => e.type === 'checkIn').length,
    dials: timeline.filter((e) => e.type === 'dialStart').length,
    closeReason: first('sessionClose')?.reason ?? null,
    shutdownReason: first('shutdown')?.reason ?? null,
    violations,
  };
}

/** Seconds to the millisecond, as every printed and drawn timeline shows them. */
export const roundMs = (t: number) => Math.round(t * 1000) / 1000;

/** One JSON object per line (`--json`). */
export function toJsonLines(timeline: readonly TimelineEvent[], summary: Summary): string {
  return [...timeline.map((e) => JSON.stringify({ ...e, t: roundMs(e.t) })), JSON.stringify({ t: roundMs(timeline.at(-1)?.t ?? 0), type: 'summary', ...summary })].join('\n');
}

/** One readable timeline line. */
export function formatEvent(e: TimelineEvent): string {
  const { t, type, ...rest } = e;
  const detail = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${roundMs(t).toFixed(3).padStart(9)}s  ${type.padEnd(12)} ${detail}`.trimEnd();
}

/** The readable timeline. */
export function toText(name: string, timeline: readonly TimelineEvent[], summary: Summary): string {
  const lines = [`scenario: ${name}`];
  for (const e of timeline) lines.push(formatEvent(e));
  lines.push(
    `summary: ${summary.checkIns} check-in(s), ${summary.dials} dial(s), close=${summary.closeReason ?? '-'}, ` +
      `shutdown=${summary.shutdownReason ?? '-'}, violations=${summary.violations.length}`,
  );
  for (const v of summary.violations) lines.push(`  VIOLATION ${v}`);
  return lines.join('\n');
}
