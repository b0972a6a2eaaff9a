/**
 * Model and reality agree: every shipped scenario runs in model mode (virtual clock, model of the AgentSession) and
 * in agent mode (the real AgentSession, bridge, dialer and API emulator on a scaled real clock). Both must produce the
 * same actions, in the same order, with the same details, at times within TOLERANCE simulated seconds.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { initializeLogger } from '@livekit/agents';
import { beforeAll, describe, expect, it } from 'vitest';
import agentConfig from '../agent.config.js';
import { runAgentSideBySide, type AgentRunResult } from '../src/simulator/runAgent.js';
import { timeScaleFor } from '../src/simulator/schedulingProbe.js';
import { runModel, type RunResult } from '../src/simulator/runModel.js';
import { loadScenario } from '../src/simulator/scenario.js';
import { ACTION_TYPES, type TimelineEvent } from '../src/timeline/timeline.js';

initializeLogger({ pretty: false, level: 'error' });

const DIR = join(import.meta.dirname, '..', 'scenarios');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

/** Real seconds per simulated second on an idle machine; a busy one runs slower (timeScaleFor). */
const TIME_SCALE = 0.2;
let scale = TIME_SCALE;
/**
 * Simulated seconds. Agent mode runs behind model mode by the framework's own per-step latency (a few ms of real time
 * per turn: the TTS stream adapter, the speech scheduler, HTTP to the emulator), which the time scale magnifies;
 * 1 s simulated is 200 ms of real time at this scale. On a busy machine each action may lag by the event-loop stalls
 * measured before it as well (AgentRunResult.scheduling), and by nothing more.
 */
const TOLERANCE = 1.0;

const isAction = (e: TimelineEvent) => (ACTION_TYPES as readonly string[]).includes(e.type);
const actions = (r: RunResult) => r.timeline.filter(isAction);
const withoutTime = ({ t: _t, ...rest }: TimelineEvent) => rest;
/** Each action's allowed drift: the tolerance plus the stalls measured before it, in simulated seconds. */
const allowedDrift = (r: AgentRunResult) =>
  r.timeline.flatMap((e, i) => (isAction(e) ? [TOLERANCE + r.scheduling.stalledBefore[i]! / 1000 / scale] : []));

const runs = new Map<string, { model: RunResult; agent: AgentRunResult }>();

beforeAll(async () => {
  // The scenarios run side by side: agent mode spends nearly all its time waiting on (scaled) timers.
  const scenarios = FILES.map((file) => loadScenario(join(DIR, file)));
  const measured = await timeScaleFor(TIME_SCALE);
  scale = measured.scale;
  process.stderr.write(`agent mode at time scale ${scale.toFixed(2)} (this process gets ${measured.cpuShare.toFixed(2)} of a core)\n`);
  const agent = await runAgentSideBySide(scenarios, agentConfig, () => ({ timeScale: scale, slack: TOLERANCE }));
  FILES.forEach((file, i) => runs.set(file, { model: runModel(scenarios[i]!, agentConfig), agent: agent[i]! }));
}, 600_000); // a hang guard: a busy machine runs the scenarios up to real time

describe('agent mode agrees with model mode', () => {
  it.each(FILES)('%s: same actions, same order, times within the tolerance', (file) => {
    const { model, agent } = runs.get(file)!;
    const m = actions(model);
    const a = actions(agent);
    expect(a.map(withoutTime)).toEqual(m.map(withoutTime));
    const allowed = allowedDrift(agent);
    const drift = a.map((e, i) => ({ type: e.type, model: m[i]!.t, agent: e.t, delta: Math.abs(e.t - m[i]!.t), allowed: allowed[i]! }));
    expect(drift.filter((d) => d.delta > d.allowed)).toEqual([]);
  });

  it.each(FILES)('%s: the real session keeps every invariant and meets the scenario expectations', (file) => {
    const { agent } = runs.get(file)!;
    expect(agent.summary.violations).toEqual([]);
    expect(agent.failures).toEqual([]);
  });
});
