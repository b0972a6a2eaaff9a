/**
 * The machine-cost baseline: the same presence rules hand-written as a switch over events, the way a call's
 * presence is often coded inline (away → check-ins → goodbye, activity resets, pause while dialing or in tools).
 * Timers are left to the caller, as the machine leaves them to XState.
 */
type Ev = { type: string; state?: string; text?: string };

export function switchBaseline() {
  let presence: 'present' | 'away' | 'closing' = 'present';
  let attempt = 0;
  let agentListening = false;
  let tools = 0;
  let dialing = false;
  const maxPrompts = 3;
  return {
    send(e: Ev): string | null {
      switch (e.type) {
        case 'AGENT_STATE':
          agentListening = e.state === 'listening';
          return null;
        case 'TOOL_STARTED':
          tools++;
          return null;
        case 'TOOL_FINISHED':
          tools = Math.max(0, tools - 1);
          return null;
        case 'DIAL_REQUESTED':
          dialing = true;
          return 'dialStart';
        case 'DIAL_SETTLED':
          dialing = false;
          return 'dialEnd';
        case 'TRANSCRIPT':
          if (presence === 'away') presence = 'present';
          attempt = 0;
          return null;
        case 'USER_STATE':
          if (presence === 'closing' || tools > 0 || dialing) return null;
          if (e.state === 'away') {
            presence = 'away';
            if (attempt >= maxPrompts) {
              presence = 'closing';
              return 'goodbye';
            }
            attempt++;
            return agentListening ? 'checkIn' : null;
          }
          if (e.state === 'speaking') {
            presence = 'present';
            attempt = 0;
          }
          return null;
        default:
          return null;
      }
    },
  };
}
