/**
 * `npm run simulate -- <scenario.json>... [--json]`: runs scenarios against the machine on a virtual clock and prints
 * the timeline. Exit 0 when every invariant and expectation holds, 1 when one does not, 2 on invalid input.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { loadScenario } from '../simulator/scenario.js';
import { runModel, type RunResult } from '../simulator/runModel.js';
import { toJsonLines, toText } from '../simulator/timeline.js';

const USAGE = 'usage: npm run simulate -- <scenario.json>... [--json]';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help || positionals.length === 0) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const base: AgentConfig = (await import('../../agent.config.js')).default;
  let worst = 0;
  for (const file of positionals) {
    const result: RunResult = runModel(loadScenario(file), base);
    const { timeline, summary, failures } = result;
    console.log(values.json ? toJsonLines(timeline, summary) : toText(result.scenario.name, timeline, summary));
    for (const f of failures) console.error(`${file}: EXPECT FAILED ${f}`);
    if (summary.violations.length || failures.length) worst = 1;
  }
  return worst;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof ConfigError || (e instanceof Error && e.name === 'ConfigError')) {
      console.error(e.message);
      process.exit(2);
    }
    console.error(e);
    process.exit(2);
  },
);
