/**
 * The agent a LiveKit worker runs for each call (the process entry is main.ts). Silero VAD is loaded once per
 * process in prewarm; STT/LLM/TTS come from the OpenAI plugin with model names from agent.config.ts. All the
 * conversation-level behaviour is the call machine, wired by `startCall`.
 */
import { defineAgent, log, voice, type JobContext, type JobProcess } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import * as silero from '@livekit/agents-plugin-silero';
import { loadRuntimeConfig, withDispatchMetadata } from '../config/runtime.js';
import { startCall } from './call.js';

export default defineAgent({
  prewarm: async (proc: JobProcess) => {
    proc.userData.vad = await silero.VAD.load();
  },
  entry: async (ctx: JobContext) => {
    const logger = log().child({ room: ctx.job.room?.name });
    // Validated before anything starts; a bad per-call override is logged and the defaults are used.
    const { config, error } = withDispatchMetadata(await loadRuntimeConfig(), ctx.job.metadata);
    if (error) logger.warn({ error }, 'dispatch metadata ignored');

    await ctx.connect();
    const caller = await ctx.waitForParticipant();
    const session = new voice.AgentSession({
      vad: ctx.proc.userData.vad as silero.VAD,
      stt: new openai.STT({ model: config.models.stt }),
      llm: new openai.LLM({ model: config.models.llm }),
      tts: new openai.TTS({ model: config.models.tts, voice: config.models.voice as never }),
      userAwayTimeout: config.presence.userAwayTimeout,
    });
    const { url, apiKey, apiSecret } = ctx.info;
    await startCall({
      ctx,
      config,
      session,
      api: { url, apiKey: apiKey ?? '', apiSecret: apiSecret ?? '' },
      roomName: ctx.room.name ?? ctx.job.room?.name ?? '',
      caller,
      logger: { info: (f, m) => logger.info(f, m), warn: (f, m) => logger.warn(f, m) },
    });
  },
});
