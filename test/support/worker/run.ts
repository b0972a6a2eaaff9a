/**
 * Runs the framework's real worker (`test/support/worker/main.ts`: `cli.runApp` with `start`) as a child process
 * against the emulator, which serves both the agent worker protocol and the server API on one 127.0.0.1 port. The
 * worker's process pool forks real job processes running `roomlessAgent.ts`. Everything the worker and its job
 * processes print (pino JSON logs and the harness's `{"harness": ...}` lines) is parsed as it arrives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentConfigInput } from '../../../src/config/schema.js';
import type { ShutdownReport } from '../../../src/record/report.js';
import type { DispatchedJob } from '../../../src/emulator/agentDispatch.js';
import { LiveKitApiEmulator, type EmulatorCall } from '../../../src/emulator/server.js';
import type { SipEntry } from '../../../src/sip/entry.js';
import type { HarnessScript } from './roomlessAgent.js';
import { builtPath } from '../../../scripts/build.js';
import { followChild, type Line } from '../childLines.js';
import { nodeArgs, TEST_BUILD } from '../cli.js';

export type { Line };

const ROOT = join(import.meta.dirname, '..', '..', '..');
export const KEY = 'APIworkertest';
export const SECRET = 'worker-emulator-secret-0123456789abcdef';

export interface WorkerOptions {
  sip?: Record<string, SipEntry>;
  config?: AgentConfigInput;
  /** Extra environment for the worker (and, inherited, its job processes). */
  env?: Record<string, string>;
  logLevel?: 'debug' | 'info';
  /** The agent file the worker forks (default: roomlessAgent.ts). */
  agent?: string;
  /**
   * The worker process's source file (default: the harness, test/support/worker/main.ts). `src/agent/main.ts` runs
   * the production command and agent file instead; it ignores the harness's variables and serves its health check on
   * the production port.
   */
  entry?: string;
  /** The worker's working directory (default: the project root). The production entry loads `.env.local` from it. */
  cwd?: string;
}

export interface WorkerRun {
  emulator: LiveKitApiEmulator;
  child: ChildProcess;
  recordDir: string;
  lines: Line[];
  stderr: () => string;
  /** The worker's exit. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first line (already seen or still to come) that matches. */
  waitFor(match: (l: Line) => boolean, what: string, timeoutMs?: number): Promise<Line>;
  /** Resolves with the first server API call that matches. */
  waitForCall(match: (c: EmulatorCall) => boolean, what: string, timeoutMs?: number): Promise<EmulatorCall>;
  /** Dispatches a job whose call plays `script`; resolves once its job process ran the entry (`started`). */
  call(room: string, script: HarnessScript, metadata?: string): Promise<{ job: DispatchedJob; pid: number }>;
  /** The session record of a call (one JSON object per line). */
  record(room: string): { type: string; [k: string]: unknown }[];
  /** The worker's health endpoint (`/worker`): what it believes is running. */
  info(): Promise<{ active_jobs: number }>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export async function startWorker(o: WorkerOptions = {}): Promise<WorkerRun> {
  const emulator = new LiveKitApiEmulator({ apiKey: KEY, apiSecret: SECRET, sip: o.sip ?? {} });
  const url = await emulator.start();
  const recordDir = mkdtempSync(join(tmpdir(), 'worker-records-'));
  const port = await freePort();
  // From the test build (globalSetup.ts), as production runs dist/: the job processes the worker forks load the
  // framework from JavaScript, not through tsx's module hooks.
  const child = spawn(process.execPath, nodeArgs(o.entry ?? 'test/support/worker/main.ts', ['start', '--log-level', o.logLevel ?? 'debug']), {
    cwd: o.cwd ?? ROOT,
    env: {
      ...process.env,
      LIVEKIT_URL: url,
      LIVEKIT_API_KEY: KEY,
      LIVEKIT_API_SECRET: SECRET,
      OPENAI_API_KEY: '',
      HARNESS_HTTP_PORT: String(port),
      AGENT_RECORD_DIR: recordDir,
      AGENT_CONFIG_JSON: JSON.stringify(o.config ?? {}),
      HARNESS_AGENT: o.agent ? builtPath(TEST_BUILD, o.agent) : '',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { lines, stderr, exited, waitFor } = followChild(child);

  const waitForCall = (match: (c: EmulatorCall) => boolean, what: string, timeoutMs = 60_000): Promise<EmulatorCall> =>
    new Promise((resolve, reject) => {
      const hit = emulator.calls.find(match);
      if (hit) return resolve(hit);
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; calls: ${emulator.calls.map((c) => c.method).join(', ')}`)), timeoutMs);
      const on = (c: EmulatorCall) => {
        if (!match(c)) return;
        clearTimeout(timer);
        emulator.off('call', on);
        resolve(c);
      };
      emulator.on('call', on);
    });

  return {
    emulator,
    child,
    recordDir,
    lines,
    stderr,
    exited,
    waitFor,
    waitForCall,
    async call(room, script, metadata) {
      const job = await emulator.agents.dispatch({ room, roomMetadata: JSON.stringify(script), ...(metadata ? { metadata } : {}) }, 60_000);
      const started = await waitFor((l) => (l.harness === 'started' || l.harness === 'entry') && l.job === job.job.id, `job ${job.job.id} to start`);
      return { job, pid: started.pid! };
    },
    record(room) {
      const file = readdirSync(recordDir).find((f) => f.startsWith(`${room}-`));
      if (!file) throw new Error(`no session record for room ${room} in ${recordDir}`);
      return readFileSync(join(recordDir, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    },
    async info() {
      const res = await fetch(`http://127.0.0.1:${port}/worker`);
      return (await res.json()) as { active_jobs: number };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // Twice, as Ctrl-C twice: the framework's force exit; its job processes end with the IPC channel.
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGINT'), 200).unref();
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      // A job process whose event loop is blocked outlives its worker (its orphan timer never fires): end it here,
      // or it would load the machine for every test after this one.
      for (const pid of new Set(lines.map((l) => l.pid))) if (pid !== undefined && pid !== child.pid && alive(pid)) process.kill(pid, 'SIGKILL');
      await emulator.stop();
    },
  };
}

/** Whether a process is still alive (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `pid` is gone; resolves with how long that took (measured), or rejects after `timeoutMs`. */
export async function exitOf(pid: number, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (alive(pid)) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`process ${pid} still alive after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}

/** The framework's lines that mean a job process was killed or never finished. */
export const KILL_LINES = [/unresponsive/i, /killing/i, /did not exit/i, /taking too much time/i, /did not acknowledge/i, /orphaned/i];

/** How long a test waits for a job process to exit: below the framework's 60 s kill timer, far above the 5 s budget. */
export const EXIT_LIMIT_MS = 45_000;

/** The shutdown report job process `pid` printed (the harness's `report` line). */
export const reportOf = async (w: WorkerRun, pid: number): Promise<ShutdownReport> =>
  (await w.waitFor((l) => l.harness === 'report' && l.pid === pid, `the shutdown report of job process ${pid}`)).report as ShutdownReport;
/** The framework's log messages from job process `pid`. */
export const logOf = (w: WorkerRun, pid: number) => w.lines.filter((l) => l.pid === pid && typeof l.msg === 'string').map((l) => l.msg!);
/** The lines among `lines` that say a process was killed or never finished. */
export const killLines = (lines: Line[]) => lines.filter((l) => typeof l.msg === 'string' && KILL_LINES.some((re) => re.test(l.msg!))).map((l) => l.msg);
export const types = (record: { type: string }[]) => record.map((r) => r.type);
/** The emulator's API calls of `method` for `room`. */
export const callsTo = (w: WorkerRun, room: string, method: string) => w.emulator.calls.filter((c) => c.method === method && (c.request.room ?? c.request.roomName) === room);
