/**
 * The example adopter, installed as an adopter would have it: `npm run pack:presence`'s tarball installed into a scratch
 * copy of `examples/starter-agent`, with this folder's drivers copied into its `src/` (they import the example's own
 * agent and the installed `livekit-presence`, so they run on the adopter's copy of the framework).
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { ROOT } from '../../../scripts/build.js';
import { packPresence } from '../../../scripts/pack-presence.js';

export interface InstalledExample {
  dir: string;
  tarball: string;
  /** Runs a command in the example, with the environment an install there needs. */
  run(cmd: string, args: string[], env?: Record<string, string>): SpawnSyncReturns<string>;
  /** The example's own tsx, to run a TypeScript file of it (`src/...`) as its developer would. */
  tsx: string;
  remove(): void;
}

export async function installExample(): Promise<InstalledExample> {
  const tarball = await packPresence();
  const dir = mkdtempSync(join(tmpdir(), 'adopter-'));
  cpSync(join(ROOT, 'examples', 'starter-agent'), dir, { recursive: true });
  const drivers = join(ROOT, 'test', 'support', 'adopter');
  for (const f of readdirSync(drivers).filter((f) => f.endsWith('.ts') && f !== 'install.ts')) cpSync(join(drivers, f), join(dir, 'src', f));
  // The tone TTS the e2e driver speaks with: it imports only the framework and rtc-node, so in the scratch copy it
  // binds to the adopter's own.
  cpSync(join(ROOT, 'src', 'models', 'toneTts.ts'), join(dir, 'src', 'toneTts.ts'));
  const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
    spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', ...env }, timeout: 120_000 });
  // The example's dependencies from the npm cache the project's own install filled, and the layer from its tarball.
  // Dev dependencies too (tsx, typescript), whatever NODE_ENV the caller runs with.
  const install = run('npm', ['install', '--include=dev', '--prefer-offline', '--no-audit', '--no-fund', tarball]);
  if (install.status !== 0) throw new Error(`npm install in ${dir} failed (${install.status}):\n${install.stderr}`);
  return { dir, tarball, run, tsx: join(dir, 'node_modules', 'tsx', 'dist', 'cli.mjs'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
