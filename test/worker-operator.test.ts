/**
 * The framework's worker under the operator's hand, each with a worker of its own (see worker.test.ts for the
 * harness): a record directory it cannot write, and the SIGTERM of a deploy or scale-down. A file of their own so
 * that they run beside the other worker tests instead of after them.
 */
import { describe, expect, it } from 'vitest';
import { EXIT_LIMIT_MS, exitOf, reportOf, startWorker, types } from './support/worker/run.js';

// Each with a worker of its own: side by side (so each test uses its own `expect`, as vitest requires of concurrent tests).
describe.concurrent('the operator', () => {
  describe("the operator's record.dir is unwritable", () => {
    it('a warning: the call goes on and ends normally', async ({ expect }) => {
      // Under a file: fails even as root. The job process starts when the job is assigned (the drain test below keeps
      // production's warm pool).
      const w = await startWorker({ env: { AGENT_RECORD_DIR: '/etc/passwd/records', HARNESS_IDLE_PROCESSES: '0' } });
      try {
        const { pid } = await w.call('no-record', { endAfterMs: 200 });
        expect((await reportOf(w, pid)).reason).toBe('end_requested');
        await exitOf(pid, EXIT_LIMIT_MS);
        expect(w.lines.some((l) => l.pid === pid && l.msg === 'session record write failed')).toBe(true);
      } finally {
        await w.stop();
      }
    }, 120_000);
  });

  describe('worker SIGTERM (a deploy or scale-down): the framework drains', () => {
    it('the running call goes on to its natural end (SIGTERM reaching its job process too), then the worker exits', async ({ expect }) => {
      const w = await startWorker();
      try {
        // The call ends (a backend ends it) 3 s after the deploy's SIGTERM, whatever the machine's speed.
        // Through dispatch metadata, presence that cannot end the call by silence while the pool warms: on a busy
        // machine that takes up to a minute, and a call with the default 15 s away timeout ended itself first (ESRCH).
        const { pid } = await w.call('draining', { endAfterSigtermMs: 3000 }, JSON.stringify({ presence: { userAwayTimeout: 600 } }));
        // The framework's drain (1.9.0) throws "runner not started" and closes every running job instead of waiting
        // when its pool holds a process that is still waiting to start (the pool replaces the one this job took).
        // Production hits that window right after a job is assigned; here, SIGTERM comes once the pool is warm again:
        // the two idle processes of production mode, plus the one this job runs in.
        await expect.poll(() => w.lines.filter((l) => l.harness === 'prewarmed').length, { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
        await new Promise((r) => setTimeout(r, 500));
        expect(w.lines.some((l) => l.pid === pid && l.harness === 'report')).toBe(false); // the call is still running
        // A process-group SIGTERM: the worker and the job process both get it.
        w.child.kill('SIGTERM');
        process.kill(pid, 'SIGTERM');
        await w.waitFor((l) => l.msg === 'draining worker', 'the worker to drain');
        const report = await reportOf(w, pid);
        expect(report.reason).toBe('end_requested'); // the call ended as it would have, not by the signal
        const record = w.record('draining');
        expect(types(record)).toContain('sigterm');
        expect(types(record).indexOf('sigterm')).toBeLessThan(types(record).indexOf('goodbye'));
        const { code } = await w.exited;
        expect(code).toBe(143); // the framework CLI's exit after a drained SIGTERM
        expect(w.lines.some((l) => l.msg === 'worker closed due to SIGTERM.')).toBe(true);
      } finally {
        await w.stop();
      }
    }, 120_000);
  });
});
