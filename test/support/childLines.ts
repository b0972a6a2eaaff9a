/**
 * Follows a child process's output as it arrives: each stdout line that is JSON (pino's log lines, a harness's
 * `{"harness": ...}` lines) is parsed and kept, stderr is kept as text, and `waitFor` resolves with the first line,
 * already seen or still to come, that matches. Used for the framework's real worker in every harness (the emulator's
 * and the real stack's).
 */
import type { ChildProcess } from 'node:child_process';

/** One parsed stdout line: a pino log line (`msg`, `level`, `pid`) or a harness line (`harness`, `pid`). */
export interface Line {
  pid?: number;
  msg?: string;
  level?: number;
  harness?: string;
  [k: string]: unknown;
}

export interface FollowedChild {
  lines: Line[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(match: (l: Line) => boolean, what: string, timeoutMs?: number): Promise<Line>;
}

export function followChild(child: ChildProcess): FollowedChild {
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      if (!p.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(p) as Line);
      } catch {
        // a line cut by a concurrent writer: not ours to parse
      }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  const waitFor = (match: (l: Line) => boolean, what: string, timeoutMs = 60_000): Promise<Line> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = lines.find(match);
        if (!hit) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- last lines ---\n${lines.slice(-15).map((l) => JSON.stringify(l).slice(0, 300)).join('\n')}\n--- stderr ---\n${stderr.slice(-2000)}`));
      }, timeoutMs);
      if (!check()) waiters.add(check);
    });
  return { lines, stderr: () => stderr, exited, waitFor };
}
