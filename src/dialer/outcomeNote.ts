/**
 * What the model is told when a dial settles, so that it answers the caller (M5: no silence after a dial). The tool
 * only said "Dialing … now"; everything after that happens outside the conversation, so each outcome becomes a note
 * in the agent's chat context and the instructions of one reply. Every note starts with DIAL_NOTE_MARKER, so the
 * scripted model (and a reader of the chat) can tell it from anything else.
 */
import type { DialOutcome } from '../../machines/events.js';
import type { AmdCategory } from '../timeline/timeline.js';

export const DIAL_NOTE_MARKER = '[dial result]';

export interface SettledDial {
  number: string;
  outcome: Exclude<DialOutcome, 'cancelled'>;
  sipStatus?: number;
  /** What answering-machine detection said, when it ran to a verdict. */
  amd?: AmdCategory;
  /** The leg answered and left again before anyone spoke to it. */
  leftAtOnce?: boolean;
  /** A message was left on the voicemail. */
  messageLeft?: boolean;
}

const MACHINES: Partial<Record<AmdCategory, string>> = {
  'machine-ivr': 'an automated phone menu',
  'machine-unavailable': 'a voicemail that cannot take messages',
  'machine-vm': 'voicemail',
};

/** The first sentence says what happened; the rest says what to do about it. */
export function dialOutcomeNote(d: SettledDial): string {
  const code = d.sipStatus === undefined ? '' : ` (SIP ${d.sipStatus})`;
  const body = (() => {
    switch (d.outcome) {
      case 'answered':
        if (d.leftAtOnce) return `The call to ${d.number} was answered, but they hung up at once. Nobody was added to the call. Tell the user, and offer to try again.`;
        return `${d.number} answered${d.amd === 'human' ? ' (a person)' : ''} and is now in the call with the user. Tell the user they are connected, and greet ${d.number} briefly.`;
      case 'busy':
        return `The call to ${d.number} was busy or declined${code}. Nobody was added to the call. Tell the user, and offer to try again later.`;
      case 'no-answer':
        return `The call to ${d.number} was not answered${code}. Nobody was added to the call. Tell the user, and offer to try again later.`;
      case 'failed':
        return `The call to ${d.number} could not be placed${code}. Nobody was added to the call. Tell the user it did not go through.`;
      case 'voicemail':
        return (
          `The call to ${d.number} reached ${MACHINES[d.amd ?? 'machine-vm'] ?? 'voicemail'}, not a person, and was hung up` +
          `${d.messageLeft ? ' after leaving a short message' : ''}. Nobody was added to the call. Tell the user, and offer to try again later.`
        );
    }
  })();
  return `${DIAL_NOTE_MARKER} ${body}`;
}

/** A dial that settled by itself, as the agent saw it (the bridge in a call, the model simulator in model mode). */
export interface DialReport {
  number: string;
  outcome: DialOutcome;
  sipStatus?: number;
  /** What answering-machine detection said, when it came to a verdict. */
  amd?: AmdCategory | null;
  /** The leg answered and left before detection could hear it. */
  leftAtOnce?: boolean;
  /** The answered leg's greeting turn is already being replied to (the reply AMD held)... */
  greeted?: boolean;
  /** ...unless the leg left again. */
  calleeLeft?: boolean;
  /** The call has started to close: nobody is told anything more. */
  closing: boolean;
}

/**
 * What the model is told about a settled dial, or null when nothing is to be said: a dial the machine cancelled, a
 * call already closing, an answer whose greeting is already being replied to. With `leave-message`, a voicemail that
 * takes messages got one.
 */
export function dialReportNote(d: DialReport, onVoicemail: 'hangup' | 'leave-message'): string | null {
  if (d.outcome === 'cancelled' || d.closing) return null;
  if (d.outcome === 'answered' && d.greeted && !d.calleeLeft) return null;
  return dialOutcomeNote({
    number: d.number,
    outcome: d.outcome,
    ...(d.sipStatus !== undefined ? { sipStatus: d.sipStatus } : {}),
    ...(d.amd ? { amd: d.amd } : {}),
    ...(d.leftAtOnce ? { leftAtOnce: true } : {}),
    ...(d.outcome === 'voicemail' && d.amd === 'machine-vm' && onVoicemail === 'leave-message' ? { messageLeft: true } : {}),
  });
}

/** The note's first sentence (what happened), from the whole of a system text that holds one; null when none does. */
export function dialNoteHeadline(text: string): string | null {
  const at = text.lastIndexOf(DIAL_NOTE_MARKER);
  if (at < 0) return null;
  const rest = text.slice(at + DIAL_NOTE_MARKER.length).trim();
  // A sentence ends at ". " (numbers such as +15551234567 hold no ". ").
  const end = rest.indexOf('. ');
  return end < 0 ? rest : rest.slice(0, end + 1);
}
