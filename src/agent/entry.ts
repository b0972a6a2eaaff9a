/**
 * The agent a LiveKit worker runs for each call, loaded through agent.ts (the process entry is main.ts). Silero VAD
 * is loaded once per process in prewarm; STT/LLM/TTS come from `models` in agent.config.ts
 * (sessionModels.ts: the OpenAI plugin, or scripted). All the conversation-level behaviour is the call machine, wired by `startCall`.
 */
import { defineAgent, log, voice, type JobContext, type JobProcess } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import type { RemoteParticipant } from '@livekit/rtc-node';
import { loadRuntimeConfig } from '../config/runtime.js';
import type { AgentConfig } from '../config/schema.js';
import { sessionModels } from '../models/sessionModels.js';
import { onSimulationEnd } from '../presence/index.js';
import { startCall, type CallSetup, type RunningCall } from './call.js';

/** Once per job process, before any job: what the worker's `initializeProcessTimeout` (10 s) bounds. */
export async function prewarm(proc: JobProcess): Promise<void> {
  proc.userData.vad = await silero.VAD.load();
}

/** How a call gets its session and caller: joining the LiveKit room in production. */
export type JoinCall = (ctx: JobContext, config: AgentConfig) => Promise<{ session: voice.AgentSession; caller?: RemoteParticipant }>;

/**
 * The job entry, with the way it joins the call as a parameter: production joins the room; the tests that run the
 * framework's real worker and job process (no SFU can run there) join without one. Everything else is this code.
 */
export function callEntry(join: JoinCall, extra: Pick<CallSetup, 'onShutdown'> = {}): (ctx: JobContext) => Promise<RunningCall> {
  return async (ctx) => {
    // This agent's config: agent.config.ts with its environment overrides (the presence layer itself reads neither).
    // Validated before anything starts; the layer applies the dispatch metadata per call.
    const config = await loadRuntimeConfig();
    const { session, caller } = await join(ctx, config);
    return startCall({ ctx, config, session, ...(caller ? { caller } : {}), ...extra });
  };
}

const joinRoom: JoinCall = async (ctx, config) => {
  await ctx.connect();
  const caller = await ctx.waitForParticipant();
  const session = new voice.AgentSession({
    vad: ctx.proc.userData.vad as silero.VAD,
    ...sessionModels(config),
    userAwayTimeout: config.presence.userAwayTimeout,
  });
  return { session, caller };
};

const entry = callEntry(joinRoom);

/** The agent (agent.ts exports it as the agent file's default export, where the framework looks for it). */
export const agent = defineAgent({
  prewarm,
  entry: async (ctx: JobContext) => void (await entry(ctx)),
  // Under `lk simulate`: the run fails when the call's timeline breaks a presence invariant (the simulator's rules).
  onSimulationEnd,
});
export default agent;
