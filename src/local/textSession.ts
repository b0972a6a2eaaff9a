/**
 * An AgentSession with no room and no audio: speech is text. Local mode and the integration tests use it; typed
 * user lines enter exactly where LiveKit's STT would deliver them.
 */
import { voice } from '@livekit/agents';

export function createTextSession(llm: voice.AgentSessionOptions['llm'], userAwayTimeout: number): voice.AgentSession {
  return new voice.AgentSession({
    llm,
    vad: null,
    turnHandling: { turnDetection: null },
    userAwayTimeout,
  } as ConstructorParameters<typeof voice.AgentSession>[0]);
}

/** The user said `text`: LiveKit's own final-transcript event (which also brings an away user back). */
export function userSaid(session: voice.AgentSession, text: string): void {
  session.emit(voice.AgentSessionEventTypes.UserInputTranscribed, voice.createUserInputTranscribedEvent({ transcript: text, isFinal: true }));
}
