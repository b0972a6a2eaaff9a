/**
 * The shutdown baseline, run by the framework's real worker in its real job process (the bench points the worker
 * harness at this file): the pattern of LiveKit's idle-user example on the same AgentSession. A check-in with
 * generateReply, then on close: goodbye, `session.close()`, `ctx.shutdown()`; background tasks cancelled and awaited
 * in a shutdown callback, and the app's own shutdown callbacks, all as plain `ctx.addShutdownCallback`s: the
 * framework runs them together with no timeout. The call is scripted by the room metadata, as in roomlessAgent.ts.
 */
import { defineAgent, voice, type JobContext } from '@livekit/agents';
import { prewarm } from '../src/agent/agent.js';
import { createTextSession } from '../src/local/textSession.js';
import { emit } from '../test/support/worker/roomlessAgent.js';

export interface BaselineScript {
  tasks: { count: number; honourAbort: boolean };
  callbacks: ('hangs' | 'ok')[];
  endAfterMs: number;
}

const CHECK_IN = 'Ask the user whether they are still there.';

export default defineAgent({
  prewarm,
  entry: async (ctx: JobContext) => {
    const script = JSON.parse(ctx.job.room?.metadata || '{}') as BaselineScript;
    const llm = new voice.testing.FakeLLM([{ input: `instructions: ${CHECK_IN}`, content: 'Are you still there?' }]);
    const session = createTextSession(llm, 30);
    await session.start({ agent: new voice.Agent({ instructions: 'idle example' }) });

    const controller = new AbortController();
    const tasks = Array.from({ length: script.tasks.count }, () =>
      new Promise<void>((resolve) => {
        const tick = setInterval(() => {}, 250);
        if (script.tasks.honourAbort) controller.signal.addEventListener('abort', () => (clearInterval(tick), resolve()), { once: true });
      }),
    );
    ctx.addShutdownCallback(async () => {
      controller.abort();
      await Promise.all(tasks);
    });
    for (const kind of script.callbacks) {
      ctx.addShutdownCallback(() => (kind === 'hangs' ? new Promise<void>(() => setInterval(() => {}, 1000)) : Promise.resolve()));
    }
    emit('started', { job: ctx.job.id });
    session.generateReply({ instructions: CHECK_IN });

    setTimeout(() => {
      emit('closeTrigger');
      void (async () => {
        await session.say('Goodbye.').waitForPlayout();
        await session.close();
        ctx.shutdown('user unresponsive');
      })();
    }, script.endAfterMs);
  },
});
