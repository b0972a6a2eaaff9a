/**
 * The agent file the framework's real worker forks in the worker tests. It is the production entry (`callEntry`
 * from src/agent/agent.ts, the production `prewarm` with Silero) with one difference: no SFU can run here, so the
 * call joins without a room (a text AgentSession with the framework's FakeLLM, no caller). The worker, its process
 * pool, the job process, IPC, prewarm, drain and the kill paths are all the framework's own.
 *
 * What the call does is scripted by the room's metadata (`ctx.job.room.metadata`, set by the emulator's dispatch),
 * so each job of one worker can play a different call. It prints `{"harness": ...}` lines on stdout (the worker's
 * stdout: job processes inherit it) so the test can follow the job process.
 */
import { createRequire, findSourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineAgent, voice, type JobContext } from '@livekit/agents';
import { DisconnectReason, RoomEvent } from '@livekit/rtc-node';
// Through the production agent file, as a job process loads it: the plugins, then source maps, then the agent.
import { callEntry, prewarm } from '../../../src/agent/agent.js';
import { createTextSession } from '../../../src/local/textSession.js';

export interface HarnessScript {
  /** Ask the machine to dial this number once the call runs (as the add_participant tool would). */
  dial?: string;
  /** Background tasks the call starts: `honourAbort: false` ones ignore cancellation (leaks). */
  tasks?: { count: number; honourAbort: boolean };
  /** Extra shutdown work through startCall: `hangs` never settles (an upload to a dead endpoint), `throws` rejects. */
  callbacks?: ('hangs' | 'throws' | 'ok')[];
  /** A backend asks to end the call after this many ms. */
  endAfterMs?: number;
  /** A backend asks to end the call this many ms after the job process got a SIGTERM (a deploy in progress). */
  endAfterSigtermMs?: number;
  /** The room connection ends after `ms` with this rtc-node DisconnectReason (the event the Rust core would emit). */
  disconnect?: { afterMs: number; reason: keyof typeof DisconnectReason };
  /** The entry throws: before the call starts, or right after it started. */
  throws?: 'before' | 'after';
}

export const emit = (harness: string, fields: Record<string, unknown> = {}): void =>
  void process.stdout.write(`${JSON.stringify({ harness, pid: process.pid, at: Date.now(), ...fields })}\n`);

const roomless = callEntry(async (_ctx, config) => ({ session: createTextSession(new voice.testing.FakeLLM([]), config.presence.userAwayTimeout) }));

export default defineAgent({
  prewarm: async (proc) => {
    await prewarm(proc);
    // Which source maps this job process holds (the worker forks it without --enable-source-maps; agent.ts turns
    // them on after the framework and plugins): the agent's, not the framework's.
    const mapped = (file: string) => findSourceMap(file) !== undefined;
    emit('prewarmed', {
      sourceMaps: {
        agent: mapped(fileURLToPath(new URL('../../../src/agent/entry.js', import.meta.url))),
        framework: mapped(createRequire(import.meta.url).resolve('@livekit/agents')),
      },
    });
  },
  entry: async (ctx: JobContext) => {
    const script = JSON.parse(ctx.job.room?.metadata || '{}') as HarnessScript;
    emit('entry', { job: ctx.job.id });
    if (script.throws === 'before') throw new Error('entry failed before the call started');
    ctx.addShutdownCallback(async () => emit('frameworkCallbacks'));
    const call = await roomless(ctx);
    void call.report.then((report) => emit('report', { report }));

    for (let i = 0; i < (script.tasks?.count ?? 0); i++) {
      const honour = script.tasks!.honourAbort;
      void call.lifecycle.tasks
        .run(`background-${i}`, (signal) =>
          new Promise<void>((resolve) => {
            const tick = setInterval(() => {}, 250);
            if (honour) signal.addEventListener('abort', () => (clearInterval(tick), resolve()), { once: true });
          }),
        )
        .catch(() => {});
    }
    for (const [i, kind] of (script.callbacks ?? []).entries()) {
      call.lifecycle.addShutdownCallback(`${kind}-callback-${i}`, () =>
        kind === 'hangs' ? new Promise<void>(() => setInterval(() => {}, 1000)) : kind === 'throws' ? Promise.reject(new Error('upload failed: 503')) : undefined,
      );
    }
    if (script.dial) call.bridge.requestDial(script.dial);
    if (script.endAfterMs !== undefined) {
      setTimeout(() => {
        emit('closeTrigger');
        call.bridge.send({ type: 'END_REQUESTED', source: 'backend' });
      }, script.endAfterMs);
    }
    if (script.endAfterSigtermMs !== undefined) {
      process.once('SIGTERM', () => setTimeout(() => call.bridge.send({ type: 'END_REQUESTED', source: 'backend' }), script.endAfterSigtermMs));
    }
    if (script.disconnect) {
      const reason = DisconnectReason[script.disconnect.reason];
      // Emitted on the job's own Room: the framework's listener (which closes the job) and ours both hear it.
      setTimeout(() => ctx.room.emit(RoomEvent.Disconnected, reason), script.disconnect.afterMs);
    }
    emit('started', { job: ctx.job.id });
    if (script.throws === 'after') throw new Error('entry failed after the call started');
  },
});
