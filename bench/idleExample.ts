/**
 * The baseline: the pattern of LiveKit's idle-user example on the same AgentSession. On close it cancels its
 * background tasks and awaits them (no deadline), then runs its shutdown callbacks together (no timeout), as the
 * framework does. Run as a child: `tsx bench/idleExample.ts <json>`; prints JSON lines like src/lifecycle/fakeJob.ts.
 */
import { initializeLogger, voice } from '@livekit/agents';
import { createTextSession } from '../src/local/textSession.js';

interface Options {
  tasks: { count: number; honourAbort: boolean };
  callbacks: ('hangs' | 'ok')[];
  endAfterMs: number;
}

const emit = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, at: performance.now(), ...fields })}\n`);

async function main(o: Options): Promise<void> {
  initializeLogger({ pretty: false, level: 'error' });
  const session = createTextSession(new voice.testing.FakeLLM([]), 30);
  await session.start({ agent: new voice.Agent({ instructions: 'idle example' }) });
  const controller = new AbortController();
  const tasks = Array.from({ length: o.tasks.count }, () =>
    o.tasks.honourAbort
      ? new Promise<void>((resolve) => {
          const tick = setInterval(() => {}, 250);
          controller.signal.addEventListener('abort', () => (clearInterval(tick), resolve()), { once: true });
        })
      : new Promise<void>(() => setInterval(() => {}, 250)),
  );
  const callbacks = o.callbacks.map((kind) => (): Promise<void> => (kind === 'hangs' ? new Promise(() => setInterval(() => {}, 1000)) : Promise.resolve()));
  emit('started');
  await new Promise((r) => setTimeout(r, o.endAfterMs));
  // The example: say goodbye, close the session; then the job's cleanup.
  emit('closeTrigger');
  await session.say('Goodbye.').waitForPlayout();
  await session.close();
  controller.abort();
  await Promise.all(tasks);
  await Promise.allSettled(callbacks.map((cb) => cb()));
  emit('callbacksDone');
  process.exit(0);
}

void main(JSON.parse(process.argv[2]!) as Options);
