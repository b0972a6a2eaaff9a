/**
 * This agent's call: the presence layer attached to its session (`attachPresence`, the public entry any adopter uses),
 * then the session started with this agent's own `CallAgent`. `entry.ts`'s entry calls it in the framework's job
 * process; the worker tests and the benchmark run the same function without a room.
 */
import type { voice } from '@livekit/agents';
import { attachPresence, type PresenceCall, type PresenceOptions } from '../presence/index.js';
import { CallAgent } from './callAgent.js';

export type CallSetup = PresenceOptions & { session: voice.AgentSession };
export type RunningCall = PresenceCall;

export async function startCall(o: CallSetup): Promise<RunningCall> {
  const call = attachPresence(o);
  await o.session.start({
    agent: new CallAgent(call, call.config.models.instructions),
    // With a caller, in their room: pinned to them, the layer deciding what their leaving means (call.inputOptions).
    ...(o.caller ? { room: o.ctx.room, inputOptions: call.inputOptions } : {}),
  });
  return call;
}
