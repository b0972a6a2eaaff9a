import { llm, voice } from '@livekit/agents';
import type { CallTools } from 'livekit-presence';
import { z } from 'zod';

/** An adopter's own agent, shaped like agent-starter-node's: its instructions and its own tool. */
export class Assistant extends voice.Agent {
  /** `presenceTools`: the presence layer's `call.tools` (add_participant, end_call), beside the shop's own. */
  constructor(presenceTools: Partial<CallTools> = {}) {
    super({
      instructions:
        'You are a helpful voice AI assistant for a bike shop. Keep answers short. ' +
        'Use lookup_opening_hours when asked when the shop is open.',
      tools: {
        lookup_opening_hours: llm.tool({
          description: 'Look up the opening hours of the shop for a given day.',
          parameters: z.object({ day: z.string().describe('The day of the week, e.g. Monday') }),
          execute: async ({ day }) => (/^sun/i.test(day) ? 'Closed on Sundays.' : `Open 9 to 18 on ${day}.`),
        }),
        ...presenceTools,
      },
    });
  }
}
