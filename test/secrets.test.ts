/**
 * Secrets never reach logs or session records. Every entry point runs here with real-looking secrets in its
 * environment (LIVEKIT_API_SECRET, OPENAI_API_KEY): the backend end-session CLI (with a right and a wrong secret), the
 * agent-mode simulator writing a session record, a call through the framework's real worker and job process (the
 * production entry, debug logs on) with a record, and local mode. Everything
 * they write (stdout, stderr, record files) is captured and searched for the secrets and for any JWT.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveKitApiEmulator } from '../src/emulator/server.js';
import { runCommand } from './support/cli.js';
import { EXIT_LIMIT_MS, exitOf, SECRET as WORKER_SECRET, startWorker } from './support/worker/run.js';

const LIVEKIT_SECRET = 'lk-secret-Zq8v1T0pS3cr3tValue-7f3a9c2e41d8b6';
const OPENAI_KEY = 'sk-proj-T3stOnlyKeyNotReal-5c0ffee5c0ffee5c0ffee';
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./; // any bearer token the SDK minted

let emulator: LiveKitApiEmulator;
let url = '';
const captured: { source: string; text: string }[] = [];

const run = async (args: string[], env: Record<string, string> = {}, input?: string) => {
  const { stdout, stderr } = await runCommand(args, { env: { ...process.env, LIVEKIT_API_SECRET: LIVEKIT_SECRET, OPENAI_API_KEY: OPENAI_KEY, ...env }, ...(input !== undefined ? { input } : {}) });
  captured.push({ source: args.join(' '), text: `${stdout}\n${stderr}` });
};

/** A call through the framework's real worker and job process (the production entry), debug logs on, to its end. */
async function workerCall(): Promise<void> {
  // The job process starts when the job is assigned (production keeps min(CPUs, 4) warm; the drain test runs with those).
  const w = await startWorker({ logLevel: 'debug', env: { OPENAI_API_KEY: OPENAI_KEY, HARNESS_IDLE_PROCESSES: '0' }, sip: { '+15550001111': { outcome: 'answered', ringSeconds: 0.5 } } });
  try {
    const { pid } = await w.call('secret-room', { dial: '+15550001111', endAfterMs: 1500 });
    await w.waitFor((l) => l.harness === 'report' && l.pid === pid, 'the call to end');
    await exitOf(pid, EXIT_LIMIT_MS);
  } finally {
    await w.stop();
    captured.push({ source: 'worker and job process output', text: `${w.lines.map((l) => JSON.stringify(l)).join('\n')}\n${w.stderr()}` });
    captured.push(...records(w.recordDir));
  }
}

const records = (dir: string) => readdirSync(dir).map((f) => ({ source: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));

beforeAll(async () => {
  emulator = new LiveKitApiEmulator({ apiKey: 'APIsecrettest', apiSecret: LIVEKIT_SECRET });
  url = await emulator.start();
  const simDir = mkdtempSync(join(tmpdir(), 'secret-sim-'));
  const lk = { LIVEKIT_URL: url, LIVEKIT_API_KEY: 'APIsecrettest' };
  await Promise.all([
    run(['src/cli/endSession.ts', '--room', 'r1'], lk),
    run(['src/cli/endSession.ts', '--room', 'r2'], { ...lk, LIVEKIT_API_SECRET: `${LIVEKIT_SECRET}-wrong` }),
    run(['src/cli/simulate.ts', 'scenarios/04-dial-guard.json', '--mode', 'agent', '--time-scale', '0.05', '--record-dir', simDir, '--json']),
    workerCall(),
    // Local mode without the OpenAI key (it would try to reach OpenAI), still with the LiveKit secret in its env.
    run(['src/agent/main.ts', 'local'], { OPENAI_API_KEY: '' }, ''),
  ]);
  captured.push(...records(simDir));
}, 120_000);

afterAll(() => emulator.stop());

describe('secrets in output', () => {
  it('captured every entry point and record', () => {
    expect(captured.length).toBeGreaterThanOrEqual(7);
    expect(captured.some((c) => c.text.includes('"type":"shutdownReport"'))).toBe(true);
    expect(captured.some((c) => c.text.includes('could not delete room "r2"'))).toBe(true); // the wrong secret failed
  });

  it('no LIVEKIT_API_SECRET, OPENAI_API_KEY or token anywhere', () => {
    const leaks = captured
      .filter((c) => c.text.includes(LIVEKIT_SECRET) || c.text.includes(WORKER_SECRET) || c.text.includes(OPENAI_KEY) || JWT.test(c.text))
      .map((c) => c.source);
    expect(leaks).toEqual([]);
  });
});
