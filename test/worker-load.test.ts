/**
 * What the worker tells livekit-server its load is (the server dispatches only to a worker whose load is below 1, and
 * below its `agents.target_load`). By default the framework's own CPU reading and `worker.loadThreshold`; with
 * `worker.maxCalls`, the share of those calls running now, so a host busy with other work still gets calls.
 */
import type { AgentServer } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import agentConfig from '../agent.config.js';
import { workerOptions } from '../src/agent/server.js';
import { envOverride, withOverrides } from '../src/config/load.js';

const running = (n: number) => ({ activeJobs: Array.from({ length: n }) }) as unknown as AgentServer;

describe("the worker's load", () => {
  it("is the framework's CPU reading against worker.loadThreshold by default", () => {
    const options = workerOptions('agent.js', withOverrides(agentConfig, { worker: { loadThreshold: 0.8 } }, 'test'), {});
    expect(options.loadThreshold).toBe(0.8);
    expect(options.loadFunc.name).toBe('defaultCpuLoad');
  });

  it('with worker.maxCalls (AGENT_MAX_CALLS) is the running calls over maxCalls, full at maxCalls', async () => {
    const config = withOverrides(agentConfig, envOverride({ AGENT_MAX_CALLS: '4' }), 'env');
    const options = workerOptions('agent.js', config, {});
    expect(options.loadThreshold).toBe(1);
    expect(await Promise.all([0, 1, 3, 4].map((n) => options.loadFunc(running(n))))).toEqual([0, 0.25, 0.75, 1]);
  });

  it('refuses a maxCalls that is not a positive whole number, naming it', () => {
    expect(() => withOverrides(agentConfig, { worker: { maxCalls: 2.5 } }, 'test')).toThrow(/worker\.maxCalls: .*\(got 2\.5\)/);
  });
});
