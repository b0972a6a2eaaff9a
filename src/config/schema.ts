/**
 * The one schema for every knob of the agent. agent.config.ts, env overrides, scenario overrides and (in the
 * real agent) per-call dispatch metadata are all validated by it, so a bad value is rejected the same way
 * wherever it comes from. Durations are in seconds, like LiveKit's own `userAwayTimeout`.
 */
import { z } from 'zod';

const seconds = (what: string) =>
  z.number({ error: `${what} must be a number of seconds` }).finite().positive({ error: `${what} must be > 0 seconds` });

/** For durations handed to livekit-server-sdk: it converts them with `BigInt()`, which throws on a fraction, so a
 * fractional value would fail every request (and the dialer would report it as an unreachable API). */
const wholeSeconds = (what: string) =>
  seconds(what).int({ error: `${what} must be a whole number of seconds (livekit-server-sdk sends it as an integer)` });

/** Numbers a tool may never dial unless `dial.allow` names them explicitly: premium-rate and
 * pay-per-minute ranges that toll fraud through prompt injection aims at. Users narrow `allow` further. */
export const DEFAULT_DENIED_PREFIXES = [
  '+1900*', // US/Canada premium rate
  '+1976*', // US pay-per-call
  // Inside +1 but international rates: Caribbean and Atlantic area codes that revenue-share ("one ring") fraud
  // targets because they look like US numbers.
  ...['242', '246', '264', '268', '284', '345', '441', '473', '649', '658', '664', '721', '758', '767', '784', '809', '829', '849', '868', '869', '876'].map(
    (area) => `+1${area}*`,
  ),
  '+449*', // UK premium rate (09xx)
  '+4470*', // UK "personal numbers", a classic fraud range
  '+4487*', // UK revenue-sharing (087x)
  '+3389*', // France premium (089x)
  '+49900*', // Germany premium rate
  '+39899*', // Italy premium
  '+61190*', // Australia premium
  '+881*', // satellite / global mobile
  '+882*', // international networks
  '+883*',
];

/** A dial pattern: an exact E.164 number, a prefix ending in `*`, or `*` alone (everything). */
const dialPattern = z
  .string()
  .regex(/^(\*|\+[0-9]{1,15}\*?)$/, { error: 'a dial pattern is "*", an E.164 number, or an E.164 prefix ending in "*"' });

const presence = z.strictObject({
  userAwayTimeout: seconds('presence.userAwayTimeout').default(15)
    .describe("Seconds of silence (both sides listening) before LiveKit marks the user `away`. Passed to AgentSession."),
  activitySignal: z.enum(['vad', 'transcript']).default('vad')
    .describe("What brings an away user back: `vad` (speech detected or a transcript) or `transcript` (a final transcript only; robust to line noise on phone calls)."),
  callerReconnectGrace: seconds('presence.callerReconnectGrace').default(20)
    .describe("A caller whose connection drops without hanging up (a network fault, a reconnect that comes back with a new session) has this long to come back before it counts as a hang-up. Default: livekit-server's own departure timeout (`room.departure_timeout`, 20 s), for which it keeps the room. Hang-ups (the caller leaving, a SIP BYE, a removal, a deleted room) end the caller's part at once."),
});

const checkIn = z.strictObject({
  mode: z.enum(['llm', 'fixed']).default('llm')
    .describe("`llm`: generate the check-in from `instructions`; `fixed`: say `messages[attempt-1]` (the last repeats)."),
  interval: seconds('checkIn.interval').default(10)
    .describe("Seconds to wait after a check-in finished playing before the next one (or the goodbye)."),
  maxPrompts: z.number().int().min(1).max(10).default(3)
    .describe("Check-ins before the goodbye."),
  resetOnSpeech: z.boolean().default(true)
    .describe("Whether user activity resets the check-in count."),
  instructions: z
    .string()
    .min(1)
    .default('The user has been silent for a while. Briefly and kindly ask whether they are still there.')
    .describe("Instructions for `llm` mode."),
  messages: z
    .array(z.string().min(1))
    .min(1)
    .default(['Are you still there?', 'Hello? I can wait if you need a moment.', 'I still cannot hear you.'])
    .describe("Fixed texts; in `llm` mode they are the model's fallback if generation fails."),
  roomInstructions: z
    .string()
    .min(1)
    .default('Nobody on this call has spoken for a while. Briefly ask whether everyone is still there.')
    .describe("In a conference (a dialed participant answered and is in the room) the check-in addresses everyone: these instructions (`llm`) or texts (`fixed`) instead."),
  roomMessages: z
    .array(z.string().min(1))
    .min(1)
    .default(['Is everyone still there?', 'Hello? Is anyone still on the line?', 'I still cannot hear anyone.'])
    .describe('Fixed check-in texts for a conference (everyone in the room), as `messages` is for the caller alone.'),
  maxSeconds: seconds('checkIn.maxSeconds').default(15)
    .describe("Upper bound on a check-in's playout: a prompt whose playout never reports done is treated as done."),
});

/**
 * What the agent says when the caller joins, before anything else. `off`: nothing until the caller speaks. `fixed`:
 * `text`. `llm`: a reply generated from `instructions` (`text` if generation fails). Presence counts from its end:
 * the framework's away timer (presence.userAwayTimeout) only runs while the agent is not speaking.
 */
const greeting = z.strictObject({
  mode: z
    .enum(['off', 'fixed', 'llm'])
    .default('off')
    .describe(
      'What the agent says when the caller joins, before anything else: `off` (nothing until the caller speaks), `fixed` (`greeting.text`) or `llm` (a reply generated from `greeting.instructions`; `text` if generation fails). Presence counts from its end: the framework\'s away timer only runs while the agent is quiet.',
    ),
  text: z.string().min(1).default('Hi! How can I help you today?').describe('The fixed greeting (and the fallback of a generated one).'),
  instructions: z.string().min(1).default('Greet the caller in one short sentence and ask how you can help.').describe('Instructions for a generated greeting (`llm` mode).'),
});

/** Close reasons someone is still there to hear a goodbye for; each has its own text. */
export const GOODBYE_REASONS = ['user_unresponsive', 'end_requested', 'max_duration', 'drain'] as const;
export type GoodbyeReason = (typeof GOODBYE_REASONS)[number];

const goodbye = z.strictObject({
  messages: z
    .strictObject({
      user_unresponsive: z.string().min(1).default("It seems you've stepped away. I'll end the call now. Goodbye!"),
      end_requested: z.string().min(1).default('Okay, ending the call now. Goodbye!'),
      max_duration: z.string().min(1).default("We've reached the time limit for this call. Goodbye!"),
      drain: z.string().min(1).default('I have to end the call now. Sorry about that, goodbye!'),
    })
    .prefault({})
    .describe("Said (fixed text, not generated) before an orderly close, by close reason: a user who asked to end the call is not told they stepped away."),
  maxSeconds: seconds('goodbye.maxSeconds').default(10)
    .describe("Upper bound on waiting for the goodbye's playout before closing anyway."),
});

const dial = z.strictObject({
  settleTimeout: seconds('dial.settleTimeout').default(45)
    .describe("A close wanted during a dial (end request, drain, max duration) waits this long for it to settle."),
  ringingTimeout: wholeSeconds('dial.ringingTimeout').default(30)
    .describe("Ringing time before the SIP call counts as unanswered (passed to CreateSIPParticipant, as whole seconds)."),
  maxSeconds: seconds('dial.maxSeconds').default(120)
    .describe("Hard ceiling for a dial to settle; past it the machine cancels the dial so presence can never stay paused. Must exceed `dial.ringingTimeout`, and with AMD on also `dial.amd.detectionTimeout`, the 30 s of extensions AMD's classifier may ask for and (with `leave-message`) the voicemail message at 2 words/s."),
  onCallerLeft: z.enum(['cancel', 'continue']).default('cancel')
    .describe("What a caller hanging up mid-dial does to the dial: cancel it explicitly, or let it continue and settle."),
  allow: z.array(dialPattern).default(['+1*'])
    .describe("Numbers that may be dialed. Default: one country (+1, US and Canada), minus the denied ranges below. Set it to the countries or exact numbers you serve; `['*']` would let an injected prompt dial anywhere not denied."),
  deny: z.array(dialPattern).default([...DEFAULT_DENIED_PREFIXES])
    .describe("Numbers that may never be dialed, even when allowed (see DEFAULT_DENIED_PREFIXES)."),
  maxPerCall: z.number().int().min(1).max(20).default(3)
    .describe("Dials one call may place (answered or not); further requests are refused with reason `limit`."),
  sipTrunkId: z.string().default('')
    .describe("LiveKit outbound SIP trunk id used by the dialer (env SIP_OUTBOUND_TRUNK_ID)."),
  holdCaller: z
    .strictObject({
      audioInput: z.boolean().default(false).describe("While a dial is in flight, the session does not act on the caller's audio (their speech neither interrupts nor starts a turn)."),
      muteTrack: z.boolean().default(false).describe("While a dial is in flight, the legs being dialed are unsubscribed from the caller's microphone, so the person being dialed does not hear them (the track itself is never muted: a real server refuses to unmute it remotely)."),
    })
    .prefault({})
    .describe("Caller hold while a dial is in flight (both off by default). `audioInput`: the session stops listening to the caller (`session.input.setAudioEnabled(false)`), so their speech neither interrupts nor starts a turn. `muteTrack`: the legs being dialed do not receive the caller's microphone (each is unsubscribed from it server-side, `RoomServiceClient.updateSubscriptions`), so the person being dialed does not hear them either; the track itself is never muted, since a real server refuses to unmute it remotely unless `room.enable_remote_unmute` is set. Both are restored when the dial ends, however it ends. Participant permissions (`updateParticipant`) are never touched: they neither mute nor unmute a track."),
  onVoicemail: z.enum(['hangup', 'leave-message']).default('hangup')
    .describe("A machine answered (voicemail, IVR, a full mailbox): `hangup` removes its leg at once; `leave-message` first says `voicemailMessage` into a voicemail (a mailbox that takes messages), then removes the leg. Either way the dial ends as `voicemail` and nobody joins the call."),
  voicemailMessage: z
    .string()
    .min(1)
    .default("Hello, this is an automated assistant calling on behalf of someone who wanted to add you to a call. They will try you again later. Goodbye.")
    .describe("What `leave-message` says to a voicemail, after its greeting (fixed text)."),
  amd: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Answering-machine detection on every answered dial (human or uncertain: a conference; a machine: `dial.onVoicemail`).'),
      noSpeechTimeout: seconds('dial.amd.noSpeechTimeout').default(10)
        .describe("Nothing heard from the leg for this long: AMD settles as `uncertain` (a person who has not spoken yet)."),
      detectionTimeout: seconds('dial.amd.detectionTimeout').default(20)
        .describe("AMD's detection budget from when it starts listening (a greeting still playing extends it until it ends)."),
      models: z.enum(['auto', 'session']).default('auto')
        .describe("The models AMD classifies with. `auto` (the framework's choice): on LiveKit Cloud with credentials, its own inference LLM and STT (billed to the project); elsewhere the session's LLM and transcripts. `session`: always the session's LLM and transcripts."),
    })
    .prefault({})
    .describe("Answering-machine detection (the framework's `voice.AMD`) on every answered dial, before it counts as settled: the session listens to the dialed participant until AMD decides (human, or `uncertain`, which counts as human: a conference; a machine: `onVoicemail`). Presence stays paused meanwhile; `dial.maxSeconds` and the close's `dial.settleTimeout` still bound it."),
});

const maxCallDuration = z
  .strictObject({
    seconds: seconds('maxCallDuration.seconds')
      .describe("Call length after which the call is closed."),
    warnBefore: z.number().finite().min(0).default(30)
      .describe("Seconds ahead of the limit at which the warning is spoken (0: no warning)."),
    message: z.string().min(1).default('We are almost out of time; I will have to end the call shortly.')
      .describe("The warning's text."),
  })
  .nullable()
  .default(null)
  .describe('Max call duration, off by default (null): the warning `warnBefore` seconds ahead, then the same close path with reason `max_duration`. Must keep `warnBefore` < `seconds`.');

const shutdown = z.strictObject({
  budget: seconds('shutdown.budget').default(5)
    .describe("The whole shutdown (tasks, callbacks, record) must finish within this budget."),
  processTimeout: seconds('shutdown.processTimeout').default(60)
    .describe("The worker's `shutdownProcessTimeout` (ServerOptions), fixed when the worker starts: when the WORKER closes a job (server termination, drain timeout, worker exit), the job process gets this long, counted from the moment its session is finalized, to run its shutdown callbacks and exit before it is SIGKILLed. A close the job starts itself (ctx.shutdown) has no such limit. Not overridable per call. Must be ≥ `shutdown.budget` + `shutdown.margin`."),
  margin: seconds('shutdown.margin').default(5)
    .describe("Slack kept, inside processTimeout, for what follows our shutdown: room disconnect, log flush, native dispose."),
  onSigterm: z.enum(['continue', 'drain']).default('continue')
    .describe("SIGTERM reaching the job process itself (a process-group stop). `continue`: as the framework, the call goes on (the worker drains on its own SIGTERM and lets calls finish). `drain`: wind the call down politely (goodbye, close)."),
  callbackTimeout: seconds('shutdown.callbackTimeout').default(3)
    .describe("Each shutdown callback's own deadline (capped by what is left of the budget); then it is abandoned and named. Must be ≤ `shutdown.budget`."),
});

const record = z.strictObject({
  enabled: z.boolean().default(true)
    .describe("Write one append-only JSONL session record per call."),
  dir: z.string().min(1).default('./sessions')
    .describe("Directory of the session records (created if missing)."),
});

const endSession = z.strictObject({
  allow: z.array(z.string().min(1)).default(['$caller', 'backend-*'])
    .describe("Participant identities allowed to end the call through the `agent.endSession` RPC: exact identities, prefixes ending in `*`, `*` for any participant in the room, and `$caller` for the caller the agent serves. Default: the caller and backend participants (identities starting `backend-`, which only your token server can mint)."),
});

const models = z.strictObject({
  provider: z.enum(['openai', 'scripted']).default('openai')
    .describe("Who answers: `openai` (STT, LLM and TTS from the OpenAI plugin, with the model names below) or `scripted` (no model service: a fixed transcript per speech segment, the framework's FakeLLM, a tone per text; what the e2e suite runs against LiveKit's real server)."),
  stt: z.string().min(1).default('gpt-4o-transcribe').describe('The OpenAI speech-to-text model (`provider: openai`).'),
  llm: z.string().min(1).default('gpt-4.1-mini').describe('The OpenAI language model (`provider: openai`).'),
  tts: z.string().min(1).default('gpt-4o-mini-tts').describe('The OpenAI text-to-speech model (`provider: openai`).'),
  voice: z.string().min(1).default('alloy').describe('The OpenAI TTS voice (`provider: openai`).'),
  instructions: z.string().min(1).default('You are a helpful, concise voice assistant.')
    .describe("The agent's system instructions."),
});

const worker = z.strictObject({
  loadThreshold: z.number().finite().positive().default(0.7)
    .describe("The worker's `loadThreshold` (ServerOptions), fixed when it starts: at this load (the framework measures the machine's CPU, 0..1) the worker tells the server it is full and takes no new calls; the server itself also stops dispatching to a worker whose load reaches its `agents.target_load` (0.7). The framework's default, 0.7, suits a host of its own; above 1 the worker never calls itself full (a host shared with other work, such as the e2e stack). On LiveKit Cloud the framework ignores it and uses 0.7. Not overridable per call."),
  maxCalls: z.number().int().positive().optional()
    .describe("When set, the worker's load is its running calls / `maxCalls` instead of the machine's CPU, and it is full at `maxCalls` calls (`loadThreshold` then does not apply). For a host shared with other work: a busy machine reports a CPU load near 1, and livekit-server dispatches no job to a worker whose load is 1, whatever the thresholds (found with the e2e stack on two busy cores). On LiveKit Cloud the framework ignores a custom load and uses the CPU."),
});

export const configSchema = z
  .strictObject({
    presence: presence.prefault({}),
    greeting: greeting.prefault({}),
    checkIn: checkIn.prefault({}),
    goodbye: goodbye.prefault({}),
    closeAction: z
      .enum(['delete-room', 'leave'])
      .default('delete-room')
      .describe('After the close: `delete-room` (hangs up every participant, SIP callers too) or `leave` (only the agent goes).'),
    dial: dial.prefault({}),
    maxCallDuration,
    endSession: endSession.prefault({}),
    shutdown: shutdown.prefault({}),
    worker: worker.prefault({}),
    record: record.prefault({}),
    models: models.prefault({}),
  })
  .superRefine((c, ctx) => {
    // The framework's kill timer runs only when the worker closes the job, and only from the end of finalizeSession:
    // then the machine neither waits for a dial nor says goodbye (JOB_SHUTDOWN), so what must fit is our bounded
    // shutdown plus what the job process does after it (room disconnect, log flush, native dispose).
    const worst = c.shutdown.budget + c.shutdown.margin;
    if (worst > c.shutdown.processTimeout) {
      ctx.addIssue({
        code: 'custom',
        path: ['shutdown', 'processTimeout'],
        input: c.shutdown.processTimeout,
        message:
          `must be >= shutdown.budget + shutdown.margin (${c.shutdown.budget} + ${c.shutdown.margin} = ${worst} s), ` +
          `or the worker kills a job it closes before its shutdown callbacks finish`,
      });
    }
    if (c.shutdown.callbackTimeout > c.shutdown.budget) {
      ctx.addIssue({
        code: 'custom',
        path: ['shutdown', 'callbackTimeout'],
        input: c.shutdown.callbackTimeout,
        message: `must be <= shutdown.budget (${c.shutdown.budget} s): no callback may outlive the whole shutdown`,
      });
    }
    if (c.dial.maxSeconds <= c.dial.ringingTimeout) {
      ctx.addIssue({
        code: 'custom',
        path: ['dial', 'maxSeconds'],
        input: c.dial.maxSeconds,
        message: `must be > dial.ringingTimeout (${c.dial.ringingTimeout} s): the watchdog would cancel dials still ringing`,
      });
    }
    // The watchdog must not cut a dial that is still going as designed: ringing, then answering-machine detection (its
    // budget plus the extensions its classifier may ask for), then the voicemail message.
    const screening = dialScreeningSeconds(c.dial);
    if (screening > 0 && c.dial.maxSeconds <= c.dial.ringingTimeout + screening) {
      ctx.addIssue({
        code: 'custom',
        path: ['dial', 'maxSeconds'],
        input: c.dial.maxSeconds,
        message:
          `must be > dial.ringingTimeout + what answering-machine detection may take (${c.dial.ringingTimeout} + ${screening} = ` +
          `${c.dial.ringingTimeout + screening} s: dial.amd.detectionTimeout, ${AMD_EXTENSION_SECONDS} s of extensions` +
          `${c.dial.onVoicemail === 'leave-message' ? ', the voicemail message' : ''}), or the watchdog cuts dials AMD is still deciding about`,
      });
    }
    if (c.maxCallDuration && c.maxCallDuration.warnBefore >= c.maxCallDuration.seconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxCallDuration', 'warnBefore'],
        input: c.maxCallDuration.warnBefore,
        message: `must be < maxCallDuration.seconds (${c.maxCallDuration.seconds})`,
      });
    }
  });

/**
 * Extensions `voice.AMD` 1.9 grants its classifier beyond `detectionTimeout` (amd.ts: MAX_EXTENSIONS 3 ×
 * MAX_EXTENSION_MS 10 s).
 */
export const AMD_EXTENSION_SECONDS = 30;
/** Words per second the voicemail message is allowed: slow speech, so the allowance errs long. */
const MESSAGE_WORDS_PER_SECOND = 2;

/** Seconds an answered dial may spend in answering-machine detection and the voicemail message (0 without AMD). */
export function dialScreeningSeconds(dial: { amd: { enabled: boolean; detectionTimeout: number }; onVoicemail: string; voicemailMessage: string }): number {
  if (!dial.amd.enabled) return 0;
  const message = dial.onVoicemail === 'leave-message' ? Math.ceil(dial.voicemailMessage.trim().split(/\s+/).length / MESSAGE_WORDS_PER_SECOND) : 0;
  return dial.amd.detectionTimeout + AMD_EXTENSION_SECONDS + message;
}

/** The validated, complete configuration. */
export type AgentConfig = z.output<typeof configSchema>;
/** What a user writes: every key optional, defaults filled in. */
export type AgentConfigInput = z.input<typeof configSchema>;

/** A partial override: any subset of keys, at any depth (env, scenarios, dispatch metadata). */
export type ConfigOverride = DeepPartial<AgentConfig>;
export type DeepPartial<T> = T extends readonly (infer _U)[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
