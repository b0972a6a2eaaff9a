/**
 * Before any e2e file: the stack must be there (a missing binary or a stack that is not up fails the run, it never
 * skips it), and dist/ is built from the sources as `npm run build` does, since the worker runs the production build.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { build, PRODUCTION_SOURCES, ROOT } from '../../../scripts/build.js';

const BINARIES = ['livekit-server', 'livekit-sip', 'redis-server', 'sipp', 'sox', 'ip'] as const;

export async function setup(): Promise<void> {
  const missing = BINARIES.filter((b) => {
    try {
      execFileSync('sh', ['-c', `command -v ${b}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) throw new Error(`not on PATH: ${missing.join(', ')}; install the stack with \`npm run stack:install\``);
  for (const v of ['LK_E2E_SRV_IP', 'LK_E2E_AGENT_NS']) {
    if (!process.env[v]) throw new Error(`${v} is not set: run the e2e suite with \`npm run test:e2e\`, which starts the stack and runs it inside its network namespace`);
  }
  const res = await fetch(`http://${process.env.LK_E2E_SRV_IP}:7880/`).catch((e: Error) => e);
  if (res instanceof Error || !res.ok) throw new Error(`livekit-server does not answer at ${process.env.LK_E2E_SRV_IP}:7880 (${res instanceof Error ? res.message : res.status}); logs: ${process.env.LK_E2E_LOGS}`);
  await build(join(ROOT, 'dist'), PRODUCTION_SOURCES);
}
