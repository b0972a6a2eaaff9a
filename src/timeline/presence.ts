/**
 * The presence label the timeline shows for a machine snapshot. Shared by both simulators and by the production
 * call observer, so it lives with the timeline vocabulary rather than in a simulator.
 */
import type { SnapshotFrom } from 'xstate';
import type { CallMachine } from '../../machines/call.machine.js';
import type { PresenceLabel } from './timeline.js';

export function presenceLabel(snapshot: SnapshotFrom<CallMachine>): PresenceLabel {
  if (snapshot.status === 'done') return 'closed';
  if (!snapshot.matches('live')) return 'closing';
  if (snapshot.matches({ live: { presence: 'paused' } })) return 'paused';
  if (snapshot.matches({ live: { presence: { active: 'away' } } })) return 'away';
  return 'present';
}
