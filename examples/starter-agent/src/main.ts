import { cli, defineAgent, ServerOptions, voice, type JobContext, type JobProcess } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import * as silero from '@livekit/agents-plugin-silero';
import { attachPresence } from 'livekit-presence';
import { fileURLToPath } from 'node:url';
import { Assistant } from './agent.js';

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    proc.userData.vad = await silero.VAD.load();
  },
  entry: async (ctx: JobContext) => {
    await ctx.connect();
    const caller = await ctx.waitForParticipant();
    const session = new voice.AgentSession({
      vad: ctx.proc.userData.vad as silero.VAD,
      stt: new openai.STT(),
      llm: new openai.LLM({ model: 'gpt-4o-mini' }),
      tts: new openai.TTS(),
    });

    // The presence layer: away → check-ins → goodbye → session closed → ctx.shutdown(), a guarded dial, one ending.
    const call = attachPresence({
      ctx,
      session,
      caller,
      config: { presence: { userAwayTimeout: 15 }, checkIn: { maxPrompts: 2 }, greeting: { mode: 'llm' }, dial: { allow: ['+1*'] } },
    });
    await session.start({ agent: new Assistant(call.tools), room: ctx.room, inputOptions: call.inputOptions });
  },
});

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url), agentName: 'starter-with-presence' }));
}
