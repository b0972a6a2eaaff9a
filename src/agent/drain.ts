/**
 * A deploy must never cut a call. On SIGTERM (`start` mode) the framework's CLI drains the worker (no new jobs, running
 * ones may finish) and then closes it. In @livekit/agents 1.9, `AgentServer.drain()` joins every process the pool
 * lists, and the pool lists a process before it has started (`ipc/proc_pool.ts`: it waits for the pool's init lock
 * after listing it); `join()` of such a process throws "runner not started" (`ipc/supervised_proc.ts`). The CLI logs
 * that and closes the worker at once, which ends every running call: no goodbye, rooms deleted. It happens whenever a
 * pool slot is still refilling when SIGTERM arrives: in the worker's first seconds, and after two calls close together.
 *
 * The workaround uses only what is public: when the framework's drain throws that error, running jobs are
 * waited for here (`activeJobs`, polled), within the same drain timeout, and then the drain returns as the framework's
 * would have. The drain had already marked the worker full (no new jobs) and closed the idle processes before it threw.
 * test/deploy.test.ts runs the framework's real worker through a refill: with this, calls reach their natural end;
 * and it fails loudly the day the framework no longer throws, so that this file can go.
 */
import { AgentServer, log } from '@livekit/agents';

/** The framework's own words (supervised_proc.ts), the only thing that tells this failure from any other. */
export const RUNNER_NOT_STARTED = 'runner not started';
/** How often running jobs are counted while waiting: a call's end is seconds long, so this costs nothing. */
const POLL_MS = 250;

type Drain = (this: AgentServer, timeout?: number) => Promise<void>;
const patched = new WeakSet<Drain>();

/**
 * Makes `AgentServer.prototype.drain` wait for running calls when the framework's own drain throws "runner not
 * started". Idempotent. `drainTimeoutMs` is the worker's `ServerOptions.drainTimeout` (the framework's drain uses it
 * when no timeout is passed, as the CLI passes none).
 */
export function keepCallsThroughDrain(drainTimeoutMs: number): void {
  const original = AgentServer.prototype.drain as Drain;
  if (patched.has(original)) return;
  const drain: Drain = async function (this: AgentServer, timeout?: number) {
    const started = performance.now();
    try {
      await original.call(this, timeout);
      return;
    } catch (e) {
      if (!(e instanceof Error) || e.message !== RUNNER_NOT_STARTED) throw e;
    }
    const limit = timeout ?? drainTimeoutMs;
    log().warn({ activeJobs: this.activeJobs.length, workaround: 'src/agent/drain.ts' }, `the framework's drain failed (${RUNNER_NOT_STARTED}): waiting for the running calls here`);
    while (this.activeJobs.length > 0) {
      if (limit && performance.now() - started >= limit) throw new Error(`timed out draining: ${this.activeJobs.length} job(s) still running after ${limit} ms`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };
  patched.add(drain);
  AgentServer.prototype.drain = drain as AgentServer['drain'];
}
