/**
 * What a dialed number does when called: the vocabulary shared by the SIP dial plan (`plan.ts`), the emulator's
 * CreateSIPParticipant and the scenarios' `sip` map. It sits here, below all three, so production code never reaches
 * up into the simulator for it.
 */
import { z } from 'zod';

export const SIP_OUTCOMES = ['answered', 'busy', 'no-answer', 'failed', 'unreachable'] as const;
export const sipEntry = z.strictObject({
  outcome: z.enum(SIP_OUTCOMES),
  /** Ringing time before the outcome (answered, busy, no-answer, failed); connect time for unreachable. */
  ringSeconds: z.number().finite().min(0).optional(),
  /** SIP status to report for a failure (default 503; busy 486, no-answer 480). */
  sipStatus: z.number().int().min(100).max(699).optional(),
});
export type SipEntry = z.output<typeof sipEntry>;
