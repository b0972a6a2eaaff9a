/**
 * Check-ins addressed to the room (a conference whose humans all went quiet) are spoken by the scripted model too,
 * and a check-in that produced no speech is a violation of the shared invariants: agent-mode simulation used to record
 * the scripted model's silent answer to `checkIn.roomInstructions` as a check-in said.
 */
import { join } from 'node:path';
import { initializeLogger } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import agentConfig from '../agent.config.js';
import { defineConfig } from '../src/config/load.js';
import { runAgent } from '../src/simulator/runAgent.js';
import { timeScaleFor } from '../src/simulator/schedulingProbe.js';
import { loadScenario } from '../src/simulator/scenario.js';
import { checkInvariants } from '../src/timeline/invariants.js';
import type { TimelineEvent } from '../src/timeline/timeline.js';

initializeLogger({ pretty: false, level: 'error' });

describe('check-ins to the room', () => {
  it('llm mode, agent-mode simulation: each room check-in is spoken (the invariants hold, the agent speaks in each)', async () => {
    const scenario = loadScenario(join(import.meta.dirname, '..', 'scenarios', '18-conference-callee-talks.json'));
    const llmMode = { ...scenario, config: { ...scenario.config, checkIn: { ...(scenario.config?.checkIn as object), mode: 'llm' } } } as typeof scenario;
    const { scale } = await timeScaleFor(0.1);
    const run = await runAgent(llmMode, agentConfig, { timeScale: scale, slack: 1 });
    const checkIns = run.timeline.filter((e) => e.type === 'checkIn');
    expect(checkIns.map((e) => (e.type === 'checkIn' ? e.audience : null))).toEqual(['room', 'room', 'room']);
    expect(run.summary.violations).toEqual([]);
  }, 120_000);

  it('a check-in whose playout finished with no speech from the agent breaks the check-ins rule', () => {
    const config = defineConfig({ checkIn: { mode: 'llm' } });
    const at = (t: number, e: Record<string, unknown>) => ({ t, ...e }) as TimelineEvent;
    const silent = [at(20, { type: 'checkIn', attempt: 1 }), at(20.04, { type: 'playoutEnd', prompt: 'checkIn' })];
    const spoken = [at(20, { type: 'checkIn', attempt: 1 }), at(20.03, { type: 'agentState', state: 'speaking' }), at(21.5, { type: 'agentState', state: 'listening' }), at(21.5, { type: 'playoutEnd', prompt: 'checkIn' })];
    const interrupted = [at(20, { type: 'checkIn', attempt: 1 }), at(20.04, { type: 'playoutEnd', prompt: 'checkIn', interrupted: true })];
    expect(checkInvariants(silent, config, 30)).toEqual(['t=20.040 playoutEnd [check-ins]: the check-in at t=20.000 finished without the agent speaking']);
    expect(checkInvariants(spoken, config, 30)).toEqual([]);
    expect(checkInvariants(interrupted, config, 30)).toEqual([]);
    // The run stopped (until 20.02) while the check-in was about to be spoken: no verdict on it.
    expect(checkInvariants(silent, config, 20.02)).toEqual([]);
  });
});
