/**
 * The fault matrix (the README's table lists the same cases): each runs through the real AgentSession, bridge, dialer
 * and emulator (agent-mode simulation, scaled clock) with the bounded shutdown and a session record on disk, and
 * must show exactly one shutdown with its reason, every shutdown callback attempted, the record intact (one JSON
 * object per line, first the session, last the shutdown report) and the budget kept.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeLogger } from '@livekit/agents';
import { beforeAll, describe, expect, it } from 'vitest';
import agentConfig from '../agent.config.js';
import type { CloseReason } from '../machines/events.js';
import { runAgentSideBySide, type AgentFaults, type AgentRunResult } from '../src/simulator/runAgent.js';
import { timeScaleFor } from '../src/simulator/schedulingProbe.js';
import { loadScenario, parseScenario, type ScenarioInput } from '../src/simulator/scenario.js';

initializeLogger({ pretty: false, level: 'silent' as 'error' });

const TIME_SCALE = 0.1;
const DIR = join(import.meta.dirname, '..', 'scenarios');
const quick = { presence: { userAwayTimeout: 5 }, checkIn: { interval: 4, maxPrompts: 1 } };
const dialThenEnd = (sip: ScenarioInput['sip'], extra: Partial<ScenarioInput> = {}): ScenarioInput => ({
  name: 'dial then end',
  config: { presence: { userAwayTimeout: 30 }, dial: { ringingTimeout: 10, maxSeconds: 70 } },
  sip,
  steps: [{ at: 0.5, dial: '+15550001111' }, { at: 14, endRequest: 'backend' }],
  until: 60,
  ...extra,
});

interface Case {
  name: string;
  scenario: ScenarioInput | string;
  faults?: AgentFaults;
  reason: CloseReason;
  check?: (r: AgentRunResult) => void;
}

/** 29 words: 11.6 s at the model's 2.5 words per second. */
const LONG_GOODBYE = 'It seems you have stepped away from the call for a while now, so I will end it here. Thank you for calling and have a good day. Goodbye!';
const dialEnd = (r: AgentRunResult) => r.timeline.find((e) => e.type === 'dialEnd') as { outcome: string; sipStatus?: number } | undefined;

export const FAULTS: Case[] = [
  { name: 'SIP 486 busy', scenario: dialThenEnd({ '+15550001111': { outcome: 'busy', ringSeconds: 1 } }), reason: 'end_requested', check: (r) => expect(dialEnd(r)).toMatchObject({ outcome: 'busy', sipStatus: 486 }) },
  { name: 'SIP 480 no answer', scenario: dialThenEnd({ '+15550001111': { outcome: 'no-answer', ringSeconds: 2 } }), reason: 'end_requested', check: (r) => expect(dialEnd(r)).toMatchObject({ outcome: 'no-answer', sipStatus: 480 }) },
  { name: 'SIP 404 not found', scenario: dialThenEnd({ '+15550001111': { outcome: 'failed', sipStatus: 404, ringSeconds: 0.5 } }), reason: 'end_requested', check: (r) => expect(dialEnd(r)).toMatchObject({ outcome: 'failed', sipStatus: 404 }) },
  { name: 'SIP 503 unavailable', scenario: dialThenEnd({ '+15550001111': { outcome: 'failed', ringSeconds: 0.5 } }), reason: 'end_requested', check: (r) => expect(dialEnd(r)).toMatchObject({ outcome: 'failed', sipStatus: 503 }) },
  { name: 'ringing timeout', scenario: dialThenEnd({ '+15550001111': { outcome: 'answered', ringSeconds: 30 } }), reason: 'end_requested', check: (r) => expect(dialEnd(r)).toMatchObject({ outcome: 'no-answer', sipStatus: 480 }) },
  { name: 'API unreachable (connection refused)', scenario: dialThenEnd({}), faults: { api: 'unreachable' }, reason: 'end_requested', check: (r) => expect(dialEnd(r)).toMatchObject({ outcome: 'failed' }) },
  { name: 'JWT rejected', scenario: dialThenEnd({}), faults: { api: 'jwt-rejected' }, reason: 'end_requested', check: (r) => expect(dialEnd(r)).toMatchObject({ outcome: 'failed' }) },
  {
    name: 'LLM error during a check-in',
    scenario: { name: 'llm check-in fails', config: { ...quick, checkIn: { ...quick.checkIn, mode: 'llm', maxSeconds: 3 } }, until: 60 },
    faults: { llmFailsCheckIn: true },
    // A non-retryable LLM failure is unrecoverable for LiveKit: the session closes itself with an error, and that
    // close still ends in exactly one shutdown.
    reason: 'error',
    check: (r) => expect(r.timeline.find((e) => e.type === 'checkIn')).toBeDefined(),
  },
  {
    name: 'TTS error during the goodbye',
    scenario: { name: 'goodbye tts fails', config: { ...quick, checkIn: { ...quick.checkIn, mode: 'fixed' }, goodbye: { maxSeconds: 3 } }, until: 60 },
    faults: { ttsFailsGoodbye: true },
    reason: 'user_unresponsive',
  },
  {
    name: 'a goodbye whose playout never finishes',
    scenario: { name: 'goodbye stuck', config: { ...quick, checkIn: { ...quick.checkIn, mode: 'fixed' }, goodbye: { maxSeconds: 3 } }, until: 60 },
    faults: { goodbyeNeverFinishes: true },
    reason: 'user_unresponsive',
    check: (r) => {
      const goodbye = r.timeline.find((e) => e.type === 'goodbye')!;
      expect(r.timeline.find((e) => e.type === 'sessionClose')!.t - goodbye.t).toBeGreaterThanOrEqual(2.9); // goodbye.maxSeconds bound
    },
  },
  { name: 'a shutdown callback that throws', scenario: join(DIR, '05-end-request-waits-for-dial.json'), faults: { callbacks: ['throws'] }, reason: 'end_requested', check: (r) => expect(r.shutdown!.callbacks.find((c) => c.name === 'throws-callback-0')).toMatchObject({ outcome: 'error' }) },
  { name: 'a shutdown callback that never returns', scenario: join(DIR, '13-fatal-error-leave.json'), faults: { callbacks: ['hangs'] }, reason: 'error', check: (r) => expect(r.shutdown!.callbacks.find((c) => c.name === 'hangs-callback-0')).toMatchObject({ outcome: 'timeout' }) },
  { name: 'room deleted mid-dial', scenario: join(DIR, '09-room-deleted-mid-dial.json'), reason: 'room_deleted' },
  { name: 'caller hang-up mid-dial', scenario: join(DIR, '07-caller-hangs-up-mid-dial.json'), reason: 'caller_left' },
  // SIGTERM reaching the job process drains the call only with shutdown.onSigterm 'drain' (06 and the next case set it).
  { name: 'SIGTERM mid-dial', scenario: join(DIR, '06-settle-timeout.json'), reason: 'drain' },
  {
    name: 'SIGTERM during the goodbye',
    // The SIGTERM is played the moment the goodbye starts (an 11.6 s goodbye), wherever a busy machine's scaled
    // clock puts that moment.
    scenario: {
      name: 'sigterm in goodbye',
      config: { ...quick, checkIn: { ...quick.checkIn, mode: 'fixed' }, goodbye: { messages: { user_unresponsive: LONG_GOODBYE }, maxSeconds: 15 }, shutdown: { onSigterm: 'drain' } },
      steps: [],
      until: 60,
    },
    faults: { sigtermDuringGoodbye: true },
    reason: 'user_unresponsive',
    check: (r) => {
      const goodbye = r.timeline.filter((e) => e.type === 'goodbye' || e.type === 'sigterm' || (e.type === 'playoutEnd' && e.prompt === 'goodbye'));
      expect(goodbye.map((e) => e.type)).toEqual(['goodbye', 'sigterm', 'playoutEnd']);
      expect(r.timeline.filter((e) => e.type === 'goodbye')).toHaveLength(1);
    },
  },
  {
    name: 'SIGTERM with the default config: the call goes on',
    scenario: { name: 'sigterm continues', config: { ...quick, checkIn: { ...quick.checkIn, mode: 'fixed' } }, steps: [{ at: 1, sigterm: true }], until: 60 },
    reason: 'user_unresponsive',
    check: (r) => {
      // The call ends as it would have without the SIGTERM (not as `drain`): its check-in, then the goodbye.
      const order = r.timeline.filter((e) => ['sigterm', 'checkIn', 'goodbye'].includes(e.type)).map((e) => e.type);
      expect(order).toEqual(['sigterm', 'checkIn', 'goodbye']);
    },
  },
  {
    name: 'the server ends the job mid-dial (the framework closes the session)',
    scenario: join(DIR, '16-job-shutdown-mid-dial.json'),
    reason: 'job_shutdown',
    check: (r) => expect(r.timeline.filter((e) => ['jobShutdown', 'dialCancel', 'goodbye'].includes(e.type)).map((e) => e.type)).toEqual(['jobShutdown', 'dialCancel']),
  },
  {
    name: 'connection lost mid-dial',
    scenario: join(DIR, '17-network-lost-mid-dial.json'),
    reason: 'disconnected',
    check: (r) => expect(r.timeline.filter((e) => ['disconnect', 'dialCancel', 'goodbye', 'deleteRoom'].includes(e.type)).map((e) => e.type)).toEqual(['disconnect', 'dialCancel', 'deleteRoom']),
  },
  { name: 'duplicate and out-of-order events', scenario: join(DIR, '04-dial-guard.json'), faults: { duplicateEvents: true }, reason: 'user_unresponsive' },
  { name: 'events after shutdown', scenario: join(DIR, '13-fatal-error-leave.json'), faults: { eventsAfterShutdown: true }, reason: 'error' },
];

const results = new Map<string, AgentRunResult>();
const records = mkdtempSync(join(tmpdir(), 'fault-records-'));

beforeAll(async () => {
  const scenarios = FAULTS.map((c) => (typeof c.scenario === 'string' ? loadScenario(c.scenario) : parseScenario(c.scenario)));
  const { scale, cpuShare } = await timeScaleFor(TIME_SCALE);
  process.stderr.write(`fault matrix at time scale ${scale.toFixed(2)} (this process gets ${cpuShare.toFixed(2)} of a core)\n`);
  const runs = await runAgentSideBySide(scenarios, agentConfig, (scenario) => {
    const c = FAULTS[scenarios.indexOf(scenario)]!;
    return { timeScale: scale, slack: 1, recordDir: records, ...(c.faults ? { faults: c.faults } : {}) };
  });
  FAULTS.forEach((c, i) => results.set(c.name, runs[i]!));
}, 600_000); // a hang guard: a busy machine runs the faults up to real time

describe('fault matrix', () => {
  it.each(FAULTS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = results.get(c.name)!;
    // Exactly one shutdown, with its reason.
    const shutdowns = r.timeline.filter((e) => e.type === 'shutdown');
    expect(shutdowns).toEqual([expect.objectContaining({ reason: c.reason })]);
    expect(r.summary.violations).toEqual([]);
    // Nothing after the shutdown but the room deletion of the same close.
    const after = r.timeline.slice(r.timeline.indexOf(shutdowns[0]!) + 1).filter((e) => !['deleteRoom', 'presence', 'agentState', 'userState', 'playoutEnd'].includes(e.type));
    expect(after.map((e) => e.type)).toEqual([]);
    // Every callback attempted, the budget kept (a busy machine may add the event-loop stalls measured during it).
    const report = r.shutdown!;
    expect(report.reason).toBe(c.reason);
    expect(report.callbacks.map((x) => x.name)).toEqual(['bridge.drain', ...(c.faults?.callbacks ?? []).map((k, i) => `${k}-callback-${i}`)]);
    expect(report.durationMs).toBeLessThanOrEqual(report.budgetMs + Math.ceil(r.scheduling.duringShutdownMs));
    expect(report.withinBudget).toBe(report.durationMs <= report.budgetMs);
    // The record: every line parses, session first, the shutdown report (reason, duration) last.
    const lines = readFileSync(r.recordFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; reason?: string; durationMs?: number });
    expect(lines[0]!.type).toBe('session');
    expect(lines.at(-1)).toMatchObject({ type: 'shutdownReport', reason: c.reason });
    expect(typeof lines.at(-1)!.durationMs).toBe('number');
    expect(lines.filter((l) => l.type === 'shutdown')).toHaveLength(1);
    c.check?.(r);
  });
});
