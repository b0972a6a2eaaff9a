/**
 * What a dialed number does when called: the vocabulary shared by the SIP dial plan (`plan.ts`), the emulator's
 * CreateSIPParticipant and the scenarios' `sip` map. It sits here, below all three, so production code never reaches
 * up into the simulator for it.
 */
import { z } from 'zod';

/**
 * `answered`: a person picks up. `voicemail`: a machine picks up (SIP answers it like a person; only answering-machine
 * detection tells them apart, from what the leg says first, its `greeting`).
 */
export const SIP_OUTCOMES = ['answered', 'busy', 'no-answer', 'failed', 'unreachable', 'voicemail'] as const;
/** The outcomes where the call is answered and the leg says something first. */
export const ANSWERING_OUTCOMES: readonly SipEntry['outcome'][] = ['answered', 'voicemail'];

export const sipEntry = z
  .strictObject({
    outcome: z.enum(SIP_OUTCOMES),
    /** Ringing time before the outcome (answered, busy, no-answer, failed, voicemail); connect time for unreachable. */
    ringSeconds: z.number().finite().min(0).optional(),
    /** SIP status to report for a failure (default 503; busy 486, no-answer 480). */
    sipStatus: z.number().int().min(100).max(699).optional(),
    /**
     * What the leg says once it answered (answered or voicemail only): the person's first words, or the recorded
     * greeting a machine plays. Defaults in `plan.ts` (`legGreeting`).
     */
    greeting: z.string().trim().min(1, { error: 'a greeting is the text the leg says; it cannot be empty' }).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.greeting !== undefined && !ANSWERING_OUTCOMES.includes(e.outcome)) {
      ctx.addIssue({
        code: 'custom',
        path: ['greeting'],
        input: e.greeting,
        message: `only an answered or voicemail number says a greeting (outcome is "${e.outcome}")`,
      });
    }
  });
export type SipEntry = z.output<typeof sipEntry>;
