/**
 * The production worker (`node dist/src/agent/main.js start`, what `npm start` runs, with the same ServerOptions),
 * registered with the real livekit-server. It runs in the agent's own network namespace (10.77.0.2), so its link to
 * the server can be cut. The only differences from a deploy are the environment: the stack's credentials, scripted
 * models (no model service here), a temporary record directory, and the test's config as AGENT_CONFIG_JSON.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoomAgentDispatch } from 'livekit-server-sdk';
import type { AgentConfigInput } from '../../../src/config/schema.js';
import { recordFileName } from '../../../src/record/sessionRecord.js';
import { followChild, type FollowedChild, type Line } from '../../support/childLines.js';
import { alive, KILL_LINES } from '../../support/worker/run.js';
import { eventually, roomService, ROOT, STACK } from './stack.js';

export type RecordLine = { type: string; t?: number; [k: string]: unknown };

export interface AgentWorker extends FollowedChild {
  pid: number;
  /** Where the worker's output is kept. */
  logFile: string;
  /** The worker's agent name: rooms get it by explicit dispatch (`createRoom`), never by default. */
  agentName: string;
  recordDir: string;
  /** The call's session record, once it exists (one JSON object per line). */
  record(room: string): RecordLine[];
  /** Waits for the call's record to hold a line that matches. */
  waitForRecord(room: string, match: (l: RecordLine) => boolean, what: string, timeoutMs?: number): Promise<RecordLine>;
  /** Creates a room dispatched to this worker (with dispatch metadata, optionally). */
  createRoom(room: string, metadata?: string): Promise<void>;
  /** The job id and job process of the call in `room` (the framework's "job started" line). */
  job(room: string): Promise<{ id: string; pid: number }>;
  /** The framework's lines saying a process was killed or never finished. */
  killLines(): string[];
  stop(): Promise<void>;
}

export const DIST_MAIN = join(ROOT, 'dist', 'src', 'agent', 'main.js');

let workers = 0;

export interface AgentWorkerOptions {
  config?: AgentConfigInput;
  env?: Record<string, string>;
  /**
   * Another worker to run instead of the production build, with its arguments and folder (the example adopter's, in
   * its scratch install). It gets the same environment: the stack's credentials, AGENT_NAME, AGENT_RECORD_DIR and the
   * config as AGENT_CONFIG_JSON.
   */
  command?: { argv: string[]; cwd: string };
}

export async function startAgentWorker(o: AgentWorkerOptions = {}): Promise<AgentWorker> {
  if (!o.command && !existsSync(DIST_MAIN)) throw new Error(`${DIST_MAIN} is missing: the e2e suite runs the production build (npm run build)`);
  const recordDir = mkdtempSync(join(tmpdir(), 'e2e-records-'));
  // A named agent, as most deployments are: only rooms dispatched to it reach it, so rooms other tests create on the
  // same server (the contract test's, a second worker's) never do.
  const agentName = `e2e-${process.pid}-${workers++}`;
  const argv = o.command?.argv ?? [DIST_MAIN, 'start', '--log-level', 'debug'];
  const child = spawn('ip', ['netns', 'exec', STACK.agentNs, process.execPath, ...argv], {
    cwd: o.command?.cwd ?? ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LIVEKIT_URL: STACK.wsUrl,
      LIVEKIT_API_KEY: STACK.key,
      LIVEKIT_API_SECRET: STACK.secret,
      OPENAI_API_KEY: '',
      AGENT_MODEL_PROVIDER: 'scripted',
      AGENT_RECORD_DIR: recordDir,
      AGENT_CONFIG_JSON: JSON.stringify(o.config ?? {}),
      AGENT_NAME: agentName,
      // The test host is shared (CI: two cores, busy): the worker's load is its calls, not the machine's CPU, which
      // reads 1 on a busy host, where livekit-server dispatches nothing (worker.maxCalls).
      AGENT_MAX_CALLS: '20',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Everything the worker and its job processes print is also kept beside the stack's logs, for a failing test.
  const logFile = join(STACK.logs, `worker-${agentName}.log`);
  const log = createWriteStream(logFile);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const followed = followChild(child);
  await followed.waitFor((l) => l.msg === 'registered worker', 'the worker to register with livekit-server', 60_000);

  // startCall names the record `${room}-${jobId}`, as a file name (recordFileName keeps it to a safe alphabet).
  const recordFile = (room: string) => readdirSync(recordDir).find((f) => f.startsWith(recordFileName(`${room}-`).replace(/\.jsonl$/, '')));
  const record = (room: string): RecordLine[] => {
    const file = recordFile(room);
    if (!file) throw new Error(`no session record for room ${room} in ${recordDir}`);
    return readFileSync(join(recordDir, file), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as RecordLine);
  };
  const worker: AgentWorker = {
    ...followed,
    logFile,
    pid: child.pid!,
    agentName,
    recordDir,
    record,
    waitForRecord: (room, match, what, timeoutMs = 60_000) =>
      eventually(() => (recordFile(room) ? record(room).find(match) : undefined), `${what} in the record of ${room} (worker log: ${logFile})`, timeoutMs),
    async createRoom(room, metadata) {
      await roomService().createRoom({ name: room, emptyTimeout: 60, agents: [new RoomAgentDispatch({ agentName, metadata: metadata ?? '' })] });
    },
    async job(room) {
      const file = await eventually(() => recordFile(room), `the session record of ${room}`);
      const id = file.slice(room.length + 1, -'.jsonl'.length); // a job id (AJ_...) is already of the safe alphabet
      const started = await followed.waitFor((l) => l.msg === 'job started' && l.jobID === id, `job ${id} to start`);
      return { id, pid: started.pid! };
    },
    killLines: () => followed.lines.filter((l: Line) => typeof l.msg === 'string' && KILL_LINES.some((re) => re.test(l.msg!))).map((l) => l.msg!),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGINT'), 200).unref();
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await followed.exited;
        clearTimeout(killer);
      }
      for (const pid of new Set(followed.lines.map((l) => l.pid))) if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
  return worker;
}
