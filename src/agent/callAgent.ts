/**
 * The agent this call runs: its instructions, the presence layer's tools, and one hook. A turn the session completes
 * while answering-machine detection hears a dialed leg is that leg's greeting: `onUserTurnCompleted` (the framework's
 * hook, run before the reply to the turn is generated) lets the layer rewrite it, so the model reads who spoke, not
 * the caller. An adopter's agent does the same with `call.tools` and `call.attributeTurn`.
 */
import { voice, type llm } from '@livekit/agents';
import type { PresenceAgentParts } from '../presence/index.js';

export class CallAgent extends voice.Agent {
  constructor(
    private readonly presence: PresenceAgentParts,
    instructions: string,
  ) {
    super({ instructions, tools: presence.tools });
  }

  override async onUserTurnCompleted(_chatCtx: llm.ChatContext, message: llm.ChatMessage): Promise<void> {
    this.presence.attributeTurn(message);
  }
}
