/**
 * The vocabulary shared by the machine, the simulator, the AgentSession bridge and the session record.
 * Input events mirror what LiveKit gives; commands are what the machine asks the outside world to do.
 */

/** As the AgentSession's `user_state_changed`. */
export type UserState = 'speaking' | 'listening' | 'away';
/** As the AgentSession's `agent_state_changed`. */
export type AgentState = 'initializing' | 'idle' | 'listening' | 'thinking' | 'speaking';

export const USER_STATES: readonly UserState[] = ['speaking', 'listening', 'away'];
export const AGENT_STATES: readonly AgentState[] = ['initializing', 'idle', 'listening', 'thinking', 'speaking'];

/**
 * How a dial ended. `answered`: a person (answering-machine detection heard a human, or could not tell) is in the
 * room. `voicemail`: a machine answered (voicemail, IVR, a full mailbox); its leg was removed, so nobody joined.
 * `cancelled`: we ended it (caller left, room deleted, close deadline, watchdog).
 */
export type DialOutcome = 'answered' | 'busy' | 'no-answer' | 'failed' | 'voicemail' | 'cancelled';
export const DIAL_OUTCOMES: readonly DialOutcome[] = ['answered', 'busy', 'no-answer', 'failed', 'voicemail', 'cancelled'];

/** Why a dial request was refused; it is never dialed. */
export type DialRefusal = 'not_e164' | 'not_allowed' | 'dial_in_flight' | 'closing' | 'limit';

/** Why the call ends. Exactly one reason per call, the first one that happened. */
export type CloseReason =
  | 'user_unresponsive'
  | 'end_requested'
  | 'caller_left'
  | 'room_deleted'
  | 'drain'
  | 'max_duration'
  | 'session_closed'
  /** The framework or the server ended the job (job termination, worker drain timeout, entry crash). */
  | 'job_shutdown'
  /** The agent's connection to the room ended; the room was not deleted. */
  | 'disconnected'
  | 'error';

/** Who asked to end the call: a frontend (RPC), a backend, or the agent itself (its end_call tool). */
export type EndSource = 'frontend' | 'backend' | 'agent';

/** Who a check-in speaks to: the caller alone, or everyone in a conference with a dialed participant. */
export type Audience = 'caller' | 'room';

/** Which spoken prompt a playout belongs to. */
export type PromptKind = 'checkIn' | 'goodbye' | 'warning';

export type CallEvent =
  | { type: 'USER_STATE'; state: UserState }
  | { type: 'AGENT_STATE'; state: AgentState }
  /** A final user transcript. The text is not kept by the machine. */
  | { type: 'TRANSCRIPT'; text?: string }
  | { type: 'TOOL_STARTED'; name: string }
  | { type: 'TOOL_FINISHED'; name: string }
  /** The agent was asked to dial (its add-participant tool). */
  | { type: 'DIAL_REQUESTED'; number: string }
  /** The dialer reports how the dial to `number` ended. */
  | { type: 'DIAL_SETTLED'; number: string; outcome: DialOutcome; sipStatus?: number }
  /** A prompt finished playing (or was interrupted). `attempt` identifies the check-in it belongs to. */
  | { type: 'PLAYOUT_FINISHED'; prompt: PromptKind; attempt?: number; interrupted?: boolean }
  /** The caller hung up: left, rejected, was removed, or their SIP call ended. */
  | { type: 'CALLER_DISCONNECTED' }
  /** The caller's connection dropped without a hang-up (any other disconnect reason): they may come back. */
  | { type: 'CALLER_CONNECTION_LOST' }
  /** The caller's identity is in the room again after a lost connection. */
  | { type: 'CALLER_RECONNECTED' }
  /** The agent's own connection is reconnecting (rtc-node's `RoomEvent.Reconnecting`): nobody hears it meanwhile. */
  | { type: 'AGENT_RECONNECTING' }
  /** The agent's connection is back (`RoomEvent.Reconnected`). */
  | { type: 'AGENT_RECONNECTED' }
  /**
   * The answered dialed participant (the callee) started or stopped speaking, from the room's active-speaker updates.
   * In a conference the session's own input hears only the caller; this is how presence hears the callee.
   */
  | { type: 'CALLEE_SPEAKING'; speaking: boolean }
  /** The answered dialed participant left the room. */
  | { type: 'CALLEE_LEFT' }
  /**
   * The agent's room connection ended (rtc-node's `RoomEvent.Disconnected`). `deleted` only for
   * `DisconnectReason.ROOM_DELETED`: any other reason (network lost, ...) leaves the room and its participants, a
   * ringing SIP leg included, where they are.
   */
  | { type: 'ROOM_DISCONNECTED'; deleted: boolean }
  /** The framework is closing the job without us asking: job termination from the server, drain timeout, crash. */
  | { type: 'JOB_SHUTDOWN' }
  | { type: 'END_REQUESTED'; source: EndSource }
  /** The operator asked calls to wind down politely (opt-in `shutdown.onSigterm: 'drain'`). */
  | { type: 'DRAIN' }
  | { type: 'MAX_DURATION_REACHED' }
  /** The AgentSession closed by itself (not at our request). */
  | { type: 'SESSION_CLOSED' }
  | { type: 'FATAL_ERROR'; message?: string };

export type CallEventType = CallEvent['type'];

/** Events that carry presence information: none of them may ever cause a close while a dial is in flight. */
export const PRESENCE_EVENT_TYPES: readonly CallEventType[] = [
  'USER_STATE',
  'AGENT_STATE',
  'TRANSCRIPT',
  'TOOL_STARTED',
  'TOOL_FINISHED',
  'PLAYOUT_FINISHED',
  'CALLEE_SPEAKING',
];

/** What the machine asks for, by action name, with its parameters. */
export interface Commands {
  /** Say check-in number `attempt` (1-based): generate it from `instructions` (llm) or say `text` (fixed). */
  checkIn: { attempt: number; mode: 'llm' | 'fixed'; instructions: string; text: string; audience: Audience };
  /** Say the goodbye for `reason` (fixed text) and report its playout. */
  goodbye: { text: string; reason: CloseReason };
  /** Say the max-duration warning. */
  warn: { text: string };
  /** Start dialing `number`; report with DIAL_SETTLED. */
  dialStart: { number: string };
  /** Cancel the dial to `number` explicitly (remove that participant). */
  dialCancel: { number: string };
  /** Record how a dial ended. */
  dialEnd: { number: string; outcome: DialOutcome; sipStatus?: number };
  /** Put the caller on hold for the dial (dial.holdCaller: stop acting on their speech and/or mute their track). */
  holdCaller: {}; // no parameters
  /** Undo holdCaller: the dial ended, however it ended. */
  releaseCaller: {}; // no parameters
  /** A dial request that will not be dialed, and why. */
  dialRefused: { number: string; reason: DialRefusal };
  /** Close the AgentSession. */
  sessionClose: { reason: CloseReason };
  /** Call `ctx.shutdown(reason)`: the job ends. */
  shutdown: { reason: CloseReason };
  /** Delete the room (closeAction 'delete-room'); hangs up every participant, SIP callers too. */
  deleteRoom: {}; // no parameters
}
export type CommandType = keyof Commands;
export type Command = { [K in CommandType]: { type: K } & Commands[K] }[CommandType];

export const COMMAND_TYPES: readonly CommandType[] = [
  'checkIn',
  'goodbye',
  'warn',
  'dialStart',
  'dialCancel',
  'dialEnd',
  'holdCaller',
  'releaseCaller',
  'dialRefused',
  'sessionClose',
  'shutdown',
  'deleteRoom',
];
