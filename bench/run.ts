/**
 * `npm run bench [-- --quick]`: measured figures, side by side with baselines, as ratios (these machines are noisy).
 * Prints a table and writes bench/results.json. Not part of `npm test`: numbers never gate a test.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initializeLogger } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { AudioFrame } from '@livekit/rtc-node';
import { createActor } from 'xstate';
import agentConfig from '../agent.config.js';
import { callSettings } from '../machines/call.machine.js';
import { explore } from '../machines/explore.js';
import { defineConfig } from '../src/config/load.js';
import { machineWithCommands } from '../src/commands.js';
import { runModel } from '../src/simulator/runModel.js';
import { parseScenario } from '../src/simulator/scenario.js';
import { switchBaseline } from './switchBaseline.js';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const QUICK = values.quick;
/** The framework's default shutdownProcessTimeout: where the worker would SIGKILL a job that has not exited. */
const FRAMEWORK_KILL_MS = 60_000;
/** How long a baseline run is watched before it is declared stuck (it would then run into the worker's kill). */
const OBSERVE_MS = QUICK ? 8_000 : FRAMEWORK_KILL_MS;

interface Line {
  event: string;
  at: number;
}

function child(script: string, opts: unknown, observeMs: number): Promise<{ shutdownMs: number | null }> {
  return new Promise((resolve) => {
    const p = spawn(TSX, [join(ROOT, script), JSON.stringify(opts)], { cwd: ROOT });
    let buffered = '';
    const lines: Line[] = [];
    let triggeredAt: number | null = null;
    let watchdog: NodeJS.Timeout | null = null;
    p.stdout.on('data', (d: Buffer) => {
      // Only complete lines are parsed; a chunk may end mid-line.
      buffered += d.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop()!;
      for (const l of complete.filter(Boolean).map((x) => JSON.parse(x) as Line)) {
        lines.push(l);
        // Measured from the close trigger (end request) in both: goodbye, session close, callbacks, tasks.
        if (l.event === 'closeTrigger' && triggeredAt === null) {
          triggeredAt = l.at;
          watchdog = setTimeout(() => p.kill('SIGKILL'), observeMs);
        }
      }
    });
    p.on('exit', () => {
      if (watchdog) clearTimeout(watchdog);
      const done = lines.find((l) => l.event === 'callbacksDone');
      resolve({ shutdownMs: done && triggeredAt !== null ? done.at - triggeredAt : null });
    });
  });
}

async function shutdownBench() {
  const cases = [
    { case: 'cooperative', tasks: { count: 20, honourAbort: true }, callbacks: ['ok'] as ('ok' | 'hangs')[] },
    { case: 'stuck-tasks', tasks: { count: 20, honourAbort: false }, callbacks: ['ok'] as ('ok' | 'hangs')[] },
    { case: 'stuck-callback', tasks: { count: 20, honourAbort: true }, callbacks: ['hangs'] as ('ok' | 'hangs')[] },
  ];
  const rows = [];
  for (const c of cases) {
    const ours = await child('src/lifecycle/fakeJob.ts', { exit: 'framework', end: { afterMs: 200 }, tasks: c.tasks, callbacks: c.callbacks }, FRAMEWORK_KILL_MS);
    const base = await child('bench/idleExample.ts', { tasks: c.tasks, callbacks: c.callbacks, endAfterMs: 200 }, OBSERVE_MS);
    const oursMs = ours.shutdownMs ?? FRAMEWORK_KILL_MS;
    const baselineCapped = base.shutdownMs === null;
    const baselineMs = base.shutdownMs ?? FRAMEWORK_KILL_MS;
    rows.push({ case: c.case, oursMs: round(oursMs), baselineMs: round(baselineMs), ratio: round(baselineMs / Math.max(oursMs, 0.001)), baselineCapped });
  }
  return rows;
}

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
  const calls = QUICK ? 10 : 40;
  const config = defineConfig({ presence: { userAwayTimeout: 15 }, checkIn: { mode: 'fixed', interval: 0.2, maxPrompts: 3, maxSeconds: 1 }, goodbye: { maxSeconds: 1 } });
  await Promise.all(
    Array.from({ length: calls }, () =>
      new Promise<void>((resolve) => {
        let last = 0;
        const actor = createActor(
          machineWithCommands((c) => {
            const now = performance.now();
            if (c.type === 'checkIn' || c.type === 'goodbye') {
              if (last) errors.push(Math.abs(now - last - config.checkIn.interval * 1000));
              // Playout reported at once: the next prompt is due `interval` after it.
              last = now;
              setImmediate(() => actor.send({ type: 'PLAYOUT_FINISHED', prompt: c.type === 'goodbye' ? 'goodbye' : 'checkIn', attempt: c.type === 'checkIn' ? c.attempt : undefined, interrupted: false }));
            }
            if (c.type === 'shutdown') resolve();
          }),
          { input: callSettings(config) },
        ).start();
        actor.send({ type: 'AGENT_STATE', state: 'listening' });
        actor.send({ type: 'USER_STATE', state: 'away' });
      }),
    ),
  );
  clearInterval(feeder);
  stream.close();
  errors.sort((a, b) => a - b);
  const q = (p: number) => round(errors[Math.min(errors.length - 1, Math.floor(p * errors.length))]!);
  return { p50ErrorMs: q(0.5), p99ErrorMs: q(0.99), samples: errors.length };
}

function simulationBench() {
  const steps = Array.from({ length: 36 }, (_, i) => ({ at: i * 100, say: 'still here, just thinking about it' }));
  const scenario = parseScenario({ name: 'one hour', steps, until: 3600, config: { presence: { userAwayTimeout: 60 } } });
  const t = performance.now();
  const r = runModel(scenario, agentConfig);
  const wall = (performance.now() - t) / 1000;
  const simulated = r.timeline.at(-1)!.t;
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
  const actor = createActor(machineWithCommands(() => {}), { input: callSettings(agentConfig) }).start();
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
  const actors = Array.from({ length: 1000 }, () => createActor(machineWithCommands(() => {}), { input: callSettings(agentConfig) }).start());
  gc?.();
  const heapBytesPerSession = Math.round((process.memoryUsage().heapUsed - before) / actors.length);
  actors.forEach((a) => a.stop());
  return { eventsPerSecond, baselineEventsPerSecond, heapBytesPerSession, gcExposed: Boolean(gc) };
}

const round = (x: number) => Math.round(x * 100) / 100;

async function main() {
  initializeLogger({ pretty: false, level: 'error' });
  const started = performance.now();
  const shutdown = await shutdownBench();
  const timer = await timerBench();
  const { simulation, graph } = simulationBench();
  const machine = machineBench();
  const results = {
    machine: { ...machine },
    shutdown,
    timer,
    simulation,
    graph,
    meta: { quick: QUICK, node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGB: Math.round(totalmem() / 2 ** 30), wallSeconds: round((performance.now() - started) / 1000), date: new Date().toISOString() },
  };
  writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.table(shutdown);
  console.table({ timer, simulation, graph, machine });
  console.log(`wrote bench/results.json in ${results.meta.wallSeconds} s`);
  process.exit(0); // the Silero inference session keeps native handles open
}

void main();
