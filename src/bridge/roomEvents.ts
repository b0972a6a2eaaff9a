/**
 * What LiveKit's close signals mean for the call machine. Read against the framework's job process
 * (`ipc/job_proc_lazy_main.ts`, `job_lifecycle.ts`): on every close it first runs `finalizeSession`, which calls
 * `session.close()` (reason `user_initiated`), then `room.disconnect()`, which emits `RoomEvent.Disconnected` with
 * `DisconnectReason.CLIENT_INITIATED`, and only then the shutdown callbacks. A network loss, the agent being
 * removed, or a server shutdown emit `Disconnected` with their own reason; only `ROOM_DELETED` means the room is gone.
 */
import { voice } from '@livekit/agents';
import { DisconnectReason } from '@livekit/rtc-node';
import type { CallEvent } from '../../machines/events.js';
import type { TimelineEntry } from '../timeline/timeline.js';

/** `RoomEvent.Disconnected`'s reason as a machine event (ignored by the machine once the call has ended). */
export function disconnectEvent(reason: DisconnectReason | undefined): CallEvent {
  switch (reason) {
    case DisconnectReason.ROOM_DELETED:
      return { type: 'ROOM_DISCONNECTED', deleted: true };
    // The framework disconnects the room itself on its way out: the job is ending (we did not ask, or the call
    // would already be over).
    case DisconnectReason.CLIENT_INITIATED:
      return { type: 'JOB_SHUTDOWN' };
    default:
      return { type: 'ROOM_DISCONNECTED', deleted: false };
  }
}

/**
 * Why a caller left, as LiveKit says it (`RemoteParticipant.disconnectReason`), decides what it means. A hang-up:
 * they left (CLIENT_INITIATED, a SIP BYE included), refused or never took the call (USER_REJECTED,
 * USER_UNAVAILABLE), or were removed (PARTICIPANT_REMOVED). Any other reason (a lost signal connection, a timeout, a
 * duplicate identity when they come back with a new session, a server shutdown or migration) is a connection that may
 * come back: presence.callerReconnectGrace decides. ROOM_DELETED is the room going (disconnectEffect), not this.
 */
const HANG_UPS: readonly DisconnectReason[] = [
  DisconnectReason.CLIENT_INITIATED,
  DisconnectReason.USER_REJECTED,
  DisconnectReason.USER_UNAVAILABLE,
  DisconnectReason.PARTICIPANT_REMOVED,
];

/** The caller's departure as the machine event and the timeline entry the record stores for it. */
export function callerLeftEffect(reason: DisconnectReason | undefined): { entry: TimelineEntry; event: CallEvent } {
  if (reason !== undefined && HANG_UPS.includes(reason)) return { entry: { type: 'callerHangup' }, event: { type: 'CALLER_DISCONNECTED' } };
  return { entry: { type: 'callerConnectionLost', reason: disconnectReasonName(reason) }, event: { type: 'CALLER_CONNECTION_LOST' } };
}

/**
 * A session close we did not ask for. `user_initiated` / `job_shutdown` mean someone else called `session.close()`:
 * in a job that is the framework's `finalizeSession`, i.e. the job is ending (server termination, drain timeout,
 * entry crash). Anything else (an unrecoverable error, the linked participant leaving) is the session ending itself.
 */
export function sessionCloseEvent(reason: voice.ShutdownReason): CallEvent {
  return reason === voice.CloseReason.USER_INITIATED || reason === voice.CloseReason.JOB_SHUTDOWN ? { type: 'JOB_SHUTDOWN' } : { type: 'SESSION_CLOSED' };
}

/**
 * The room's active speakers (`RoomEvent.ActiveSpeakersChanged`) as the callee starting or stopping to speak, or
 * null when that did not change. `isCallee` tells a dialed participant from everyone else.
 */
export function calleeSpeechEvent(wasSpeaking: boolean, speakers: readonly { identity: string }[], isCallee: (identity: string) => boolean): CallEvent | null {
  const speaking = speakers.some((p) => isCallee(p.identity));
  return speaking === wasSpeaking ? null : { type: 'CALLEE_SPEAKING', speaking };
}

/** A room disconnect as the machine event and the timeline entry the record stores for it (agent and simulator alike). */
export function disconnectEffect(reason: DisconnectReason | undefined): { entry: TimelineEntry; event: CallEvent } {
  const event = disconnectEvent(reason);
  const entry: TimelineEntry =
    event.type === 'JOB_SHUTDOWN'
      ? { type: 'jobShutdown' }
      : event.type === 'ROOM_DISCONNECTED' && event.deleted
        ? { type: 'roomDeleted' }
        : { type: 'disconnect', reason: disconnectReasonName(reason) };
  return { entry, event };
}

/** `DisconnectReason` by name, for logs, scenarios and the record (`ROOM_DELETED`, `CLIENT_INITIATED`, ...). */
export function disconnectReasonName(reason: DisconnectReason | undefined): string {
  return reason === undefined ? 'UNKNOWN_REASON' : (DisconnectReason[reason] ?? String(reason));
}
