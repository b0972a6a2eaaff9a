/**
 * The presence layer, as an adopter imports it (`import { attachPresence } from 'livekit-presence'`): user presence
 * (away → check-ins → goodbye → close → `ctx.shutdown()`), the guarded outbound dial, and one bounded ending for every
 * exit path, on the adopter's own `AgentSession` and `voice.Agent`. docs/presence-api.md lists every option.
 */
export { attachPresence, presenceConfig, type PresenceAgentParts, type PresenceCall, type PresenceOptions, type TimelineLine } from './attach.js';
export { END_SESSION_RPC } from './endSessionRpc.js';
// LiveKit Cloud simulations: pass as `defineAgent({ onSimulationEnd })`; the run fails when the call's timeline breaks
// a presence invariant.
export { onSimulationEnd } from '../observability/simulationCheck.js';
export type { CallTools } from './tools.js';
export type { AgentConfig, AgentConfigInput } from '../config/schema.js';
export type { ShutdownReport } from '../lifecycle/shutdown.js';
export type { TimelineEntry } from '../timeline/timeline.js';
export type { CloseReason, DialOutcome, DialRefusal, EndSource } from '../../machines/events.js';
