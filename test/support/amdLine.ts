/**
 * A dialed leg as answering-machine detection hears it once the session's input is linked to it, driven through
 * AMD's own recognition hooks (what AgentActivity calls on `session.amd`, as the framework's amd.test.ts does): speech
 * starts, the final transcript, the end of speech, the session's end of turn. A null greeting: a leg that never speaks.
 * Each `listen` and `restore` is logged as `listen <number> <identity>` / `restore`.
 */
import type { voice } from '@livekit/agents';
import type { LegLine } from '../../src/dialer/voicemail.js';

export function hookLine(session: () => voice.AgentSession, greeting: string | null, log: string[]): LegLine {
  return {
    listen: ({ number, identity }) => {
      log.push(`listen ${number} ${identity}`);
      if (greeting === null) return;
      setTimeout(() => {
        const amd = session().amd;
        if (!amd) return;
        amd.onUserSpeechStarted();
        setTimeout(() => {
          amd.onTranscript(greeting, 'stt');
          amd.onUserSpeechEnded(0);
          amd.onEndOfTurn({ newTranscript: greeting, transcriptConfidence: 1, transcriptionDelay: 0, endOfUtteranceDelay: 0, startedSpeakingAt: undefined, stoppedSpeakingAt: undefined });
        }, 20);
      }, 0);
    },
    restore: () => void log.push('restore'),
  };
}
