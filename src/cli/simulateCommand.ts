/**
 * `npm run simulate -- <scenario.json>... [--mode model|agent] [--time-scale 0.05] [--json] [--html out.html]`: runs
 * scenarios and prints the timeline; --html also draws them, one section per scenario, in one self-contained page.
 * Model mode: the machine and a model of the AgentSession on a virtual clock. Agent mode: the real AgentSession,
 * bridge and dialer against the API emulator, on a real clock scaled by --time-scale.
 * Exit 0 when every invariant and expectation holds, 1 when one does not, 2 on invalid input.
 * The process entry is simulate.ts; this module is the command itself, so the tests can run it in their own process
 * as well (its arguments and exit codes), beside the child-process runs of the entry.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inspect, parseArgs } from 'node:util';
import { initializeLogger } from '@livekit/agents';
import { ConfigError, parseOrThrow } from '../config/load.js';
import { agentConfigFile } from '../config/runtime.js';
import { configSchema, type AgentConfig } from '../config/schema.js';
import { loadScenario } from '../simulator/scenario.js';
import { runAgent } from '../simulator/runAgent.js';
import { runModel, type RunResult } from '../simulator/runModel.js';
import { toJsonLines, toText } from '../timeline/timeline.js';
import { timelineHtml, type TimelineSection } from '../pictures/timelineHtml.js';

/** Where the command writes: stdout and stderr in the process, a buffer in a test. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

const USAGE = 'usage: npm run simulate -- <scenario.json>... [--config presence.json] [--mode model|agent] [--time-scale 0.05] [--record-dir DIR] [--json] [--html out.html]';
/** Simulated seconds of slack on every expectation in agent mode: a real, scaled clock jitters. */
const AGENT_SLACK = 0.5;

async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      mode: { type: 'string', default: 'model' },
      'time-scale': { type: 'string', default: '0.05' },
      'record-dir': { type: 'string' },
      config: { type: 'string' },
      html: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    io.err(USAGE);
    return values.help ? 0 : 2;
  }
  const mode = values.mode;
  const timeScale = Number(values['time-scale']);
  if (mode !== 'model' && mode !== 'agent') return usageError(io, `--mode must be "model" or "agent", got "${mode}"`);
  if (!(timeScale > 0 && timeScale <= 1)) return usageError(io, `--time-scale must be a number in (0, 1], got "${values['time-scale']}"`);
  const recordDir = values['record-dir'];
  if (recordDir !== undefined && mode !== 'agent') return usageError(io, '--record-dir needs --mode agent (the record is what the real session wrote)');
  // "What would my agent do": an adopter's presence config (what they pass to attachPresence, as JSON) instead of
  // this agent's agent.config.ts; scenarios' own config still goes on top.
  const base = values.config !== undefined ? presenceConfigFile(values.config) : await agentConfigFile();
  if (mode === 'agent') initializeLogger({ pretty: false, level: 'error' });
  let worst = 0;
  const sections: TimelineSection[] = [];
  for (const file of positionals) {
    const scenario = loadScenario(file);
    const result: RunResult = mode === 'model' ? runModel(scenario, base) : await runAgent(scenario, base, { timeScale, slack: AGENT_SLACK, ...(recordDir ? { recordDir } : {}) });
    const { timeline, summary, failures } = result;
    io.out(values.json ? toJsonLines(timeline, summary) : toText(result.scenario.name, timeline, summary));
    for (const f of failures) io.err(`${file}: EXPECT FAILED ${f}`);
    if (summary.violations.length || failures.length) worst = 1;
    sections.push({ name: result.scenario.name, mode, timeline, summary });
  }
  const html = values.html;
  if (html !== undefined) {
    mkdirSync(dirname(html), { recursive: true });
    writeFileSync(html, timelineHtml(sections));
    io.err(`wrote ${html}`);
  }
  return worst;
}

/** A presence config in a JSON file, validated by the schema (errors name the file, the key and the value). */
function presenceConfigFile(file: string): AgentConfig {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(file, [{ path: '', value: file, message: `not a readable JSON file (${(e as Error).message})` }]);
  }
  return parseOrThrow(configSchema, input, file);
}

function usageError(io: CommandIo, message: string): number {
  io.err(`${message}\n${USAGE}`);
  return 2;
}

/** Runs the command; the exit code it returns. Invalid input (a bad scenario or config) is 2, whatever throws. */
export async function simulate(argv: string[], io: CommandIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (e) {
    io.err(e instanceof ConfigError || (e instanceof Error && e.name === 'ConfigError') ? e.message : inspect(e));
    return 2;
  }
}
