/**
 * Answering-machine detection on an answered dial, with the framework's own `voice.AMD` (@livekit/agents 1.9,
 * `src/voice/amd.ts`): the one function the deployed agent and agent-mode simulation both run, between the SIP
 * answer and the dial's outcome.
 *
 * How AMD hears the leg. AMD has no audio path of its own: it classifies what the session's own recognition hears
 * (AgentActivity calls `onUserSpeechStarted` / `onUserSpeechEnded` / `onTranscript` / `onEndOfTurn` on
 * `session.amd`), and a dedicated AMD STT reads `session._subscribeAudioStream()`, the same input. So while it
 * decides, the session's input is linked to the dialed participant (`LegLine.listen`; in a room, RoomIO's
 * `setParticipant`), then back to the caller. `participantIdentity` restricts AMD's own gate (track subscribed, SIP
 * call active) to that participant.
 *
 * What AMD decides, and what follows:
 * - `human`, or `uncertain` (nothing classifiable: no speech for `noSpeechTimeout`, or the detection budget ran out):
 *   a person. The dial ends `answered`; the greeting's user turn, held while AMD ran (it pauses reply authorization),
 *   gets its reply.
 * - `machine-vm` / `machine-ivr` / `machine-unavailable`: a machine. AMD interrupts the held reply
 *   (`interruptOnMachine`). With `dial.onVoicemail: 'leave-message'` a voicemail (`machine-vm`, the only kind that
 *   takes messages) hears `dial.voicemailMessage` first; then the leg is removed (RemoveParticipant) and the dial
 *   ends `voicemail`: nobody joins the call.
 *
 * With `waitUntilFinished` (AMD's default) a machine verdict is released only once the greeting has finished, so the
 * message starts after it. Each step is recorded on the timeline (`amd`, `voicemailMessage`, `legRemoved`) before
 * the dial's own `dialEnd`.
 */
import { voice, type llm, type stt } from '@livekit/agents';
import type { DialOutcome } from '../../machines/events.js';
import type { AgentConfig } from '../config/schema.js';
import { isMachineCategory, type AmdCategory, type TimelineEntry } from '../timeline/timeline.js';

/**
 * AMD's silence thresholds, milliseconds: the framework's defaults in 1.9.0 (`amd.ts`, lines 132-134), passed
 * explicitly so that a scaled clock can scale them and the simulator's model of AMD reads the same numbers.
 */
export const AMD_THRESHOLDS_MS = {
  /** Speech up to this long, with no transcript yet, is a short (human) greeting. */
  humanSpeech: 2_500,
  /** Silence after a short greeting before it is settled as human without the LLM. */
  humanSilence: 500,
  /** Silence after speech (or once a transcript came) before a verdict may be released. */
  machineSilence: 1_500,
} as const;

/** Where the session's audio input comes from while AMD listens. */
export interface LegLine {
  /**
   * Whether the session can be linked to a leg at all. In a room that takes the session's RoomIO: without one, AMD
   * would classify whoever the session hears (the caller), so it is skipped instead. Absent: always.
   */
  canHear?(): boolean;
  /** The session now hears the dialed participant `identity` (the leg of `number`), not the caller. */
  listen(leg: { number: string; identity: string }): void;
  /** The session hears the caller again, if they are still there; otherwise whoever is (the answered leg). */
  restore(): void;
}

export interface ScreenOptions {
  session: voice.AgentSession;
  dial: AgentConfig['dial'];
  line: LegLine;
  /** AMD's classifier and STT. Left out: `dial.amd.models` decides (the simulator passes the framework's fakes). */
  models?: { llm: llm.LLM | null; stt: stt.STT | null };
  /** Real seconds per second of AMD's timings: 1 in production, agent-mode simulation's time scale there. */
  timeScale?: number;
  /** A timeline entry, as it happens. */
  record(entry: TimelineEntry): void;
  /** Removes the leg from the room (RemoveParticipant). */
  hangup(): Promise<void>;
  /**
   * Aborted when the dial ends without us (the machine cancelled it: caller left, close deadline, watchdog, the agent
   * gone): AMD and the message stop at once and nothing more is recorded or done.
   */
  signal: AbortSignal;
  log?: (fields: Record<string, unknown>, msg: string) => void;
}

/** AMD's options for this config: its timings (scaled), its models, and the one participant it listens to. */
export function amdOptions(dial: AgentConfig['dial'], identity: string, o: Pick<ScreenOptions, 'models' | 'timeScale'> = {}): voice.AMDOptions {
  const scale = o.timeScale ?? 1;
  const models = o.models ?? (dial.amd.models === 'session' ? { llm: null, stt: null } : {});
  return {
    ...models,
    // Models handed in (the simulator's fakes) are not among those AMD was evaluated with; that is known.
    ...(o.models ? { suppressCompatibilityWarning: true } : {}),
    participantIdentity: identity,
    // A machine's verdict interrupts the reply held for its greeting, so nothing but our message is said to it.
    interruptOnMachine: true,
    noSpeechTimeoutMs: dial.amd.noSpeechTimeout * 1000 * scale,
    detectionTimeoutMs: dial.amd.detectionTimeout * 1000 * scale,
    humanSpeechThresholdMs: AMD_THRESHOLDS_MS.humanSpeech * scale,
    humanSilenceThresholdMs: AMD_THRESHOLDS_MS.humanSilence * scale,
    machineSilenceThresholdMs: AMD_THRESHOLDS_MS.machineSilence * scale,
  };
}

/**
 * Runs AMD on the answered leg `identity` of the dial to `number` and acts on its verdict. Resolves with the dial's
 * outcome (`answered` or `voicemail`), or null when it was aborted (or the session is closing) and the dial is
 * being ended by the machine instead. Never throws: AMD failing to start or run counts as a person, as `uncertain`
 * does, and is logged.
 */
export async function screenAnsweredLeg(number: string, identity: string, o: ScreenOptions): Promise<Extract<DialOutcome, 'answered' | 'voicemail'> | null> {
  const { session, dial, line, signal } = o;
  if (signal.aborted) return null;
  let amd: voice.AMD;
  try {
    amd = new voice.AMD(session, amdOptions(dial, identity, o));
  } catch (e) {
    o.log?.({ number, error: (e as Error).message }, 'answering-machine detection unavailable; the dial counts as answered');
    return 'answered';
  }
  const stop = () => void amd.aclose();
  signal.addEventListener('abort', stop, { once: true });
  let verdict: voice.AMDPredictionEvent | null = null;
  try {
    // Inside the try: a line that cannot be linked to the leg still closes AMD and restores the line.
    line.listen({ number, identity });
    verdict = await amd.execute();
  } catch (e) {
    if (!signal.aborted) o.log?.({ number, error: (e as Error).message }, 'answering-machine detection failed; the dial counts as answered');
  } finally {
    signal.removeEventListener('abort', stop);
    line.restore();
    // Unregisters it from the session (`session.amd`); models it was given are not closed.
    void amd.aclose().catch(() => {});
  }
  // The framework is closing the session (it ends the job): the machine cancels the dial, nothing to decide.
  if (signal.aborted || verdict?.reason === 'session_closed') return null;
  if (!verdict) return 'answered';
  const category = verdict.category as AmdCategory;
  o.record({ type: 'amd', number, category });
  if (!isMachineCategory(category)) return 'answered';

  if (dial.onVoicemail === 'leave-message' && category === 'machine-vm') {
    o.record({ type: 'voicemailMessage', number });
    try {
      const handle = session.say(dial.voicemailMessage, { allowInterruptions: false });
      const cut = () => void handle.interrupt(true);
      signal.addEventListener('abort', cut, { once: true });
      try {
        await handle.waitForPlayout();
      } finally {
        signal.removeEventListener('abort', cut);
      }
    } catch (e) {
      o.log?.({ number, error: (e as Error).message }, 'voicemail message failed');
    }
    if (signal.aborted) return null;
  }
  o.record({ type: 'legRemoved', number });
  await o.hangup();
  return signal.aborted ? null : 'voicemail';
}

/**
 * The deployed agent's line: the session's RoomIO linked to the dialed participant while AMD listens, then back to
 * the caller (`RoomIO.setParticipant`, which moves the audio input and the user transcription with it). RoomIO is
 * the session's internal `_roomIO` in 1.9, the same object AMD itself reads for its participant gate. A caller who
 * left meanwhile (`dial.onCallerLeave: 'continue'`) is not linked again: the session keeps hearing the leg, the one
 * person still there.
 */
export function roomLegLine(session: voice.AgentSession, callerIdentity: string, callerPresent: () => boolean): LegLine {
  const roomIO = () => (session as unknown as { _roomIO?: { setParticipant(identity: string | null): void } })._roomIO;
  return {
    canHear: () => roomIO() !== undefined,
    listen: ({ identity }) => roomIO()?.setParticipant(identity),
    restore: () => {
      if (callerPresent()) roomIO()?.setParticipant(callerIdentity);
    },
  };
}
