/**
 * Runs one of the project's commands as a child process without blocking this one: the emulator a command talks to
 * lives in the test process, and several commands of one file can run side by side. The command runs from the build
 * (`node <build>/src/cli/simulate.js`, as `npm run simulate` does from dist/), made once per test run by
 * globalSetup.ts.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { build, builtPath, PRODUCTION_SOURCES, ROOT } from '../../scripts/build.js';

export { ROOT };
/** Where globalSetup.ts builds the sources (and the worker harnesses) for the tests' child processes. */
export const TEST_BUILD = join(ROOT, 'dist-test');
/** What TEST_BUILD holds: the sources and the harnesses the test worker forks (the benchmark's baseline agent among them). */
export const TEST_BUILD_SOURCES = [...PRODUCTION_SOURCES, 'test/support/worker', 'bench/idleExampleAgent.ts'] as const;
export const buildForTests = () => build(TEST_BUILD, TEST_BUILD_SOURCES);
/** The command line that runs a source file from the test build. */
export const nodeArgs = (source: string, args: readonly string[] = []): string[] => [builtPath(TEST_BUILD, source), ...args];

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

/** Runs `[source, ...args]`: a .ts file of this project (absolute, or relative to the root), from the test build. */
export function runCommand([source, ...args]: readonly string[], o: CommandOptions = {}): Promise<CommandRun> {
  if (!source) throw new Error('runCommand: args is empty; expected the source file of a command first');
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      nodeArgs(source, args),
      { env: o.env ?? process.env, cwd: o.cwd ?? ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...(o.timeoutMs ? { timeout: o.timeoutMs } : {}) },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: string }) | null;
        resolve({ status: e ? (e.signal ?? (typeof e.code === 'number' ? e.code : 1)) : 0, stdout, stderr });
      },
    );
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}
