/**
 * Every background task the call starts (and every promise it must not abandon) is registered here, with a name and an AbortController
 * (the framework's own `Task`). At shutdown all are cancelled and awaited up to a deadline; whatever is still alive
 * then is returned by name: the leak report users can act on.
 */
import { Task } from '@livekit/agents';
import type { LiveTask } from '../record/report.js';
import { settleWithin } from './deadline.js';

export type { LiveTask } from '../record/report.js';

interface Entry {
  name: string;
  startedAt: number;
  cancel: () => void;
  done: Promise<unknown>;
}

export class TaskRegistry {
  private readonly entries = new Set<Entry>();
  private closed = false;

  /** Starts `fn` as a named task; it should stop when `signal` aborts. After shutdown began it starts aborted. */
  run<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const task = Task.from((controller) => fn(controller.signal), undefined, name);
    this.add(name, task.result, () => task.cancel());
    if (this.closed) task.cancel();
    return task.result;
  }

  /** Tracks a promise started elsewhere (a speech playout, an HTTP call), with what cancelling it means, if anything. */
  add<T>(name: string, done: Promise<T>, cancel: () => void = () => {}): Promise<T> {
    const entry: Entry = { name, startedAt: performance.now(), cancel, done };
    this.entries.add(entry);
    const forget = () => this.entries.delete(entry);
    done.then(forget, forget);
    return done;
  }

  get alive(): LiveTask[] {
    const now = performance.now();
    return [...this.entries].map((e) => ({ name: e.name, ageMs: Math.round(now - e.startedAt) }));
  }

  /** Waits for the tasks alive now (and any they start) to finish on their own, at most `ms`. */
  private async settle(ms: number): Promise<void> {
    const until = performance.now() + ms;
    while (this.entries.size && performance.now() < until) {
      await settleWithin(Promise.allSettled([...this.entries].map((e) => e.done)), until - performance.now());
    }
  }

  /** Cancels everything, refuses new work, and waits at most `ms`. Returns what is still alive (the leaks). */
  async cancelAll(ms: number): Promise<LiveTask[]> {
    this.closed = true;
    for (const e of this.entries) e.cancel();
    await this.settle(ms);
    return this.alive;
  }
}
