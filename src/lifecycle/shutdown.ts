/**
 * One bounded, complete shutdown per call. The framework runs shutdown callbacks together with no timeout and only
 * then exits the job process, so one stuck callback (an upload to a dead endpoint) holds the job until the worker
 * kills it. Here the framework gets exactly one callback, `shutdown()`, which:
 *  1. runs every registered callback at once, each with its own deadline and an AbortSignal fired at it;
 *  2. meanwhile cancels every registered task and waits for them, with the same per-item deadline;
 *  3. names whatever is still alive (the leak report), writes the report to the session record and returns,
 * all within `shutdown.budget`. Calling it again returns the same report.
 */
import type { CloseReason } from '../../machines/events.js';
import type { AgentConfig } from '../config/schema.js';
import type { ShutdownCallbackResult, ShutdownReport } from '../record/report.js';
import type { RecordSink } from '../record/sessionRecord.js';
import { settleWithin } from './deadline.js';
import { TaskRegistry } from './tasks.js';

export type { ShutdownCallbackResult, ShutdownReport } from '../record/report.js';

export interface LifecycleLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

export interface CallLifecycleOptions {
  /** shutdown.budget, milliseconds: the whole shutdown. */
  budgetMs: number;
  /** shutdown.callbackTimeout, milliseconds: each callback's own deadline (capped by what is left of the budget). */
  callbackTimeoutMs: number;
  logger?: LifecycleLogger;
  /** Receives the report last, inside the budget (the session record's final line). */
  onReport?: (report: ShutdownReport) => Promise<void> | void;
}

interface Callback {
  name: string;
  fn: (signal: AbortSignal) => Promise<void> | void;
  timeoutMs: number;
}

/** Time kept back from the budget for the final report (writing and fsyncing one line). */
const REPORT_RESERVE_MS = 250;

export class CallLifecycle {
  readonly tasks = new TaskRegistry();
  private readonly callbacks: Callback[] = [];
  private running: Promise<ShutdownReport> | null = null;

  constructor(private readonly o: CallLifecycleOptions) {}

  /** A shutdown callback with its own deadline (default shutdown.callbackTimeout); it receives an AbortSignal. */
  addShutdownCallback(name: string, fn: Callback['fn'], opts: { timeoutMs?: number } = {}): void {
    this.callbacks.push({ name, fn, timeoutMs: opts.timeoutMs ?? this.o.callbackTimeoutMs });
  }

  shutdown(reason: CloseReason | string): Promise<ShutdownReport> {
    this.running ??= this.run(reason);
    return this.running;
  }

  private async run(reason: CloseReason | string): Promise<ShutdownReport> {
    const t0 = performance.now();
    const budget = this.o.budgetMs;
    const reserve = Math.min(REPORT_RESERVE_MS, budget / 10);
    const workEnd = t0 + budget - reserve;
    const left = () => Math.max(0, workEnd - performance.now());

    // Callbacks and task cancellation run side by side; tasks get the same per-item deadline as callbacks.
    const [results, leaked] = await Promise.all([
      Promise.all(this.callbacks.map((c) => this.runCallback(c, Math.min(c.timeoutMs, left())))),
      this.tasks.cancelAll(Math.min(this.o.callbackTimeoutMs, left())),
    ]);

    const durationMs = Math.round(performance.now() - t0);
    const report: ShutdownReport = { reason, durationMs, budgetMs: budget, withinBudget: durationMs <= budget, callbacks: results, leaked };
    if (leaked.length) this.o.logger?.warn({ leaked }, `shutdown: ${leaked.length} task(s) still alive at the deadline`);
    for (const r of results.filter((x) => x.outcome !== 'ok')) this.o.logger?.warn({ ...r }, `shutdown callback ${r.name}: ${r.outcome}`);
    if (this.o.onReport) {
      const written = await settleWithin(Promise.resolve().then(() => this.o.onReport!(report)), Math.max(0, t0 + budget - performance.now()));
      if (written.status !== 'ok') this.o.logger?.warn({ outcome: written.status }, 'shutdown report not written');
    }
    report.durationMs = Math.round(performance.now() - t0);
    report.withinBudget = report.durationMs <= budget;
    this.o.logger?.info({ reason, durationMs: report.durationMs, budgetMs: budget, leaked: leaked.length }, 'shutdown complete');
    return report;
  }

  private async runCallback(c: Callback, timeoutMs: number): Promise<ShutdownCallbackResult> {
    const start = performance.now();
    const controller = new AbortController();
    const r = await settleWithin(Promise.resolve().then(() => c.fn(controller.signal)), timeoutMs);
    if (r.status === 'timeout') controller.abort(new Error(`shutdown callback ${c.name} timed out after ${Math.round(timeoutMs)} ms`));
    const result: ShutdownCallbackResult = { name: c.name, outcome: r.status, ms: Math.round(performance.now() - start) };
    if (r.status === 'error') result.error = r.error instanceof Error ? r.error.message : String(r.error);
    return result;
  }
}

/** A call's lifecycle from its config (`shutdown.*`), reporting into the session record's last line. */
export function callLifecycle(config: AgentConfig, sink: RecordSink | null, now: () => number, logger?: LifecycleLogger): CallLifecycle {
  return new CallLifecycle({
    budgetMs: config.shutdown.budget * 1000,
    callbackTimeoutMs: config.shutdown.callbackTimeout * 1000,
    ...(logger ? { logger } : {}),
    onReport: (report) => sink?.close({ type: 'shutdownReport', t: now(), ...report }),
  });
}
