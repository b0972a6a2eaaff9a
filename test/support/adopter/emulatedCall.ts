/**
 * One call with the example adopter's agent, run inside a scratch install of it (test/adoption.test.ts copies this
 * file to its src/; the project's own type check leaves it out, since `livekit-presence` exists only there): every import but the emulator resolves in the scratch project, so what runs is the packed
 * `livekit-presence` tarball, the adopter's own `Assistant`, and their own copy of `@livekit/agents`. The LiveKit
 * server is this project's API emulator (its built CommonJS, `ADOPTER_EMULATOR`), reached over HTTP only.
 *
 * The call: the caller asks when the shop is open (the adopter's own tool answers, through the framework's test API,
 * `session.run`), then goes quiet. Presence checks in twice, says goodbye, closes the session and calls
 * `ctx.shutdown()`; the room is deleted. Prints one JSON line with what happened.
 */
import { createRequire } from 'node:module';
import { initializeLogger, JobContext, JobProcess, voice, type RunningJobInfo } from '@livekit/agents';
import { Job, JobType, Room as RoomInfo } from '@livekit/protocol';
import { Room } from '@livekit/rtc-node';
import { attachPresence, type TimelineLine } from 'livekit-presence';
// In the scratch copy this file sits in src/, beside the example's own agent.
import { Assistant } from './agent.js';

interface Emulator {
  start(): Promise<string>;
  stop(): Promise<void>;
  calls: { method: string; request: Record<string, unknown> }[];
}

const KEY = 'APIadopter';
const SECRET = 'adopter-emulator-secret-0123456789abcdef';
const ROOM = 'adopter-room';

initializeLogger({ pretty: false, level: 'warn' });
const require = createRequire(import.meta.url);
const { LiveKitApiEmulator } = require(process.env.ADOPTER_EMULATOR!) as { LiveKitApiEmulator: new (o: { apiKey: string; apiSecret: string; sip: object }) => Emulator };
const emulator = new LiveKitApiEmulator({ apiKey: KEY, apiSecret: SECRET, sip: {} });
const url = await emulator.start();

let resolveShutdown!: (reason: string) => void;
const shutdownRequested = new Promise<string>((r) => (resolveShutdown = r));
const job = new Job({ id: 'AJ_adopter', type: JobType.JT_ROOM, room: new RoomInfo({ name: ROOM }) });
const info: RunningJobInfo = { acceptArguments: { name: '', identity: 'agent', metadata: '' }, job, url, token: '', workerId: 'adopter', fakeJob: true };
const inference = { doInference: () => Promise.reject(new Error('no inference here')) };
const ctx = new JobContext(new JobProcess(), info, new Room(), () => {}, (reason: string) => resolveShutdown(reason), inference as never);

const OPEN = 'Open 9 to 18 on Monday.';
const llm = new voice.testing.FakeLLM([
  { input: 'When are you open on Monday?', toolCalls: [{ name: 'lookup_opening_hours', args: { day: 'Monday' } }] },
  { input: JSON.stringify(OPEN), content: 'We are open from nine to six on Monday.' },
]);
const session = new voice.AgentSession({ llm, vad: null, turnHandling: { turnDetection: null }, userAwayTimeout: 60 } as ConstructorParameters<typeof voice.AgentSession>[0]);

// The adopter's ten lines, without a room: their session, their agent, the layer's tools beside their own.
const call = attachPresence({
  ctx,
  session,
  api: { url, apiKey: KEY, apiSecret: SECRET },
  config: {
    presence: { userAwayTimeout: 0.5 },
    checkIn: { mode: 'fixed', interval: 0.3, maxPrompts: 2, messages: ['Are you still there?', 'Hello?'] },
    goodbye: { maxSeconds: 1 },
    record: { enabled: false },
  },
});
const lines: TimelineLine[] = [];
call.subscribe((line) => lines.push(line));
await session.start({ agent: new Assistant(call.tools) });

const run = await session.run({ userInput: 'When are you open on Monday?' }).wait();
run.expect.nextEvent().isFunctionCall({ name: 'lookup_opening_hours', args: { day: 'Monday' } });
const toolOutput = run.expect.nextEvent().isFunctionCallOutput().event().item.output;

// Quiet from here on: presence takes the call to its end.
const reason = await shutdownRequested;
// What the job process does next: the shutdown callbacks (the layer's one, bounded by shutdown.budget).
await Promise.allSettled(ctx.shutdownCallbacks.map((cb) => cb()));
const report = await call.report;
await session.close().catch(() => {});
await emulator.stop();

process.stdout.write(
  `${JSON.stringify({
    toolOutput,
    reason,
    timeline: lines.map((l) => l.type),
    api: emulator.calls.map((c) => c.method),
    report: { reason: report.reason, withinBudget: report.withinBudget },
  })}\n`,
);
process.exit(0);
