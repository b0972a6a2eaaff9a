/**
 * The example adopter's agent as a LiveKit worker on the real stack (test/e2e/adoption.test.ts), run in a scratch
 * install of it: its own `Assistant`, the packed `livekit-presence` from the tarball, its own copy of the framework.
 * Only the models differ from `examples/starter-agent/src/main.ts` (no model service here): the framework's FakeSTT
 * (a fixed transcript per speech segment Silero finds), its FakeLLM (the shop's tool on request, in the room's chat),
 * and the project's tone TTS, copied in, so a web caller can tell which text it heard.
 */
import { cli, defineAgent, ServerOptions, stt, voice, type JobContext, type JobProcess } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { attachPresence, type AgentConfigInput } from 'livekit-presence';
import { fileURLToPath } from 'node:url';
import { Assistant } from './agent.js';
import { ToneTTS } from './toneTts.js';

export const ASKED = 'When are you open on Monday?';
export const OPEN = 'Open 9 to 18 on Monday.';

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    proc.userData.vad = await silero.VAD.load();
  },
  entry: async (ctx: JobContext) => {
    await ctx.connect();
    const caller = await ctx.waitForParticipant();
    const session = new voice.AgentSession({
      vad: ctx.proc.userData.vad as silero.VAD,
      stt: new stt.testing.FakeSTT({ fakeTranscript: 'caller speech', capabilities: { streaming: false } }),
      llm: new voice.testing.FakeLLM([
        { input: 'caller speech', content: 'Hello, how can I help?' },
        { input: ASKED, toolCalls: [{ name: 'lookup_opening_hours', args: { day: 'Monday' } }] },
        { input: JSON.stringify(OPEN), content: 'We are open from nine to six on Monday.' },
      ]),
      tts: new ToneTTS(),
    });
    // The adopter's tool, seen from outside: one line per tool the session ran.
    session.on(voice.AgentSessionEventTypes.FunctionToolsExecuted, (ev) => {
      for (const out of ev.functionCallOutputs) console.log(JSON.stringify({ adopterTool: out?.name, output: out?.output }));
    });
    // The test's presence config, and where the session record goes (the harness reads it from there).
    const config = { ...(JSON.parse(process.env.AGENT_CONFIG_JSON ?? '{}') as AgentConfigInput), record: { enabled: true, dir: process.env.AGENT_RECORD_DIR! } };
    const call = attachPresence({ ctx, session, caller, config });
    await session.start({ agent: new Assistant(call.tools), room: ctx.room, inputOptions: call.inputOptions });
  },
});

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url), agentName: process.env.AGENT_NAME ?? '', numIdleProcesses: 1 }));
}
