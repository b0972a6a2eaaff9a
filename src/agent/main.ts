/**
 * Process entry. With LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET (env or .env.local) it runs the real
 * worker (`npm run dev` / `npm start`); with none of them, `npm start` runs local mode: the real AgentSession, machine
 * and LiveKit API emulator in the terminal (`npm run local` runs it whatever the environment). Some but not all of
 * them is a half-configured deploy: it stops with an error naming the missing ones rather than answering nothing.
 * The framework's other commands (`connect`, `console`, `download-files`, `--help`) go to `cli.runApp` as they are.
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
// First: every module of this project loaded after this one is mapped (a bad config's error points at load.ts; this
// file's own frames, compiled before, are not). The framework it loads later is mapped too, once per worker; the
// job processes forked per call load it unmapped (agent.ts).
import '../observability/sourceMaps.js';
import { loadRuntimeConfig } from '../config/runtime.js';
import { missingModelKeys } from '../models/modelKeys.js';

if (existsSync('.env.local')) process.loadEnvFile('.env.local');

const args = process.argv.slice(2);
const COMMANDS = ['start', 'dev', 'connect', 'console', 'download-files', 'local'] as const;
// The first known command name, so the framework's global options (`--url ... start`) may come before it.
const command = args.find((a): a is (typeof COMMANDS)[number] => (COMMANDS as readonly string[]).includes(a));
// The framework also takes each credential as a flag (commander reads them before or after the command).
const CREDENTIALS = { LIVEKIT_URL: '--url', LIVEKIT_API_KEY: '--api-key', LIVEKIT_API_SECRET: '--api-secret' } as const;
const missing = Object.entries(CREDENTIALS)
  .filter(([name, flag]) => !process.env[name] && !args.some((a) => a === flag || a.startsWith(`${flag}=`)))
  .map(([name]) => name);
const none = missing.length === Object.keys(CREDENTIALS).length;
// Only these choose between the worker and local mode; no arguments at all is `start` as far as that goes.
const choosesMode = args.length === 0 || command === 'start' || command === 'dev';
// `console` and `download-files` need no server, so a partial set only matters where a worker starts.
const startsWorker = choosesMode || command === 'connect';

if (startsWorker && missing.length > 0 && !none) {
  // Names only, never values: the ones that are set may be secrets.
  console.error(
    `error: ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set (environment or .env.local), but the ` +
      `other LiveKit credentials are. The worker needs all three; local mode runs when none is set, or with \`npm run local\`.`,
  );
  process.exitCode = 1;
} else {
  // A function rather than top-level await: the build is CommonJS (scripts/build.ts). A bad config rejects here,
  // before any worker starts, and ends the process as an uncaught error would. Until run() has handed over, the exit
  // code is 13, Node's own for a top-level await that never settled: a start that stalls must not exit 0.
  process.exitCode = 13;
  void run().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

async function run(): Promise<void> {
  const config = await loadRuntimeConfig();
  if (command === 'local' || (choosesMode && none)) {
    const { runLocalMode } = await import('../local/localMode.js');
    process.exitCode = await runLocalMode(config);
    return;
  }
  const missingKeys = startsWorker ? missingModelKeys(config, process.env) : [];
  if (missingKeys.length > 0) {
    console.error(
      `error: ${missingKeys.join(' and ')} is not set (environment or .env.local), and models.provider is '${config.models.provider}': every call ` +
        `would fail after joining its room. Set it, or run without a model service with AGENT_MODEL_PROVIDER=scripted.`,
    );
    process.exitCode = 1;
    return;
  }
  // The framework loads here, once the arguments and the config are known good: a refused start answers at once.
  const { runWorker, workerOptions } = await import('./server.js');
  process.exitCode = undefined; // the framework's CLI owns the exit from here (download-files ends on its own)
  // The job processes fork agent.js from dist/ (npm start), or agent.ts when this file runs through tsx.
  runWorker(workerOptions(fileURLToPath(new URL(`./agent${extname(import.meta.url)}`, import.meta.url)), config));
}
