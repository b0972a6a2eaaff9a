/**
 * The machine's shape, read from the machine definition itself (`callMachine.root`): the tree of state nodes and every
 * targeted transition, labelled with its event (`after <delay>` for an XState timer, `always` for a router) and guard.
 * Transitions without a target (actions only) are left out. Both pictures (Mermaid and SVG) are drawn from this, so
 * they cannot disagree about what the machine is.
 */
import { callMachine } from '../../machines/call.machine.js';

export interface DiagramState {
  /** The XState id, e.g. `call.live.dial.dialing`. */
  id: string;
  key: string;
  kind: 'atomic' | 'compound' | 'parallel' | 'final';
  /** Id of the initial child (compound states). */
  initial?: string;
  children: DiagramState[];
}

export interface DiagramTransition {
  from: string;
  to: string;
  label: string;
}

export interface MachineGraph {
  /** The machine's top-level states (the root node itself is the machine). */
  states: DiagramState[];
  /** Id of the machine's initial state. */
  initial: string;
  transitions: DiagramTransition[];
}

interface GuardLike {
  type?: string;
  name?: string;
  /** Set on XState's `and` / `or` / `not` combinators. */
  guards?: (GuardLike | string)[];
}
interface TransitionLike {
  eventType: string;
  target?: readonly NodeLike[];
  guard?: GuardLike | string;
}
interface NodeLike {
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  states: Record<string, NodeLike>;
  initial?: { target: readonly NodeLike[] };
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
}

const guardName = (g: GuardLike | string | undefined): string => {
  if (g === undefined) return '';
  if (typeof g === 'string') return g;
  if (g.guards) return `${g.name ?? 'guard'}(${g.guards.map(guardName).join(', ')})`;
  return g.type ?? g.name ?? 'guard';
};

function label(t: TransitionLike): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(t.eventType);
  const event = after ? `after ${after[1]}` : t.eventType === '' ? 'always' : t.eventType;
  const guard = guardName(t.guard);
  return guard ? `${event} [${guard}]` : event;
}

export function machineGraph(): MachineGraph {
  const transitions: DiagramTransition[] = [];
  const seen = new Set<string>();
  const visit = (node: NodeLike): DiagramState => {
    if (node.type === 'history') throw new Error(`machineGraph: history state ${node.id} is not drawn; extend the diagram before using one`);
    // Children first: a state's own transitions are listed after its children's (the order the diagrams read in).
    const children = Object.values(node.states).map(visit);
    for (const t of [...node.transitions.values()].flat().concat(node.always ?? [])) {
      for (const target of t.target ?? []) {
        const edge = { from: node.id, to: target.id, label: label(t) };
        const key = JSON.stringify(edge);
        if (!seen.has(key)) transitions.push(edge);
        seen.add(key);
      }
    }
    const initial = node.initial?.target[0]?.id;
    return {
      id: node.id,
      key: node.key,
      kind: node.type,
      ...(initial && node.type === 'compound' ? { initial } : {}),
      children,
    };
  };
  const root = callMachine.root as unknown as NodeLike;
  const states = Object.values(root.states).map(visit);
  const initial = root.initial?.target[0]?.id;
  if (!initial) throw new Error('machineGraph: the machine has no initial state');
  return { states, initial, transitions };
}

/** Every state in the tree, depth first. */
export function allStates(states: readonly DiagramState[]): DiagramState[] {
  return states.flatMap((s) => [s, ...allStates(s.children)]);
}
