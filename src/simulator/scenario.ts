/**
 * The scenario format: one call, scripted on a virtual clock. Shared by the model-mode and agent-mode simulators,
 * the property tests and the shipped `scenarios/`. Times are in seconds from the start of the call.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, parseOrThrow } from '../config/load.js';
import { sipEntry } from '../sip/entry.js';

const at = z.number({ error: 'a step needs "at", a time in seconds' }).finite().min(0, { error: '"at" must be >= 0' });
const positive = z.number().finite().positive();

/** What a `disconnect` step may say happened to the agent's connection (see `DISCONNECT_REASONS` in runModel.ts). */
export const DISCONNECT_KINDS = ['network'] as const;
export type DisconnectKind = (typeof DISCONNECT_KINDS)[number];

/** The keys a step may use to say what happens; exactly one per step. */
export const STEP_KINDS = [
  'say',
  'noise',
  'dial',
  'tool',
  'callerHangup',
  'callerConnection',
  'agentConnection',
  'roomDeleted',
  'jobShutdown',
  'disconnect',
  'endRequest',
  'sigterm',
  'error',
  'calleeSays',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

const step = z
  .strictObject({
    at,
    /** The user says this (for words / speechRate seconds, then a final transcript); the agent replies. */
    say: z.string().min(1).optional(),
    /** Line noise: the VAD hears the user for this many seconds, no transcript follows. */
    noise: positive.optional(),
    /** The agent is asked to dial this number (as its add_participant tool would). */
    dial: z.string().optional(),
    /** A tool runs for `seconds`. */
    tool: z.strictObject({ name: z.string().min(1), seconds: positive }).optional(),
    callerHangup: z.literal(true).optional(),
    /**
     * The caller's connection drops without a hang-up (`lost`: DisconnectReason.SIGNAL_CLOSE), or they are back
     * (`back`: their identity joins again). A lost caller has presence.callerReconnectGrace to come back.
     */
    callerConnection: z.enum(['lost', 'back']).optional(),
    /** The agent's own connection reconnects (`reconnecting`, then `reconnected`): presence pauses meanwhile. */
    agentConnection: z.enum(['reconnecting', 'reconnected']).optional(),
    /** A backend deletes the room (DisconnectReason.ROOM_DELETED). */
    roomDeleted: z.literal(true).optional(),
    /**
     * The framework or the server ends the job (job termination, worker drain timeout, entry crash): its
     * finalizeSession closes the AgentSession, which the bridge turns into JOB_SHUTDOWN.
     */
    jobShutdown: z.literal(true).optional(),
    /** The agent's room connection ends without the room being deleted (`network`: DisconnectReason.SIGNAL_CLOSE). */
    disconnect: z.enum(DISCONNECT_KINDS).optional(),
    /** An end request from a frontend (RPC) or a backend. */
    endRequest: z.union([z.literal(true), z.enum(['frontend', 'backend'])]).optional(),
    /** SIGTERM reaching the job process: the call goes on, or winds down with `shutdown.onSigterm: 'drain'`. */
    sigterm: z.literal(true).optional(),
    /** A fatal session error with this message. */
    error: z.string().min(1).optional(),
    /** The answered dialed participant speaks (for words / speechRate seconds): the room's active speakers. */
    calleeSays: z.string().min(1).optional(),
  })
  .refine((s) => STEP_KINDS.filter((k) => s[k] !== undefined).length === 1, {
    error: `a step needs exactly one of ${STEP_KINDS.join(', ')}`,
  });
export type Step = z.output<typeof step>;


/** An expected timeline event: `type` plus any fields that must match; `at`/`within` bound its time. */
const expectedEvent = z
  .looseObject({
    type: z.string().min(1),
    at: z.number().finite().min(0).optional(),
    /** Tolerance for `at`, seconds (default 0.5). */
    within: z.number().finite().min(0).optional(),
  });
const forbiddenEvent = z.looseObject({
  type: z.string().min(1),
  /** Only forbidden inside [from, to] (seconds); anywhere when omitted. */
  from: z.number().finite().min(0).optional(),
  to: z.number().finite().min(0).optional(),
});
export type ExpectedEvent = z.output<typeof expectedEvent>;
export type ForbiddenEvent = z.output<typeof forbiddenEvent>;

/** The simulated AgentSession's speaking pace and reply habits (model mode; agent mode's TTS uses the same pace). */
const model = z.strictObject({
  /** Words per second, for the user's speech and the agent's. */
  speechRate: positive.default(2.5),
  /** Seconds the agent thinks before a generated reply or llm-mode check-in. */
  replyLatency: z.number().finite().min(0).default(0.3),
  /** What the agent answers to each user turn. */
  reply: z.string().min(1).default('Okay.'),
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Overrides of agent.config.ts for this run (same keys, same validation). */
  config: z.record(z.string(), z.unknown()).optional(),
  /** The job's dispatch metadata (a JSON string), applied exactly as the agent applies it: it may tune, never widen. */
  dispatchMetadata: z.string().optional(),
  sip: z.record(z.string(), sipEntry).default({}),
  model: model.prefault({}),
  steps: z.array(step).default([]),
  /** Simulated seconds to run; the run also ends at shutdown. */
  until: positive.default(3600),
  expect: z
    .strictObject({
      /** Events that must occur in this order (other events may come between). */
      sequence: z.array(expectedEvent).default([]),
      /** Events that must not occur (in a window when from/to are given). */
      never: z.array(forbiddenEvent).default([]),
      /** Fields the summary must have. */
      summary: z.record(z.string(), z.unknown()).default({}),
    })
    .prefault({}),
});
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  return parseOrThrow(scenarioSchema, input, source);
}

export function loadScenario(file: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(file, [{ path: '', value: undefined, message: `cannot read scenario JSON: ${(e as Error).message}` }]);
  }
  return parseScenario(raw, file);
}

export const words = (text: string) => Math.max(1, text.trim().split(/\s+/).length);
