/**
 * Runs one of the project's commands (`tsx <file> ...`) as a child process without blocking this one: the emulator a
 * command talks to lives in the test process, and several commands of one file can run side by side.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export interface CommandRun {
  /** The exit code (the signal's name if a signal ended it). */
  status: number | string;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the command's stdin, which is then closed (an empty string: stdin closed at once). */
  input?: string;
  timeoutMs?: number;
}

export function runCommand(args: string[], o: CommandOptions = {}): Promise<CommandRun> {
  return new Promise((resolve) => {
    const child = execFile(
      TSX,
      args,
      { env: o.env ?? process.env, cwd: o.cwd ?? ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...(o.timeoutMs ? { timeout: o.timeoutMs } : {}) },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: string }) | null;
        resolve({ status: e ? (e.signal ?? (typeof e.code === 'number' ? e.code : 1)) : 0, stdout, stderr });
      },
    );
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}
