/**
 * The benchmark's measurements through the framework's real worker and job processes (against the emulator):
 * the shutdown of a call, ours vs the idle-user example's pattern, and the job process cold start under the
 * production command. Every figure is read off a clock; a run that does not finish is reported as a lower bound
 * with its window, never as a constant.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LiveKitApiEmulator } from '../src/emulator/server.js';
import { build } from '../scripts/build.js';
import { buildForTests } from '../test/support/cli.js';
import { alive, KEY, SECRET, startWorker, type Line, type WorkerRun } from '../test/support/worker/run.js';
import type { BaselineScript } from './idleExampleAgent.js';

const ROOT = join(import.meta.dirname, '..');
const round = (x: number) => Math.round(x * 100) / 100;

export interface ShutdownCase {
  case: string;
  tasks: { count: number; honourAbort: boolean };
  callbacks: ('hangs' | 'ok')[];
}

interface Measured {
  /** From the close trigger to the job process's exit (its own last log line), or to the end of the window. */
  ms: number;
  /** False: the process was still running when the window closed; `ms` is then a lower bound. */
  exited: boolean;
}

/** One call in `w`: dispatch, wait for its close trigger, then for its process to end (at most `windowMs`). */
async function measureClose(w: WorkerRun, room: string, script: BaselineScript, windowMs: number): Promise<Measured> {
  const { pid } = await w.call(room, script);
  const trigger = await w.waitFor((l) => l.harness === 'closeTrigger' && l.pid === pid, `the close trigger of ${room}`);
  const t0 = trigger.at as number; // Date.now() in the job process; the log lines' `time` is on the same clock
  while (alive(pid) && Date.now() - t0 < windowMs) await new Promise((r) => setTimeout(r, 20));
  if (alive(pid)) {
    const ms = Date.now() - t0;
    process.kill(pid, 'SIGKILL'); // what the watch window stands for; nothing in the framework would end it
    return { ms, exited: false };
  }
  const last = w.lines.filter((l: Line) => l.pid === pid && l.msg === 'Job process shutdown').at(-1);
  return { ms: (last ? (last.time as number) : Date.now()) - t0, exited: true };
}

/** Each case on our agent and on the baseline, each in the framework's real job process under a real worker. */
export async function shutdownBench(cases: ShutdownCase[], windowMs: number) {
  await buildForTests(); // the worker harness and both agents run from the test build, as in the tests
  const ours = await startWorker({ logLevel: 'debug' });
  const base = await startWorker({ logLevel: 'debug', agent: join(ROOT, 'bench', 'idleExampleAgent.ts') });
  try {
    const rows = [];
    for (const c of cases) {
      const script: BaselineScript = { tasks: c.tasks, callbacks: c.callbacks, endAfterMs: 200 };
      const o = await measureClose(ours, `ours-${c.case}`, script, windowMs);
      const b = await measureClose(base, `base-${c.case}`, script, windowMs);
      rows.push({
        case: c.case,
        oursMs: round(o.ms),
        oursExited: o.exited,
        baselineMs: round(b.ms),
        // Still running at the end of the window: the ratio is a lower bound (the baseline never exits by itself:
        // after its own ctx.shutdown() no framework timer kills it).
        baselineCapped: !b.exited,
        baselineWindowMs: windowMs,
        ratio: round(b.ms / Math.max(o.ms, 0.001)),
        baselineMeasured: true,
      });
    }
    return rows;
  } finally {
    await Promise.all([ours.stop(), base.stop()]);
  }
}

/** When a process started, in epoch ms, from /proc (Linux): its start time in clock ticks after boot. */
function processStartMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]); // field 22 overall; fields[0] is field 3 (state)
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
    const ticksPerSecond = 100; // USER_HZ, fixed at 100 on Linux for /proc
    return btime * 1000 + (startTicks / ticksPerSecond) * 1000;
  } catch {
    return null;
  }
}

/**
 * Job process cold start (fork → prewarm done, i.e. the production `prewarm` loading Silero) under the Dockerfile's
 * command, `node dist/src/agent/main.js start` (after `npm run build`), connected to the
 * emulator: each worker start forks its idle processes. Resolution: /proc's start time is in 10 ms ticks.
 */
export async function coldStartBench(samples: number) {
  await build(join(ROOT, 'dist'));
  const emulator = new LiveKitApiEmulator({ apiKey: KEY, apiSecret: SECRET });
  const url = await emulator.start();
  const ms: number[] = [];
  try {
    while (ms.length < samples) {
      const child = spawn(process.execPath, ['dist/src/agent/main.js', 'start', '--log-level', 'debug'], {
        cwd: ROOT,
        env: { ...process.env, LIVEKIT_URL: url, LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET, NODE_ENV: 'production', OPENAI_API_KEY: 'sk-unused' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise((r) => child.on('exit', r));
      await new Promise<void>((resolve) => {
        let buffered = '';
        let seen = 0;
        const timer = setTimeout(resolve, 60_000);
        child.stdout.on('data', (d: Buffer) => {
          buffered += d.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          for (const text of lines) {
            if (!text.includes('"job runner initialized"')) continue;
            const l = JSON.parse(text) as { pid: number; time: number };
            const start = processStartMs(l.pid);
            if (start !== null) ms.push(l.time - start);
            if (++seen >= 2) {
              clearTimeout(timer);
              resolve();
            }
          }
        });
      });
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGINT'), 200).unref();
      await exited;
    }
  } finally {
    await emulator.stop();
  }
  const sorted = [...ms].sort((a, b) => a - b);
  return { coldStartMs: round(sorted[Math.floor(sorted.length / 2)]!), samples: sorted.map(round), initializeProcessTimeoutMs: 10_000 };
}
