/**
 * Exhaustive exploration of the call machine: every reachable state for a config, under every
 * input event the outside world can send in that state and every delayed transition that can fire there (timers
 * are explored in every order, a superset of what real time allows). Used by the invariant test and the benchmark.
 */
import { createActor, initialTransition, type ActorScope, type SnapshotFrom } from 'xstate';
import { callMachine, type CallSettings } from './call.machine.js';
import { AGENT_STATES, COMMAND_TYPES, DIAL_OUTCOMES, USER_STATES, type CallEvent, type Command, type CommandType } from './events.js';

export type CallSnapshot = SnapshotFrom<typeof callMachine>;
/** A timer firing: XState's `xstate.after.<delay>.<state id>` event. */
export type TimerEvent = { type: `xstate.after.${string}` };
export type ExploredEvent = CallEvent | TimerEvent;

export const GRAPH_NUMBERS = { allowed: '+15550001111', other: '+15550002222', notE164: '555-0100', premium: '+19005550100' };
/** Bound on concurrent tools, to keep the explored context finite. */
export const MAX_TOOLS = 2;

export function serializeCallSnapshot(s: CallSnapshot): string {
  const { settings: _settings, ...rest } = s.context;
  return JSON.stringify([s.status, s.value, rest]);
}

/** The delayed transitions pending in this snapshot. */
export function timerEvents(s: CallSnapshot): TimerEvent[] {
  if (s.status !== 'active') return [];
  return s._nodes.flatMap((node) => node.after.map((t) => ({ type: t.eventType as TimerEvent['type'] })));
}

/** Everything that can be sent to the machine in this snapshot. */
export function eventsFor(s: CallSnapshot): ExploredEvent[] {
  const c = s.context;
  const n = GRAPH_NUMBERS;
  return [
    ...USER_STATES.map((state): CallEvent => ({ type: 'USER_STATE', state })),
    ...AGENT_STATES.map((state): CallEvent => ({ type: 'AGENT_STATE', state })),
    { type: 'TRANSCRIPT' },
    ...(c.tools < MAX_TOOLS ? [{ type: 'TOOL_STARTED', name: 'tool' } as const] : []),
    { type: 'TOOL_FINISHED', name: 'tool' },
    ...[n.allowed, n.notE164, n.premium].map((number): CallEvent => ({ type: 'DIAL_REQUESTED', number })),
    ...DIAL_OUTCOMES.filter((o) => o !== 'cancelled').map((outcome): CallEvent => ({ type: 'DIAL_SETTLED', number: c.dialNumber ?? n.allowed, outcome })),
    { type: 'DIAL_SETTLED', number: n.other, outcome: 'answered' },
    { type: 'PLAYOUT_FINISHED', prompt: 'checkIn', attempt: c.attempt },
    { type: 'PLAYOUT_FINISHED', prompt: 'checkIn', attempt: c.attempt - 1 },
    { type: 'PLAYOUT_FINISHED', prompt: 'goodbye' },
    { type: 'PLAYOUT_FINISHED', prompt: 'warning' },
    { type: 'CALLER_DISCONNECTED' },
    { type: 'CALLER_CONNECTION_LOST' },
    { type: 'CALLER_RECONNECTED' },
    { type: 'AGENT_RECONNECTING' },
    { type: 'AGENT_RECONNECTED' },
    { type: 'CALLEE_SPEAKING', speaking: true },
    { type: 'CALLEE_SPEAKING', speaking: false },
    { type: 'CALLEE_LEFT' },
    { type: 'ROOM_DISCONNECTED', deleted: true },
    { type: 'ROOM_DISCONNECTED', deleted: false },
    { type: 'JOB_SHUTDOWN' },
    { type: 'END_REQUESTED', source: 'frontend' },
    { type: 'DRAIN' },
    { type: 'MAX_DURATION_REACHED' },
    { type: 'SESSION_CLOSED' },
    { type: 'FATAL_ERROR' },
    ...timerEvents(s),
  ];
}

export interface ExploredTransition {
  from: CallSnapshot;
  event: ExploredEvent;
  to: CallSnapshot;
  commands: Command[];
}

export interface Exploration {
  states: Map<string, CallSnapshot>;
  transitions: ExploredTransition[];
  initialKey: string;
  initialCommands: Command[];
}

const COMMANDS = new Set<string>(COMMAND_TYPES);

function commandsOf(actions: readonly { type: string; params: unknown }[]): Command[] {
  return actions.filter((a) => COMMANDS.has(a.type)).map((a) => ({ type: a.type as CommandType, ...(a.params as object) }) as Command);
}

/**
 * The machine's transition function with the actions it would execute, as xstate's pure `transition()` returns
 * them, but through one actor scope for the whole exploration: `transition()` builds a new inert actor, and with it
 * the machine's initial snapshot, on every call (three quarters of the exploration's time). Sharing it is safe
 * because the call machine invokes and spawns nothing, and the scope's action executor only collects.
 */
function stepper(settings: CallSettings) {
  let executed: { type: string; params: unknown }[] = [];
  const self = createActor(callMachine, { input: settings });
  const scope = {
    self,
    id: '',
    sessionId: '',
    system: self.system,
    logger: () => {},
    defer: () => {},
    emit: () => {},
    stopChild: () => {},
    actionExecutor: (action: { type: string; params: unknown }) => void executed.push(action),
  } as unknown as ActorScope<CallSnapshot, CallEvent>;
  return (from: CallSnapshot, event: CallEvent): [CallSnapshot, Command[]] => {
    executed = [];
    const to = callMachine.transition(from, event, scope);
    return [to, commandsOf(executed)];
  };
}

export function explore(settings: CallSettings): Exploration {
  // A breadth-first walk over (state, event) pairs, each tried exactly once, keeping every transition with the
  // commands it issues. xstate/graph's getAdjacencyMap walks the same way but dequeues with Array.shift from a queue
  // that holds every transition (about 100,000 here): quadratic, two thirds of the walk's time. This queue is read
  // by index and only ever holds states not seen before.
  const transitions: ExploredTransition[] = [];
  const step = stepper(settings);
  const [initial, initialActions] = initialTransition(callMachine, settings);
  const initialKey = serializeCallSnapshot(initial);
  const states = new Map<string, CallSnapshot>([[initialKey, initial]]);
  const queue: CallSnapshot[] = [initial];
  for (let i = 0; i < queue.length; i++) {
    const from = queue[i]!;
    for (const event of eventsFor(from)) {
      const [to, commands] = step(from, event as CallEvent);
      transitions.push({ from, event, to, commands });
      // An event the state ignores gives back the very snapshot it came from: nothing new to serialize or visit.
      if (to === from) continue;
      const key = serializeCallSnapshot(to);
      if (!states.has(key)) states.set(key, to), queue.push(to);
    }
  }
  return { states, transitions, initialKey, initialCommands: commandsOf(initialActions) };
}
