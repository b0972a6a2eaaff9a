/**
 * Answering-machine detection in the simulator. What AMD decides comes from the leg's scripted greeting, by one
 * rule used by both modes: model mode models the decision and its timing here, agent mode runs the framework's real
 * `voice.AMD` (through the same `screenAnsweredLeg` as the deployed agent) with the framework's `FakeLLM` scripted by
 * that rule, on the greeting played into the real session by the simulated line.
 *
 * The rule stands in for AMD's LLM (which reads the greeting's transcript with the framework's few-shot prompt):
 * key-press prompts are `machine-ivr`; a mailbox that cannot take messages is `machine-unavailable`; a voicemail
 * greeting is `machine-vm`; a short greeting with none of those words is `human`; anything else `uncertain`.
 *
 * Timing, as `voice.AMD` 1.9 decides on the simulated line (whose final transcript comes at the end of the speech,
 * with the session's endpointing immediate): a verdict is released `machineSilence` (1.5 s) after the greeting ends
 * (the transcript arrives within the 0.5 s short-greeting window, so AMD waits for the LLM's verdict and the longer
 * silence; the end-of-turn gate opens at once); `uncertain` is no verdict at all, so AMD settles when its
 * `detectionTimeout` runs out, counted from when it started listening.
 */
import { voice } from '@livekit/agents';
import type { CallEvent } from '../../machines/events.js';
import { ConfigError } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { AMD_THRESHOLDS_MS } from '../dialer/voicemail.js';
import type { SipEntry } from '../sip/entry.js';
import { legGreeting } from '../sip/plan.js';
import { isMachineCategory, type AmdCategory, type TimelineEntry } from '../timeline/timeline.js';
import type { ModelClock, SessionModel } from './sessionModel.js';
import { ms } from './sessionModel.js';

const IVR = /\bpress (\d|one|two|three|four|five|six|seven|eight|nine|zero|star|pound)\b|\b(main )?menu\b|state your name/i;
const UNAVAILABLE = /mailbox (is )?full|(has not|hasn't|not) been set up|(cannot|can ?not|can't) (accept|take|record) (any )?(new |more )?messages|not accepting messages/i;
const VOICEMAIL = /leave (me )?(a |your )?(message|name)|after the (tone|beep)|voice ?mail|not available|unavailable|can't (come to|take) the (phone|call)|(you have|you've) reached/i;
const SHORT_HUMAN = 8;

/** The simulator's stand-in for AMD's classifier: what a greeting is. */
export function classifyGreeting(text: string): AmdCategory {
  if (IVR.test(text)) return 'machine-ivr';
  if (UNAVAILABLE.test(text)) return 'machine-unavailable';
  if (VOICEMAIL.test(text)) return 'machine-vm';
  return text.trim().split(/\s+/).length <= SHORT_HUMAN ? 'human' : 'uncertain';
}

/** Seconds from the moment AMD starts listening (the answer) until its verdict, for a greeting of `speechSeconds`. */
export function amdDecisionSeconds(category: AmdCategory, speechSeconds: number, amd: AgentConfig['dial']['amd']): number {
  return category === 'uncertain' ? amd.detectionTimeout : speechSeconds + AMD_THRESHOLDS_MS.machineSilence / 1000;
}

/**
 * Greetings whose verdict would come after AMD's detection budget (the greeting still playing when it runs out) are
 * outside what this model covers: refused, naming the entry.
 */
export function checkGreetings(sip: Record<string, SipEntry>, config: AgentConfig, speechSeconds: (text: string) => number, source: string): void {
  const issues = Object.entries(sip)
    .filter(([, e]) => e.outcome === 'answered' || e.outcome === 'voicemail')
    .flatMap(([number, e]) => {
      const greeting = legGreeting(e);
      const decided = speechSeconds(greeting) + AMD_THRESHOLDS_MS.machineSilence / 1000;
      return decided < config.dial.amd.detectionTimeout
        ? []
        : [{ path: `sip.${number}.greeting`, value: greeting, message: `a greeting of ${speechSeconds(greeting).toFixed(1)} s does not end ${AMD_THRESHOLDS_MS.machineSilence / 1000} s before dial.amd.detectionTimeout (${config.dial.amd.detectionTimeout} s)` }];
    });
  if (issues.length) throw new ConfigError(source, issues);
}

/** What agent mode gives `voice.AMD` as its LLM: each scripted greeting answered with its category, as a tool call. */
export function amdScriptedLlm(sip: Record<string, SipEntry>): voice.testing.FakeLLM {
  const greetings = new Set([...Object.values(sip).map(legGreeting), legGreeting(undefined)]);
  return new voice.testing.FakeLLM(
    [...greetings].map((greeting) => ({ input: greeting, toolCalls: [{ name: 'save_prediction', args: { label: classifyGreeting(greeting) } }] })),
  );
}

export interface ScreenModelSetup {
  config: AgentConfig;
  sip: Record<string, SipEntry>;
  session: SessionModel;
  clock: ModelClock;
  record(entry: TimelineEntry): void;
  send(event: CallEvent): void;
  /** The bridge's `applyAudioInput` with the input linked to a leg (true) or to the caller again (false). */
  legListening(listening: boolean): void;
}

/**
 * Model mode's `screenAnsweredLeg`: the same steps, in the same order, on the virtual clock. `start` at the answer;
 * `abort` when the machine cancels the dial.
 */
export function screenModel(o: ScreenModelSetup): { start(number: string): void; abort(number: string): void } {
  const running = new Map<string, { timer: unknown; decided: boolean; cutMessage: (() => void) | null }>();
  const { session, clock, config } = o;
  const settle = (number: string, outcome: 'answered' | 'voicemail') => {
    running.delete(number);
    o.send({ type: 'DIAL_SETTLED', number, outcome });
  };
  return {
    start(number) {
      const greeting = legGreeting(o.sip[number]);
      const category = classifyGreeting(greeting);
      const decideIn = amdDecisionSeconds(category, session.speechSeconds(greeting), config.dial.amd);
      // line.listen (the caller's speech in progress cut off), the audio input on for the leg; AMD pauses replies.
      session.listenToLeg();
      o.legListening(true);
      session.pauseReplies();
      session.legSays(greeting);
      const state = {
        decided: false,
        cutMessage: null as (() => void) | null,
        timer: clock.setTimeout(() => {
          state.decided = true;
          // AMD's verdict: a machine interrupts everything queued (the reply held for the greeting); then replies are
          // authorized again, the input goes back to the caller and the verdict is recorded.
          if (isMachineCategory(category)) session.interruptAll();
          session.resumeReplies();
          o.legListening(false);
          session.listenToCaller();
          o.record({ type: 'amd', number, category });
          if (!isMachineCategory(category)) return settle(number, 'answered');
          const hangUp = () => {
            o.record({ type: 'legRemoved', number });
            settle(number, 'voicemail');
          };
          if (config.dial.onVoicemail !== 'leave-message' || category !== 'machine-vm') return hangUp();
          o.record({ type: 'voicemailMessage', number });
          state.cutMessage = session.sayOther(config.dial.voicemailMessage, () => {
            if (running.get(number) === state) hangUp();
          });
        }, ms(decideIn)),
      };
      running.set(number, state);
    },
    abort(number) {
      const state = running.get(number);
      if (!state) return;
      running.delete(number);
      // The message being left is cut off.
      if (state.decided) return state.cutMessage?.();
      // AMD closed before its verdict: replies authorized again, the input back to the caller.
      clock.clearTimeout(state.timer);
      session.resumeReplies();
      o.legListening(false);
      session.listenToCaller();
    },
  };
}
