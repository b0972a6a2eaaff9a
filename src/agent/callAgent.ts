/**
 * The agent this call runs: its instructions, the call's tools, and one hook. A turn the session completes while
 * answering-machine detection hears a dialed leg is that leg's greeting: `onUserTurnCompleted` (the framework's hook,
 * run before the reply to the turn is generated) rewrites it so the model reads who spoke, not the caller.
 */
import { voice, type llm } from '@livekit/agents';
import type { CallBridge } from '../bridge/callBridge.js';
import { callTools } from './tools.js';

export class CallAgent extends voice.Agent {
  constructor(
    private readonly bridge: CallBridge,
    instructions: string,
  ) {
    super({ instructions, tools: callTools(bridge) });
  }

  override async onUserTurnCompleted(_chatCtx: llm.ChatContext, message: llm.ChatMessage): Promise<void> {
    this.bridge.attributeTurn(message);
  }
}
