/**
 * The agent a LiveKit worker runs for each call (the process entry is main.ts). Silero VAD is loaded once per
 * process in prewarm; STT/LLM/TTS come from the OpenAI plugin with model names from agent.config.ts. All the
 * conversation-level behaviour is the call machine, bound through the CallBridge.
 */
import { defineAgent, log, voice, type JobContext, type JobProcess } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import * as silero from '@livekit/agents-plugin-silero';
import { RoomEvent, TrackSource, type RemoteParticipant } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { CallBridge } from '../bridge/callBridge.js';
import { loadRuntimeConfig, withDispatchMetadata } from '../config/runtime.js';
import { SipDialer } from '../dialer/sipDialer.js';
import { END_SESSION_RPC, endSessionHandler } from './endSessionRpc.js';
import { callTools } from './tools.js';

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
    const caller: RemoteParticipant = await ctx.waitForParticipant();
    const roomName = ctx.room.name ?? ctx.job.room?.name ?? '';
    const { url, apiKey, apiSecret } = ctx.info;
    const rooms = new RoomServiceClient(url, apiKey, apiSecret);
    const session = new voice.AgentSession({
      vad: ctx.proc.userData.vad as silero.VAD,
      stt: new openai.STT({ model: config.models.stt }),
      llm: new openai.LLM({ model: config.models.llm }),
      tts: new openai.TTS({ model: config.models.tts, voice: config.models.voice as never }),
      userAwayTimeout: config.presence.userAwayTimeout,
    });
    const bridge = new CallBridge({
      session,
      config,
      dialer: new SipDialer({
        url,
        apiKey: apiKey ?? '',
        apiSecret: apiSecret ?? '',
        roomName,
        trunkId: config.dial.sipTrunkId,
        ringingTimeout: config.dial.ringingTimeout,
        log: (f, m) => logger.warn(f, m),
      }),
      shutdown: (reason) => ctx.shutdown(reason),
      deleteRoom: async () => void (await rooms.deleteRoom(roomName)),
      // dial.holdCaller.muteTrack: a server-side mute of the caller's microphone track (not a permission change).
      muteCaller: async (muted) => {
        const mic = [...caller.trackPublications.values()].find((t) => t.source === TrackSource.SOURCE_MICROPHONE);
        if (!mic?.sid) throw new Error(`caller ${caller.identity} has no microphone track to ${muted ? 'mute' : 'unmute'}`);
        await rooms.mutePublishedTrack(roomName, caller.identity, mic.sid, muted);
      },
      logger: { info: (f, m) => logger.info(f, m), warn: (f, m) => logger.warn(f, m) },
    });
    // The framework runs shutdown callbacks on every exit path (room deleted included): finish what we started.
    ctx.addShutdownCallback(() => bridge.drain());

    ctx.room.on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
      if (p.identity === caller.identity) bridge.send({ type: 'CALLER_DISCONNECTED' });
    });
    ctx.room.on(RoomEvent.Disconnected, () => bridge.send({ type: 'ROOM_DISCONNECTED', deleted: true }));
    ctx.room.localParticipant?.registerRpcMethod(
      END_SESSION_RPC,
      endSessionHandler({ allow: config.endSession.allow, end: () => bridge.send({ type: 'END_REQUESTED', source: 'frontend' }), log: (f, m) => logger.info(f, m) }),
    );

    bridge.start();
    await session.start({
      agent: new voice.Agent({ instructions: config.models.instructions, tools: callTools(bridge) }),
      room: ctx.room,
      // The machine decides what a caller leaving means (e.g. let a dial settle), not the framework.
      inputOptions: { closeOnDisconnect: false },
    });
  },
});
