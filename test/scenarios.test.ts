import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import agentConfig from '../agent.config.js';
import { dialRefusal } from '../machines/dialPolicy.js';
import { ConfigError, withOverrides } from '../src/config/load.js';
import { checkInvariants } from '../src/timeline/invariants.js';
import { runModel } from '../src/simulator/runModel.js';
import { loadScenario, parseScenario, type ScenarioInput } from '../src/simulator/scenario.js';
import type { TimelineEvent } from '../src/timeline/timeline.js';
import { simulate } from '../src/cli/simulateCommand.js';
import { runCommand } from './support/cli.js';

const DIR = join(import.meta.dirname, '..', 'scenarios');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

describe('shipped scenarios', () => {
  it('there is at least one per rule', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(8);
  });

  it.each(FILES)('%s passes its expectations with no violation', (file) => {
    const result = runModel(loadScenario(join(DIR, file)), agentConfig);
    expect(result.summary.violations).toEqual([]);
    expect(result.failures).toEqual([]);
    expect(result.scenario.expect.sequence.length + result.scenario.expect.never.length).toBeGreaterThan(0);
  });
});

describe('the simulator', () => {
  it('lets speech at the very instant a check-in is due count as an answer (steps precede deadlines)', () => {
    const checkInTimesWhenUserAnswersAt = (answerAt: number) =>
      runModel(
        parseScenario({
          name: `answer at ${answerAt}`,
          config: { checkIn: { mode: 'fixed', interval: 10 } },
          model: { replyLatency: 0 },
          steps: [{ at: 1, say: 'hi' }, { at: answerAt, say: 'yes' }],
          until: 40,
        }),
        agentConfig,
      ).timeline.filter((e) => e.type === 'checkIn').map((e) => e.t);
    // hi ends at 1.4, reply "Okay." ends at 1.8; away at 16.8; check-in #1 plays 1.6 s → 18.4; #2 due at 28.4.
    expect(checkInTimesWhenUserAnswersAt(28.7)).toEqual([16.8, 28.4]);
    expect(checkInTimesWhenUserAnswersAt(28.4)).toEqual([16.8]);
  });

  it('flags a broken expectation', () => {
    const r = runModel(
      parseScenario({ name: 'x', steps: [], until: 100, expect: { sequence: [{ type: 'checkIn', attempt: 1, at: 3 }], never: [{ type: 'userState' }] } }),
      agentConfig,
    );
    expect(r.failures).toEqual([
      'expect.sequence.0: {"type":"checkIn","at":3,"attempt":1} not found in order (seen at t=15.000)',
      'expect.never.0: {"type":"userState"} happened at t=15.000',
    ]);
  });

  it('rejects an invalid scenario naming the step index and the bad value', () => {
    const bad = (input: unknown) => {
      try {
        parseScenario(input, 'bad.json');
      } catch (e) {
        return (e as ConfigError).message;
      }
      return 'no error';
    };
    expect(bad({ name: 'x', steps: [{ at: 1, say: 'a' }, { at: -2, say: 'b' }] })).toMatch(/steps\.1\.at: .*>= 0.*\(got -2\)/);
    expect(bad({ name: 'x', steps: [{ at: 1, say: 'a', dial: '+1555' }] })).toMatch(/steps\.0: a step needs exactly one of/);
    expect(bad({ name: 'x', steps: [{ at: 1, shout: 'a' }] })).toMatch(/steps\.0\.shout: unknown key/);
    expect(bad({ name: 'x', sip: { '+1555': { outcome: 'maybe' } } })).toMatch(/sip\.\+1555\.outcome: .*\(got "maybe"\)/);
    expect(() => runModel(parseScenario({ name: 'x', config: { checkIn: { interval: 0 } } }), agentConfig)).toThrow(
      /invalid scenario "x" config:\n {2}- checkIn.interval: .*\(got 0\)/,
    );
  });

  it('never dials what the policy refuses, whatever the scenario asks', () => {
    const r = runModel(
      parseScenario({ name: 'x', steps: ['+19005550100', '12345', '+4470123456'].map((dial, i) => ({ at: i + 1, dial })), until: 30 }),
      agentConfig,
    );
    expect(r.timeline.filter((e) => e.type === 'dialStart')).toEqual([]);
    expect(dialRefusal('+15550001111', agentConfig.dial)).toBeNull();
  });
});

describe('closes the job process sees', () => {
  const call: ScenarioInput = {
    name: 'a call with a dial, check-ins and a SIGTERM',
    config: { checkIn: { mode: 'fixed', interval: 10, maxPrompts: 2 } },
    sip: { '+15550001111': { outcome: 'answered', ringSeconds: 20 } },
    steps: [
      { at: 0, say: 'please add my manager' },
      { at: 3, dial: '+15550001111' },
      { at: 8, sigterm: true },
      { at: 40, sigterm: true },
    ],
    until: 200,
  };
  const withoutSigterm = { ...call, steps: call.steps!.filter((s) => !('sigterm' in s)) };
  const drop = (timeline: readonly TimelineEvent[]) => timeline.filter((e) => e.type !== 'sigterm');

  it('with the default config (shutdown.onSigterm continue) a SIGTERM changes nothing: the call goes on', () => {
    const r = runModel(parseScenario({ ...call, expect: { sequence: [{ type: 'sigterm', at: 8 }, { type: 'dialEnd', outcome: 'answered', at: 24.9 }, { type: 'checkIn', attempt: 1 }, { type: 'shutdown', reason: 'user_unresponsive' }], never: [{ type: 'goodbye', from: 8, to: 60 }, { type: 'sessionClose', reason: 'drain' }] } }), agentConfig);
    expect(r.failures).toEqual([]);
    expect(r.summary.violations).toEqual([]);
    expect(r.timeline.filter((e) => e.type === 'sigterm').map((e) => e.t)).toEqual([8, 40]);
    expect(drop(r.timeline)).toEqual(runModel(parseScenario(withoutSigterm), agentConfig).timeline);
  });

  // Answered at 23 s; answering-machine detection hears the callee's hello and settles the dial at 24.9 s.
  it("with shutdown.onSigterm 'drain' the same SIGTERM winds the call down: the dial settles, then goodbye and close", () => {
    const r = runModel(parseScenario({ ...call, config: { ...call.config, shutdown: { onSigterm: 'drain' } } }), agentConfig);
    expect(r.summary.violations).toEqual([]);
    expect(r.timeline.filter((e) => ['dialEnd', 'goodbye', 'sessionClose'].includes(e.type)).map((e) => [e.type, e.t])).toEqual([['dialEnd', 24.9], ['goodbye', 24.9], ['sessionClose', expect.any(Number)]]);
    expect(r.summary.closeReason).toBe('drain');
  });

  it('reads jobShutdown and disconnect steps, and names the step of a bad one', () => {
    const s = parseScenario({ name: 'x', steps: [{ at: 1, jobShutdown: true }, { at: 2, disconnect: 'network' }] });
    expect(s.steps).toEqual([{ at: 1, jobShutdown: true }, { at: 2, disconnect: 'network' }]);
    expect(() => parseScenario({ name: 'x', steps: [{ at: 1, disconnect: 'unplugged' }] }, 'bad.json')).toThrow(/steps\.0\.disconnect: .*\(got "unplugged"\)/);
    expect(() => parseScenario({ name: 'x', steps: [{ at: 1, jobShutdown: true, disconnect: 'network' }] }, 'bad.json')).toThrow(/steps\.0: a step needs exactly one of .*jobShutdown, disconnect/);
  });

  it('a job shutdown or a lost connection with no dial: no goodbye, closed at once, the room still deleted', () => {
    for (const [step, entry, reason] of [
      [{ jobShutdown: true }, { type: 'jobShutdown' }, 'job_shutdown'],
      [{ disconnect: 'network' }, { type: 'disconnect', reason: 'SIGNAL_CLOSE' }, 'disconnected'],
    ] as const) {
      const r = runModel(parseScenario({ name: reason, steps: [{ at: 0, say: 'hello' }, { at: 5, ...step }], until: 100 }), agentConfig);
      expect(r.summary.violations).toEqual([]);
      const tail = r.timeline.filter((e) => e.t === 5 && !['presence', 'agentState', 'userState'].includes(e.type)).map(({ t: _t, ...e }) => e);
      expect(tail).toEqual([entry, { type: 'sessionClose', reason }, { type: 'shutdown', reason }, { type: 'deleteRoom' }]);
    }
  });
});

describe('the invariants name the rule that broke', () => {
  const config = withOverrides(agentConfig, {}, 'test');
  const drain = withOverrides(agentConfig, { shutdown: { onSigterm: 'drain' } }, 'test');
  const at = (t: number, e: Record<string, unknown>) => ({ t, ...e }) as TimelineEvent;
  const dialing = [at(1, { type: 'dialStart', number: '+15550001111' })];
  const closed = (t: number, reason: string) => [at(t, { type: 'sessionClose', reason }), at(t, { type: 'shutdown', reason }), at(t, { type: 'deleteRoom' })];

  it('accepts the machine\'s own close after a job shutdown mid-dial', () => {
    const ok = [...dialing, at(5, { type: 'jobShutdown' }), at(5, { type: 'dialCancel', number: '+15550001111' }), at(5, { type: 'dialEnd', number: '+15550001111', outcome: 'cancelled' }), ...closed(5, 'job_shutdown')];
    expect(checkInvariants(ok, config, 100)).toEqual([]);
  });

  it('a dial in flight at a job shutdown or a lost connection must be cancelled, not merely recorded', () => {
    for (const trigger of [{ type: 'jobShutdown' }, { type: 'disconnect', reason: 'SIGNAL_CLOSE' }]) {
      const recorded = [...dialing, at(5, trigger), at(5, { type: 'dialEnd', number: '+15550001111', outcome: 'cancelled' }), ...closed(5, 'x')];
      expect(checkInvariants(recorded, config, 100)).toEqual([
        `t=5.000 dialEnd [agent-gone-closes-at-once]: the dial to +15550001111 in flight at the ${trigger.type} at t=5.000 was only recorded as cancelled, not cancelled`,
      ]);
      const never = [...dialing, at(5, trigger)];
      expect(checkInvariants(never, config, 100)).toEqual([
        `t=5.000 ${trigger.type} [agent-gone-closes-at-once]: the dial to +15550001111 in flight was never cancelled`,
        `t=5.000 ${trigger.type} [bounded-close]: no shutdown followed within 55.002 s`,
      ]);
    }
  });

  it('nothing is waited for after the agent is gone: no goodbye, no check-in before the close', () => {
    const goodbye = [at(5, { type: 'disconnect', reason: 'SIGNAL_CLOSE' }), at(5, { type: 'goodbye' }), ...closed(9, 'disconnected')];
    expect(checkInvariants(goodbye, config, 100)).toEqual(['t=5.000 goodbye [no-goodbye-when-gone]: after the disconnect at t=5.000: nobody is left to hear it']);
    const checkIn = [at(5, { type: 'jobShutdown' }), at(6, { type: 'checkIn', attempt: 1 }), ...closed(9, 'job_shutdown')];
    expect(checkInvariants(checkIn, config, 100)).toEqual(['t=6.000 checkIn [agent-gone-closes-at-once]: after the jobShutdown at t=5.000 the close must follow at once']);
  });

  it('a dial cancelled for no reason, and a SIGTERM that is an exit only when it drains', () => {
    const cancel = [...dialing, at(5, { type: 'dialCancel', number: '+15550001111' }), at(5, { type: 'dialEnd', number: '+15550001111', outcome: 'cancelled' })];
    expect(checkInvariants(cancel, config, 100)).toEqual([
      't=5.000 dialCancel [dial-cancel-cause]: dial cancelled without a caller hang-up, close deadline, watchdog, job shutdown or lost connection',
    ]);
    const sigterm = [at(5, { type: 'sigterm' })];
    expect(checkInvariants(sigterm, config, 100)).toEqual([]);
    expect(checkInvariants(sigterm, drain, 100)).toEqual(['t=5.000 sigterm [bounded-close]: no shutdown followed within 55.002 s']);
  });
});

// The command's entry as a child process (its exit code and output, as `npm run simulate` runs it) for a model run
// and an agent run; its arguments, exit codes and --html through the same command in this process. Side by side.
describe.concurrent('npm run simulate', () => {
  const cli = join(import.meta.dirname, '..', 'src', 'cli', 'simulate.ts');
  const simulateProcess = async (...args: string[]) => runCommand([cli, ...args]);
  const simulateHere = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const status = await simulate(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { status, stdout: out.join('\n'), stderr: err.join('\n') };
  };

  it('prints JSON lines ending in a summary and exits 0 for a passing scenario', async ({ expect }) => {
    const { status, stdout: out } = await simulateProcess(join(DIR, '04-dial-guard.json'), '--json');
    expect(status).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { t: number; type: string });
    expect(lines.at(-1)).toMatchObject({ type: 'summary', dials: 1, violations: [] });
    expect(lines.map((l) => l.type)).toEqual(expect.arrayContaining(['userState', 'agentState', 'dialStart', 'dialEnd', 'checkIn', 'shutdown']));
  });

  it('exits 1 on a failed expectation and 2 on an invalid scenario, with a clear message', async ({ expect }) => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    writeFileSync(join(dir, 'fail.json'), JSON.stringify({ name: 'f', until: 30, expect: { never: [{ type: 'checkIn' }] } }));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ name: 'b', steps: [{ at: 'soon', say: 'x' }] }));
    const fail = await simulateHere(join(dir, 'fail.json'));
    expect(fail.status).toBe(1);
    expect(fail.stderr).toContain('EXPECT FAILED expect.never.0');
    const bad = await simulateHere(join(dir, 'bad.json'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/steps\.0\.at: .*\(got "soon"\)/);
  });

  it('--html draws every scenario of the run into one page, a section each, and still prints the timelines', async ({ expect }) => {
    const out = join(mkdtempSync(join(tmpdir(), 'sim-')), 'nested', 'calls.html');
    const files = ['01-unresponsive-user.json', '04-dial-guard.json'].map((f) => join(DIR, f));
    const { status, stdout: printed } = await simulateHere(...files, '--html', out);
    expect(status).toBe(0);
    expect(printed).toContain('scenario: ');
    const html = readFileSync(out, 'utf8');
    const names = files.map((f) => loadScenario(f).name);
    expect([...html.matchAll(/<section data-scenario="([^"]+)">/g)].map((m) => m[1])).toEqual(names);
    expect(html.match(/<svg class="timeline"/g)).toHaveLength(2);
    expect(html).toMatch(/class="span dial o-answered" data-kind="dial"/);
  });

  it('--mode agent runs the real AgentSession and prints the same JSON timeline format (and draws it)', async ({ expect }) => {
    const page = join(mkdtempSync(join(tmpdir(), 'sim-')), 'agent.html');
    const { status, stdout: out } = await simulateProcess(join(DIR, '07-caller-hangs-up-mid-dial.json'), '--mode', 'agent', '--time-scale', '0.1', '--json', '--html', page);
    expect(status).toBe(0);
    expect(readFileSync(page, 'utf8')).toMatch(/agent mode .*close: caller_left[\s\S]*class="span dial o-cancelled"[\s\S]*data-kind="shutdown"/);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { t: number; type: string });
    expect(lines.at(-1)).toMatchObject({ type: 'summary', dials: 1, closeReason: 'caller_left', shutdownReason: 'caller_left', violations: [] });
    expect(lines.map((l) => l.type)).toEqual(expect.arrayContaining(['dialStart', 'callerHangup', 'dialCancel', 'shutdown']));
  });

  it("--config: an adopter's presence config (JSON) instead of agent.config.ts answers what their agent would do", async ({ expect }) => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    const scenario = join(dir, 'quiet.json');
    writeFileSync(scenario, JSON.stringify({ name: 'a quiet caller', until: 120 }));
    const mine = join(dir, 'presence.json');
    writeFileSync(mine, JSON.stringify({ presence: { userAwayTimeout: 7 }, checkIn: { mode: 'fixed', interval: 4, maxPrompts: 1 } }));
    const theirs = await simulateHere(scenario, '--config', mine, '--json');
    expect(theirs.status).toBe(0);
    const lines = theirs.stdout.trim().split('\n').map((l) => JSON.parse(l) as { t: number; type: string });
    // Their timings: away at 7 s, one check-in, then the goodbye after their 4 s interval.
    expect(lines.filter((l) => l.type === 'checkIn').map((l) => l.t)).toEqual([7]);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', checkIns: 1, closeReason: 'user_unresponsive', violations: [] });
    writeFileSync(mine, JSON.stringify({ checkIn: { interval: -1 } }));
    const bad = await simulateHere(scenario, '--config', mine);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`invalid ${mine}:`);
    expect(bad.stderr).toMatch(/checkIn\.interval: .*\(got -1\)/);
  });

  it('rejects an unknown --mode or a --time-scale outside (0, 1] with exit 2', async ({ expect }) => {
    const mode = await simulateHere(join(DIR, '07-caller-hangs-up-mid-dial.json'), '--mode', 'live');
    expect(mode.status).toBe(2);
    expect(mode.stderr).toContain('--mode must be "model" or "agent", got "live"');
    const scale = await simulateHere(join(DIR, '07-caller-hangs-up-mid-dial.json'), '--mode', 'agent', '--time-scale', '3');
    expect(scale.status).toBe(2);
    expect(scale.stderr).toContain('--time-scale must be a number in (0, 1], got "3"');
  });
});
