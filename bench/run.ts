/**
 * `npm run bench [-- --quick]`: measured figures, side by side with baselines, as ratios (these machines are noisy).
 * Prints a table and writes bench/results.json. Not part of `npm test`: numbers never gate a test.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initializeLogger } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { AudioFrame } from '@livekit/rtc-node';
import agentConfig from '../agent.config.js';
import { callSettings } from '../machines/call.machine.js';
import { explore } from '../machines/explore.js';
import { defineConfig } from '../src/config/load.js';
import { createCallActor } from '../src/commands.js';
import { runModel } from '../src/simulator/runModel.js';
import { parseScenario } from '../src/simulator/scenario.js';
import { capacityBench } from './capacity.js';
import { loopbackPerCall, realStackBench, withLoopback } from './realStack.js';
import { writeCapacityChart } from './capacityChart.js';
import { switchBaseline } from './switchBaseline.js';
import { coldStartBench, shutdownBench, type ShutdownCase } from './worker.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const QUICK = values.quick;
/**
 * How long a call whose close does not finish is watched. The framework never ends such a job by itself (after its
 * own ctx.shutdown() no kill timer applies); the full run watches as long as the worker's kill timer would be, had
 * the worker started the close (shutdownProcessTimeout, 60 s).
 */
const WINDOW_MS = QUICK ? 8_000 : 60_000;

const SHUTDOWN_CASES: ShutdownCase[] = [
  { case: 'cooperative', tasks: { count: 20, honourAbort: true }, callbacks: ['ok'] },
  { case: 'stuck-tasks', tasks: { count: 20, honourAbort: false }, callbacks: ['ok'] },
  { case: 'stuck-callback', tasks: { count: 20, honourAbort: true }, callbacks: ['hangs'] },
];

/** Away → check-in → goodbye against schedule on a real clock, with a Silero VAD stream busy in the same process. */
async function timerBench() {
  const vad = await silero.VAD.load();
  const stream = vad.stream();
  const silence = new Int16Array(160);
  const feeder = setInterval(() => stream.pushFrame(new AudioFrame(silence, 16000, 1, 160)), 10);
  void (async () => {
    for await (const _ of stream) {
      /* drain events */
    }
  })();
  const errors: number[] = [];
  // Three intervals a call (check-in 1 → 2 → 3 → goodbye). Calls run `concurrent` at a time, as many batches as it
  // takes for at least 200 samples: the p99 of 30 samples was its second-largest value.
  const concurrent = QUICK ? 10 : 40;
  const batches = Math.ceil(200 / (3 * concurrent));
  const config = defineConfig({ presence: { userAwayTimeout: 15 }, checkIn: { mode: 'fixed', interval: 0.2, maxPrompts: 3, maxSeconds: 1 }, goodbye: { maxSeconds: 1 } });
  for (let b = 0; b < batches; b++) {
    await Promise.all(
      Array.from({ length: concurrent }, () =>
        new Promise<void>((resolve) => {
          let last = 0;
          const actor = createCallActor(
            (c) => {
              const now = performance.now();
              if (c.type === 'checkIn' || c.type === 'goodbye') {
                if (last) errors.push(Math.abs(now - last - config.checkIn.interval * 1000));
                // Playout reported at once: the next prompt is due `interval` after it.
                last = now;
                setImmediate(() => actor.send({ type: 'PLAYOUT_FINISHED', prompt: c.type === 'goodbye' ? 'goodbye' : 'checkIn', attempt: c.type === 'checkIn' ? c.attempt : undefined, interrupted: false }));
              }
              if (c.type === 'shutdown') resolve();
            },
            { input: callSettings(config) },
          ).start();
          actor.send({ type: 'AGENT_STATE', state: 'listening' });
          actor.send({ type: 'USER_STATE', state: 'away' });
        }),
      ),
    );
  }
  clearInterval(feeder);
  stream.close();
  errors.sort((a, b) => a - b);
  const q = (p: number) => round(errors[Math.min(errors.length - 1, Math.floor(p * errors.length))]!);
  return { p50ErrorMs: q(0.5), p99ErrorMs: q(0.99), samples: errors.length };
}

function simulationBench() {
  const steps = Array.from({ length: 36 }, (_, i) => ({ at: i * 100, say: 'still here, just thinking about it' }));
  const scenario = parseScenario({ name: 'one hour', steps, until: 3600, config: { presence: { userAwayTimeout: 60 } } });
  // One run to warm the JIT, then the median of five: a one-hour call takes tens of milliseconds, where a single run
  // is mostly noise (a GC, a compile).
  runModel(scenario, agentConfig);
  const walls: number[] = [];
  let simulated = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const r = runModel(scenario, agentConfig);
    walls.push((performance.now() - t) / 1000);
    simulated = r.timeline.at(-1)!.t;
  }
  const wall = walls.sort((a, b) => a - b)[2]!;
  const g0 = performance.now();
  const { states, transitions } = explore(callSettings(agentConfig));
  return { simulation: { simulatedSeconds: round(simulated), wallSeconds: round(wall), speedup: Math.round(simulated / wall) }, graph: { seconds: round((performance.now() - g0) / 1000), states: states.size, transitions: transitions.length } };
}

function machineBench() {
  const n = QUICK ? 100_000 : 500_000;
  const events = [
    { type: 'USER_STATE', state: 'speaking' },
    { type: 'USER_STATE', state: 'listening' },
    { type: 'AGENT_STATE', state: 'thinking' },
    { type: 'AGENT_STATE', state: 'speaking' },
    { type: 'AGENT_STATE', state: 'listening' },
    { type: 'TRANSCRIPT', text: 'hello' },
  ] as const;
  const actor = createCallActor(() => {}, { input: callSettings(agentConfig) }).start();
  let t = performance.now();
  for (let i = 0; i < n; i++) actor.send(events[i % events.length]!);
  const eventsPerSecond = Math.round(n / ((performance.now() - t) / 1000));
  actor.stop();
  const base = switchBaseline();
  t = performance.now();
  for (let i = 0; i < n; i++) base.send(events[i % events.length]!);
  const baselineEventsPerSecond = Math.round(n / ((performance.now() - t) / 1000));

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const actors = Array.from({ length: 1000 }, () => createCallActor(() => {}, { input: callSettings(agentConfig) }).start());
  gc?.();
  const heapBytesPerSession = Math.round((process.memoryUsage().heapUsed - before) / actors.length);
  actors.forEach((a) => a.stop());
  return { eventsPerSecond, baselineEventsPerSecond, heapBytesPerSession, gcExposed: Boolean(gc) };
}

const round = (x: number) => Math.round(x * 100) / 100;

async function main() {
  initializeLogger({ pretty: false, level: 'error' });
  const started = performance.now();
  const shutdown = await shutdownBench(SHUTDOWN_CASES, WINDOW_MS);
  const coldStart = await coldStartBench(QUICK ? 5 : 9);
  const capacity = await capacityBench({ quick: QUICK, coldStart });
  const timer = await timerBench();
  const { simulation, graph } = simulationBench();
  const machine = machineBench();
  // Last, on a machine the sections above no longer load: LiveKit's real stack, when it is installed and up.
  const realStack = withLoopback(await realStackBench({ quick: QUICK }), loopbackPerCall(capacity, 'capacity.overhead.ours (this run)'));
  const results = {
    machine: { ...machine },
    shutdown,
    coldStart,
    timer,
    simulation,
    graph,
    capacity,
    realStack,
    meta: { quick: QUICK, node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGB: Math.round(totalmem() / 2 ** 30), wallSeconds: round((performance.now() - started) / 1000), date: new Date().toISOString() },
  };
  writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.table(shutdown);
  console.table({ coldStart: { coldStartMs: coldStart.coldStartMs, samples: coldStart.samples.length } });
  console.table({ timer, simulation, graph, machine });
  const { cpuRatio, memRatio, maxCalls, p99AtMaxMs, coldStartMs } = capacity;
  console.table({ capacity: { cpuRatio, memRatio, maxCalls, p99AtMaxMs, coldStartMs, brokeAt: capacity.brokeAt?.why ?? 'not in range' } });
  console.table(capacity.steps);
  if ('absent' in realStack) console.log(`realStack: absent (${realStack.absent})`);
  else console.log(`realStack: ${JSON.stringify({ deleteRoomToExit: realStack.deleteRoomToExit, goodbyeEndToRoomGone: realStack.goodbyeEndToRoomGone, answerToAmdVerdict: realStack.answerToAmdVerdict })}`);
  console.log(`wrote ${writeCapacityChart()}`);
  console.log(`wrote bench/results.json in ${results.meta.wallSeconds} s`);
  process.exit(0); // the Silero inference session keeps native handles open
}

void main();
