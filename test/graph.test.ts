/**
 * Exhaustive: every reachable state of the machine, for several configs, under every event and timer.
 * (a) presence never causes a check-in, goodbye, close, shutdown, room deletion or dial cancel while a dial is in
 *     flight, and no close of any kind happens around a dial that was not ended first;
 * (b) at most one shutdown, and a shutdown is reachable from every state;
 * (c) nothing happens after shutdown.
 */
import { transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { callMachine, callSettings } from '../machines/call.machine.js';
import { COMMAND_TYPES, PRESENCE_EVENT_TYPES, type CallEventType } from '../machines/events.js';
import { explore, serializeCallSnapshot, type CallSnapshot, type ExploredTransition } from '../machines/explore.js';
import { defineConfig } from '../src/config/load.js';
import type { AgentConfigInput } from '../src/config/schema.js';

// dial.maxPerCall is 1 here: the dial counter behaves the same at every count below the limit, so
// a larger default only multiplies the states without adding behaviour.
const CONFIGS: Record<string, AgentConfigInput> = {
  'defaults, 1 dial': { dial: { maxPerCall: 1 } },
  'fixed, transcript signal, no reset, 2 prompts, 1 dial': {
    presence: { activitySignal: 'transcript' },
    checkIn: { mode: 'fixed', maxPrompts: 2, resetOnSpeech: false },
    dial: { maxPerCall: 1 },
  },
  'continue on caller left, leave, max duration with warning, caller hold, 1 dial': {
    dial: { onCallerLeft: 'continue', holdCaller: { audioInput: true, muteTrack: true }, maxPerCall: 1 },
    closeAction: 'leave',
    maxCallDuration: { seconds: 600, warnBefore: 30 },
  },
  'max duration without warning, 1 prompt, 1 dial': { checkIn: { maxPrompts: 1 }, maxCallDuration: { seconds: 600, warnBefore: 0 }, dial: { maxPerCall: 1 } },
};

/** The caller's reconnect grace running out (xstate's event for the `after` timer in live.callerLink.lost). */
const GRACE_ENDS = 'xstate.after.callerReconnectGrace.call.live.callerLink.lost';
const CLOSING = new Set(['checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom']);
const isPresenceCause = (t: ExploredTransition) =>
  PRESENCE_EVENT_TYPES.includes(t.event.type as CallEventType) ||
  (t.event.type.startsWith('xstate.after.') && t.event.type.includes('.presence.'));

describe.each(Object.entries(CONFIGS))('state graph (%s)', (_name, input) => {
  const settings = callSettings(defineConfig(input));
  const { states, transitions, initialKey, initialCommands } = explore(settings);
  // Each snapshot is the source or target of many transitions: serialize it once.
  const keys = new WeakMap<CallSnapshot, string>();
  const key = (s: CallSnapshot) => keys.get(s) ?? (keys.set(s, serializeCallSnapshot(s)), keys.get(s)!);
  console.log(`explored ${states.size} states and ${transitions.length} transitions (${_name})`);

  it('explores a non-trivial graph from a quiet start', () => {
    expect(states.size).toBeGreaterThan(100);
    expect(states.has(initialKey)).toBe(true);
    expect(initialCommands).toEqual([]);
  });

  it('(a) presence never acts while a dial is in flight, and nothing closes around an un-ended dial', () => {
    const bad: string[] = [];
    for (const t of transitions) {
      if (t.from.status !== 'active' || t.from.context.dialNumber === null) continue;
      const types = t.commands.map((c) => c.type);
      if (isPresenceCause(t) && types.some((c) => CLOSING.has(c) || c === 'dialCancel')) {
        bad.push(`${t.event.type} in ${JSON.stringify(t.from.value)} → ${types.join(',')}`);
      }
      // Any close while dialing must come after the dial's own end (cancelled or settled) in the same step.
      const firstClose = types.findIndex((c) => CLOSING.has(c) && c !== 'checkIn');
      if (firstClose >= 0 && !types.slice(0, firstClose).includes('dialEnd')) {
        bad.push(`${t.event.type} closed around an in-flight dial: ${types.join(',')}`);
      }
      if (t.commands.some((c) => c.type === 'shutdown' && c.reason === 'user_unresponsive')) bad.push(`${t.event.type}: unresponsive while dialing`);
    }
    // Structural form of the same rule: whenever a dial is in flight and the call is live, presence is paused.
    for (const s of states.values()) {
      if (s.status === 'active' && s.context.dialNumber !== null && s.matches('live') && !s.matches({ live: { presence: 'paused' } })) {
        bad.push(`presence not paused in ${JSON.stringify(s.value)}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('(e) the framework closing the job, or a lost connection, never strands a dial: cancelled in that step, and closeAction still runs', () => {
    const bad: string[] = [];
    for (const t of transitions) {
      const lost = t.event.type === 'JOB_SHUTDOWN' || (t.event.type === 'ROOM_DISCONNECTED' && !t.event.deleted);
      if (!lost || t.from.status !== 'active') continue;
      const types = t.commands.map((c) => c.type);
      if (t.from.context.dialNumber !== null && !types.includes('dialCancel')) bad.push(`${t.event.type} in ${JSON.stringify(t.from.value)} left the dial: ${types.join(',')}`);
      if (types.includes('goodbye') || types.includes('checkIn')) bad.push(`${t.event.type} in ${JSON.stringify(t.from.value)} spoke: ${types.join(',')}`);
      if (!types.includes('shutdown')) bad.push(`${t.event.type} in ${JSON.stringify(t.from.value)} did not shut down: ${types.join(',')}`);
      const deletes = settings.closeAction === 'delete-room' && !t.from.context.roomGone;
      if (types.includes('deleteRoom') !== deletes) bad.push(`${t.event.type} in ${JSON.stringify(t.from.value)}: deleteRoom ${!deletes}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('(f) no presence-driven check-in, goodbye or close while a human speaks; in a conference LiveKit\'s caller-only away is not the signal', () => {
    const bad: string[] = [];
    const PRESENCE_ACTS = (t: ExploredTransition) =>
      t.commands.some((c) => c.type === 'checkIn' || (c.type === 'goodbye' && c.reason === 'user_unresponsive') || (c.type === 'shutdown' && c.reason === 'user_unresponsive'));
    for (const t of transitions) {
      // The close decided earlier (the goodbye playing) is not a new presence decision.
      if (t.from.status !== 'active' || !PRESENCE_ACTS(t) || t.from.matches('goodbye')) continue;
      // Human speech: the callee's, and the caller's as LiveKit's VAD reports it unless the config says the line is
      // noisy (activitySignal 'transcript': only a transcript is speech there).
      const callerSpeech = t.to.context.userSpeaking && settings.presence.activitySignal === 'vad';
      const speaking = callerSpeech || t.to.context.calleeSpeaking;
      if (speaking) bad.push(`${t.event.type} in ${JSON.stringify(t.from.value)}: presence acted while someone speaks`);
      if ((t.from.context.callee || t.from.context.callerGone) && t.event.type === 'USER_STATE') {
        bad.push(`${t.event.type} in ${JSON.stringify(t.from.value)}: LiveKit's caller-only away acted in a conference`);
      }
    }
    // Structurally: in a conference presence never trusts LiveKit's away (it runs its own window).
    for (const s of states.values()) {
      if (s.status === 'active' && s.matches('live') && (s.context.callee || s.context.callerGone) && s.matches({ live: { presence: { active: { present: 'trusting' } } } })) {
        bad.push(`trusting LiveKit in a conference: ${JSON.stringify(s.value)}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('(b) at most one shutdown: only into the final state, never out of it; reachable from every state', () => {
    const bad: string[] = [];
    for (const t of transitions) {
      const shutdowns = t.commands.filter((c) => c.type === 'shutdown').length;
      if (shutdowns > 1) bad.push(`${t.event.type}: ${shutdowns} shutdowns in one step`);
      if (shutdowns === 1 && t.to.status !== 'done') bad.push(`${t.event.type}: shutdown without ending`);
      if (t.to.status === 'done' && t.from.status === 'active' && shutdowns !== 1) bad.push(`${t.event.type}: ended without shutdown`);
    }
    expect(bad.slice(0, 10)).toEqual([]);

    // Reverse reachability from the final states.
    const preds = new Map<string, Set<string>>();
    for (const t of transitions) {
      const to = key(t.to);
      if (!preds.has(to)) preds.set(to, new Set());
      preds.get(to)!.add(key(t.from));
    }
    const canEnd = new Set([...states.entries()].filter(([, s]) => s.status === 'done').map(([k]) => k));
    expect(canEnd.size).toBeGreaterThan(0);
    const queue = [...canEnd];
    while (queue.length) for (const p of preds.get(queue.pop()!) ?? []) if (!canEnd.has(p)) canEnd.add(p), queue.push(p);
    const stuck = [...states.keys()].filter((k) => !canEnd.has(k));
    expect(stuck.slice(0, 5)).toEqual([]);
  });

  it('(c) after shutdown no event causes any action or change', () => {
    const after = transitions.filter((t) => t.from.status === 'done');
    expect(after.length).toBeGreaterThan(0);
    // One expectation over the list of offenders: an expect() per transition cost most of this file's time.
    const bad = after
      .filter((t) => t.commands.length > 0 || key(t.to) !== key(t.from))
      .map((t) => `${t.event.type} after shutdown: ${t.commands.map((c) => c.type).join(',')} → ${key(t.to)}`);
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('(d) caller hold spans exactly the dial: held when a dial starts, released in the step that ends it, on every path', () => {
    const holds = settings.dial.holdCaller.audioInput || settings.dial.holdCaller.muteTrack;
    const bad: string[] = [];
    let held = 0;
    for (const t of transitions) {
      const types = t.commands.map((c) => c.type);
      const count = (type: string) => types.filter((c) => c === type).length;
      held += count('holdCaller');
      const starts = count('dialStart');
      const ends = t.from.context.dialNumber !== null && t.to.context.dialNumber === null ? 1 : 0;
      if (count('holdCaller') !== (holds ? starts : 0)) bad.push(`${t.event.type}: ${types.join(',')} (hold ≠ dial start)`);
      if (count('releaseCaller') !== (holds ? ends : 0)) bad.push(`${t.event.type}: ${types.join(',')} (release ≠ dial end)`);
      if (types.includes('releaseCaller') && types.indexOf('releaseCaller') < types.indexOf('dialEnd')) bad.push(`${t.event.type}: released before the dial ended`);
    }
    // A call cannot end with the caller still held: no final state keeps a dial.
    for (const s of states.values()) if (s.status === 'done' && s.context.dialNumber !== null) bad.push(`ended holding ${s.context.dialNumber}`);
    expect(bad.slice(0, 10)).toEqual([]);
    expect(held > 0).toBe(holds);
  });

  it('(g) a dial that reached voicemail is no conference: handled exactly as a busy line, never a callee', () => {
    const bad: string[] = [];
    let seen = 0;
    const shape = (t: { to: typeof transitions[number]['to']; commands: typeof transitions[number]['commands'] }) =>
      JSON.stringify([serializeCallSnapshot(t.to), t.commands.map(({ outcome: _o, ...c }: Record<string, unknown>) => c)]);
    for (const t of transitions) {
      if (t.event.type !== 'DIAL_SETTLED' || t.event.outcome !== 'voicemail' || t.from.status !== 'active') continue;
      seen++;
      if (t.to.context.callee && !t.from.context.callee) bad.push(`voicemail in ${JSON.stringify(t.from.value)} made a callee`);
      const [to, actions] = transition(callMachine, t.from, { ...t.event, outcome: 'busy' });
      const busy = { to, commands: actions.filter((a) => (COMMAND_TYPES as readonly string[]).includes(a.type)).map((a) => ({ type: a.type, ...(a.params as object) })) as typeof t.commands };
      if (shape(t) !== shape(busy)) bad.push(`voicemail in ${JSON.stringify(t.from.value)} differs from busy: ${shape(t)} vs ${shape(busy)}`);
    }
    expect(seen).toBeGreaterThan(0);
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('(h) a caller whose connection drops is not hung up on: nothing happens until presence.callerReconnectGrace has passed without them; back in time, the grace ends', () => {
    const bad: string[] = [];
    for (const t of transitions) {
      if (t.from.status !== 'active') continue;
      const types = t.commands.map((c) => c.type);
      if ((t.event.type === 'CALLER_CONNECTION_LOST' || t.event.type === 'CALLER_RECONNECTED') && (types.length > 0 || t.to.context.callerGone !== t.from.context.callerGone)) {
        bad.push(`${t.event.type} in ${JSON.stringify(t.from.value)} → ${types.join(',') || 'the caller marked gone'}`);
      }
      if (t.event.type === 'CALLER_RECONNECTED' && t.to.matches({ live: { callerLink: 'lost' } })) bad.push(`still waiting for the caller after CALLER_RECONNECTED in ${JSON.stringify(t.from.value)}`);
      // The grace's end is the hang-up: exactly what CALLER_DISCONNECTED does from the same state.
      if (t.event.type === GRACE_ENDS) {
        const hangup = transitions.find((u) => u.from === t.from && u.event.type === 'CALLER_DISCONNECTED');
        if (!hangup || JSON.stringify(hangup.commands) !== JSON.stringify(t.commands) || hangup.to.context.callerGone !== t.to.context.callerGone) {
          bad.push(`the grace's end in ${JSON.stringify(t.from.value)} is not a hang-up: ${types.join(',')} vs ${hangup?.commands.map((c) => c.type).join(',')}`);
        }
      }
    }
    // The agent reconnecting pauses presence: no check-in or presence close while it reconnects.
    for (const t of transitions) {
      if (t.from.status === 'active' && t.from.context.agentReconnecting && isPresenceCause(t) && t.commands.some((c) => c.type === 'checkIn' || c.type === 'goodbye')) {
        bad.push(`${t.event.type} while the agent reconnects → ${t.commands.map((c) => c.type).join(',')}`);
      }
    }
    expect(transitions.some((t) => t.event.type === GRACE_ENDS)).toBe(true);
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('every state is reachable and every state node of the machine is visited', () => {
    const visited = new Set<string>();
    for (const s of states.values()) for (const node of s._nodes) visited.add(node.id);
    const all: string[] = [];
    type Node = { id: string; states: Record<string, unknown>; always?: readonly { guard?: unknown }[] };
    const walk = (node: Node) => {
      // Transient routers (an unguarded `always`) are passed through within a step, never rested in.
      if (!node.always?.some((t) => t.guard === undefined)) all.push(node.id);
      for (const child of Object.values(node.states)) walk(child as Node);
    };
    walk(states.values().next().value!.machine.root as unknown as Node);
    // callTimer branches depend on the config, and the caller's link rests in `gone` only where the call goes on
    // without them (onCallerLeft 'continue'); everything else must be visited in every config.
    const dependsOnConfig = (id: string) => id.includes('.callTimer.') || (id.endsWith('.callerLink.gone') && settings.dial.onCallerLeft !== 'continue');
    const unvisited = all.filter((id) => !visited.has(id) && !dependsOnConfig(id));
    expect(unvisited).toEqual([]);
  });
});
