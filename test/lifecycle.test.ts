/**
 * The end of a call as the job process lives it: each test runs the real `startCall` wiring in a child Node process
 * with a fake-job JobContext, the real AgentSession and the emulator (src/lifecycle/fakeJob.ts), and watches it end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ShutdownReport } from '../src/lifecycle/shutdown.js';
import type { FakeJobOptions } from '../src/lifecycle/fakeJob.js';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const BUDGET_MS = 5000; // shutdown.budget default

interface Line {
  event: string;
  at: number;
  [k: string]: unknown;
}

/** Runs the fake job; `kill` sends a signal once the child printed `started` (after `afterMs`). */
function runJob(opts: FakeJobOptions, kill?: { signal: NodeJS.Signals; afterMs: number }) {
  return new Promise<{ lines: Line[]; code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    const child = spawn(TSX, [join(ROOT, 'src', 'lifecycle', 'fakeJob.ts'), JSON.stringify(opts)], { cwd: ROOT });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (kill && out.includes('"event":"started"')) {
        const k = kill;
        kill = undefined;
        setTimeout(() => child.kill(k.signal), k.afterMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      const lines = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
      resolve({ lines, code, signal, stderr });
    });
  });
}

const find = (lines: Line[], event: string) => lines.find((l) => l.event === event);

describe('job lifecycle in a child process (fake job, real AgentSession, emulator)', () => {
  it('cooperative tasks: shutdown within the budget, no live handles, the process exits on its own (no process.exit)', async () => {
    const { lines, code } = await runJob({ exit: 'natural', end: { afterMs: 200 }, tasks: { count: 20, honourAbort: true } });
    expect(code).toBe(0);
    const report = find(lines, 'callbacksDone')!.report as ShutdownReport;
    expect(report).toMatchObject({ reason: 'end_requested', withinBudget: true, leaked: [] });
    expect(report.callbacks.every((c) => c.outcome === 'ok')).toBe(true);
    const before = find(lines, 'beforeExit');
    expect(before, 'the event loop emptied: nothing kept the process alive').toBeDefined();
    expect((before!.resources as string[]).filter((r) => !['PipeWrap', 'TTYWrap'].includes(r))).toEqual([]);
    expect(before!.at - find(lines, 'shutdownRequested')!.at).toBeLessThan(BUDGET_MS);
    expect(find(lines, 'exit')).toBeUndefined();
  });

  it('tasks that ignore abort, a callback that never returns, one that throws: still within the budget, leaks named, the job exits', async () => {
    const { lines, code } = await runJob({
      exit: 'framework',
      end: { afterMs: 200 },
      tasks: { count: 20, honourAbort: false },
      callbacks: ['hangs', 'throws', 'ok'],
    });
    expect(code).toBe(0);
    const report = find(lines, 'callbacksDone')!.report as ShutdownReport;
    expect(report.withinBudget).toBe(true);
    expect(find(lines, 'callbacksDone')!.at - find(lines, 'shutdownRequested')!.at).toBeLessThan(BUDGET_MS);
    // Every callback was attempted, each with its outcome.
    expect(report.callbacks.map((c) => [c.name, c.outcome])).toEqual([
      ['bridge.drain', 'ok'],
      ['hangs-callback-0', 'timeout'],
      ['throws-callback-1', 'error'],
      ['ok-callback-2', 'ok'],
    ]);
    // The leak report names what is still alive, for the user to fix.
    expect(report.leaked.map((t) => t.name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `background-${i}`).sort());
    const logged = lines.filter((l) => l.event === 'log').map((l) => l.msg);
    expect(logged).toContain('shutdown: 20 task(s) still alive at the deadline');
    expect(find(lines, 'exit')).toMatchObject({ how: 'process.exit' });
  });

  it('SIGTERM mid-dial: the dial settles within the drain deadline, then the close path runs, recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'records-'));
    const { lines, code } = await runJob(
      { exit: 'natural', end: 'signal', dial: '+15550001111', sip: { '+15550001111': { outcome: 'answered', ringSeconds: 1.5 } }, recordDir: dir },
      { signal: 'SIGTERM', afterMs: 300 },
    );
    expect(code).toBe(0);
    expect((find(lines, 'callbacksDone')!.report as ShutdownReport).reason).toBe('drain');
    const [file] = readdirSync(dir);
    const record = readFileSync(join(dir, file!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    const types = record.map((r) => r.type);
    expect(types.indexOf('sigterm')).toBeLessThan(types.indexOf('dialEnd'));
    expect(record.find((r) => r.type === 'dialEnd')).toMatchObject({ outcome: 'answered' });
    expect(types.indexOf('dialEnd')).toBeLessThan(types.indexOf('sessionClose'));
    expect(record.at(-1)).toMatchObject({ type: 'shutdownReport', reason: 'drain', withinBudget: true });
    expect(typeof record.at(-1)!.durationMs).toBe('number');
  });

  it('an unwritable record.dir: a warning naming the dir, and the call goes on and ends normally', async () => {
    // A directory under a regular file cannot be created, even as root.
    const file = join(mkdtempSync(join(tmpdir(), 'records-')), 'not-a-dir');
    writeFileSync(file, '');
    const dir = join(file, 'sub');
    const { lines, code, stderr } = await runJob({ exit: 'natural', end: { afterMs: 200 }, recordDir: dir });
    expect(stderr).not.toContain('ENOTDIR');
    expect(code).toBe(0);
    const warning = lines.find((l) => l.event === 'log' && l.msg === 'session record write failed');
    expect((warning!.fields as { error: string }).error).toContain(dir);
    expect(find(lines, 'callbacksDone')!.report).toMatchObject({ reason: 'end_requested', withinBudget: true });
  });

  it('SIGKILL mid-call: the session record still parses line by line up to the last event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'records-'));
    const { code, signal } = await runJob(
      { exit: 'natural', end: 'signal', dial: '+15550001111', sip: { '+15550001111': { outcome: 'busy', ringSeconds: 0.3 } }, recordDir: dir },
      { signal: 'SIGKILL', afterMs: 1200 },
    );
    expect(code).toBeNull();
    expect(signal).toBe('SIGKILL');
    const [file] = readdirSync(dir);
    const text = readFileSync(join(dir, file!), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const record = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(record[0]).toMatchObject({ type: 'session' });
    expect(record.map((r) => r.type)).toEqual(expect.arrayContaining(['dialStart', 'dialEnd']));
    expect(record.map((r) => r.type)).not.toContain('shutdownReport');
  });
});
