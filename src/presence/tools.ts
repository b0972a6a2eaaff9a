/**
 * The agent's LLM tools. `add_participant` checks E.164 and the dial policy before anything is dialed, and explains
 * a refusal to the model so it can tell the user; `end_call` ends the call through the machine's close path.
 * Both run with presence paused (rule 3).
 */
import { llm } from '@livekit/agents';
import { z } from 'zod';
import { dialRefusal } from '../../machines/dialPolicy.js';
import type { DialRefusal } from '../../machines/events.js';
import type { CallBridge } from '../bridge/callBridge.js';

const EXPLAIN: Record<DialRefusal, string> = {
  not_e164:
    'That is not a phone number in international format (E.164, e.g. +15551234567). Ask the user for the number with its country code.',
  not_allowed: "Calling that number is not allowed by this agent's dialing policy. Tell the user you cannot call it.",
  dial_in_flight: 'Another number is already being dialed. Wait until that call is answered or fails.',
  closing: 'The call is ending; no new calls can be placed.',
  limit: 'This call has placed as many outgoing calls as it may (dial.maxPerCall). Tell the user no more numbers can be dialed on this call.',
};

export function explainRefusal(reason: DialRefusal): string {
  return EXPLAIN[reason];
}

/**
 * Asks for a dial to `phone` (trimmed): the dial policy first, so that a refused number never reaches the machine's
 * dialer, let alone the API; then the machine. Why it was refused, or null when the dial started. The tool and the
 * layer's `call.dial` both go through it, with the bridge's config, so both judge a number by the same policy.
 */
export function requestCheckedDial(bridge: CallBridge, phone: string): DialRefusal | null {
  const number = phone.trim();
  return dialRefusal(number, bridge.config.dial) ?? bridge.requestDial(number);
}

export function callTools(bridge: CallBridge) {
  return {
    add_participant: llm.tool({
      description: 'Dial a phone number and add that person to this call (for example the user’s manager).',
      parameters: z.object({ phone: z.string().describe('The number to dial, in E.164 format, e.g. +15551234567') }),
      execute: ({ phone }) =>
        bridge.pauseDuring('add_participant', async () => {
          const refused = requestCheckedDial(bridge, phone);
          return refused ? `Not dialed: ${explainRefusal(refused)}` : `Dialing ${phone.trim()} now. Tell the user you are calling.`;
        }),
    }),
    end_call: llm.tool({
      description: 'End the call when the user says goodbye or asks to hang up.',
      execute: () =>
        bridge.pauseDuring('end_call', async () => {
          bridge.requestEnd('agent');
          return 'The call is ending; a goodbye is being said.';
        }),
    }),
  };
}

/** The call's tools, as an agent's `tools` takes them. */
export type CallTools = ReturnType<typeof callTools>;

/** What an adopter's agent needs from the layer: its tools, and (optionally) its turn hook. */
export interface PresenceAgentParts {
  /** `add_participant` and `end_call`: spread them into the agent's own `tools`. */
  tools: CallTools;
  /**
   * Call from the agent's `onUserTurnCompleted(chatCtx, message)`: a turn heard from a dialed leg while
   * answering-machine detection listens is rewritten as that person's, not the caller's. Optional.
   */
  attributeTurn(message: llm.ChatMessage): void;
}

/** The layer's parts for an agent, from its bridge: `attachPresence`'s, and local mode's and the simulator's (no room). */
export function presenceAgentParts(bridge: CallBridge): PresenceAgentParts {
  return { tools: callTools(bridge), attributeTurn: (message) => bridge.attributeTurn(message) };
}
