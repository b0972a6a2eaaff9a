/** The agent's edges: the end-session RPC, `npm run end-session`, `npm start`. (Dispatch metadata: test/dispatch.test.ts.) */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identityAllowed } from '../src/presence/endSessionRpc.js';
import { LiveKitApiEmulator } from '../src/emulator/server.js';
import { ROOT, runCommand } from './support/cli.js';
import { startWorker } from './support/worker/run.js';

const runAsync = (args: string[], env: NodeJS.ProcessEnv) => runCommand(args, { env, cwd: '/tmp' });

// The handler's effect on a live call (accepted, refused caller, malformed payload) is in tools-api.test.ts.
describe('end-session RPC (agent.endSession)', () => {
  it('matches identities exactly, by prefix, or all', () => {
    expect(identityAllowed('a', ['a'])).toBe(true);
    expect(identityAllowed('ab', ['a'])).toBe(false);
    expect(identityAllowed('ab', ['a*'])).toBe(true);
    expect(identityAllowed('x', ['*'])).toBe(true);
    expect(identityAllowed('x', [])).toBe(false);
  });
});

// The commands run as child processes, all side by side (the demo alone takes seconds of real time).
describe.concurrent('commands', () => {
  describe('npm run end-session', () => {
    let emulator: LiveKitApiEmulator | null = null;
    afterEach(async () => emulator?.stop());

    it('deletes the room through the server API', { timeout: 60_000 }, async ({ expect }) => {
      emulator = new LiveKitApiEmulator({ apiKey: 'APIk', apiSecret: 'secret-0123456789-0123456789-0123456789' });
      const url = await emulator.start();
      const env = { ...process.env, LIVEKIT_URL: url, LIVEKIT_API_KEY: 'APIk', LIVEKIT_API_SECRET: 'secret-0123456789-0123456789-0123456789' };
      const run = await runAsync([join(ROOT, 'src/cli/endSession.ts'), '--room', 'call-7'], env);
      expect(run.stdout).toContain('room "call-7" deleted');
      expect(run.status).toBe(0);
      expect(emulator.isDeleted('call-7')).toBe(true);
      const wrong = await runAsync([join(ROOT, 'src/cli/endSession.ts'), '--room', 'call-8'], { ...env, LIVEKIT_API_SECRET: 'nope-0123456789-0123456789-0123456789' });
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toContain('could not delete room "call-8"');
      expect(wrong.stderr).not.toContain('nope-0123456789');
    });
  });

  describe.concurrent('npm start without LiveKit credentials', () => {
    it('runs the demo through the real AgentSession and emulator, prints a summary and exits 0 on its own', async ({ expect }) => {
      const env = { ...process.env, LIVEKIT_URL: '', LIVEKIT_API_KEY: '', LIVEKIT_API_SECRET: '', OPENAI_API_KEY: '' };
      const run = await runCommand([join(ROOT, 'src/agent/main.ts'), 'start'], { env, input: '', timeoutMs: 60_000 });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Model: scripted');
      expect(run.stdout).toMatch(/dialRefused +number=\+19005550100 reason=not_allowed/);
      expect(run.stdout).toMatch(/dialEnd +number=\+15550001111 outcome=answered/);
      expect(run.stdout).toMatch(/summary: 2 check-in\(s\), 1 dial\(s\), close=user_unresponsive, shutdown=user_unresponsive/);
      expect(run.stdout).toContain('npm run dev');
    }, 60_000);
  });

  describe('npm start with LiveKit credentials', () => {
    // The production command and agent file through the framework's own worker: the worker tests run a harness agent
    // (no SFU here), so this is where a broken agent file (a default export the job process cannot find) shows.
    it("registers, and the framework's warm job processes load the production agent file and run its prewarm", async ({ expect }) => {
      // A temporary working directory: no developer's .env.local; the production pool's size (min(CPUs, 4) warm).
      const w = await startWorker({ entry: 'src/agent/main.ts', cwd: mkdtempSync(join(tmpdir(), 'start-')), env: { NODE_ENV: 'production', OPENAI_API_KEY: 'sk-unused' } });
      try {
        await w.emulator.agents.worker(60_000);
        // A job process that loaded the agent and ran prewarm logs this; one that cannot load it exits instead.
        await w.waitFor((l) => l.msg === 'job runner initialized', 'a warm job process to load the agent file and run prewarm');
        expect(w.stderr()).not.toContain('Unable to load agent');
      } finally {
        await w.stop();
      }
    }, 90_000);
  });

  describe.concurrent('npm start with some LiveKit credentials', () => {
    // The parent's LIVEKIT_* must not leak into the child, and main.ts loads .env.local from its cwd: an empty dir has none.
    const bare = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIVEKIT_')));
    const start = (args: string[], env: NodeJS.ProcessEnv) =>
      runCommand([join(ROOT, 'src/agent/main.ts'), ...args], { env, input: '', cwd: mkdtempSync(join(tmpdir(), 'main-')), timeoutMs: 60_000 });

    it('refuses to start (exit 1), naming exactly the missing variables, instead of running the local demo', async ({ expect }) => {
      const run = await start(['start'], { ...bare, LIVEKIT_URL: 'wss://example.invalid', OPENAI_API_KEY: '' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('LIVEKIT_API_KEY');
      expect(run.stderr).toContain('LIVEKIT_API_SECRET');
      expect(run.stderr).not.toContain('LIVEKIT_URL');
      expect(run.stdout).not.toContain('Model: scripted');
    }, 60_000);

    it('all LiveKit credentials but no OPENAI_API_KEY: refuses to start (exit 1) naming it, rather than failing every call after it joins', async ({ expect }) => {
      const credentials = { LIVEKIT_URL: 'ws://127.0.0.1:9', LIVEKIT_API_KEY: 'APIkey', LIVEKIT_API_SECRET: 'secret' };
      for (const command of ['start', 'dev']) {
        const run = await start([command], { ...bare, ...credentials, OPENAI_API_KEY: '' });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain("error: OPENAI_API_KEY is not set (environment or .env.local), and models.provider is 'openai'");
        expect(run.stderr).toContain('AGENT_MODEL_PROVIDER=scripted');
        expect(run.stdout + run.stderr).not.toContain('registered worker');
      }
    }, 60_000);

    it('a bad config stops it (exit 1) naming the key and value, its stack at the TypeScript lines (the build maps its own modules)', async ({ expect }) => {
      const run = await start(['local'], { ...bare, AGENT_CONFIG_JSON: JSON.stringify({ presence: { userAwayTimeout: -1 } }) });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('presence.userAwayTimeout: presence.userAwayTimeout must be > 0 seconds (got -1)');
      expect(run.stderr).toMatch(/at parseOrThrow \(\S+\/src\/config\/load\.ts:\d+:\d+\)/);
      expect(run.stdout).not.toContain('Model: scripted');
    }, 60_000);

    it('passes framework commands other than start/dev to cli.runApp, even without credentials', async ({ expect }) => {
      // No plugin is registered in this process, so download-files has nothing to fetch and exits 0.
      const run = await start(['download-files'], { ...bare, OPENAI_API_KEY: '' });
      expect(run.stdout + run.stderr).toContain('Invoking the download-files command via cli.runApp() is deprecated');
      expect(run.stdout).not.toContain('Model: scripted');
      expect(run.status).toBe(0);
    }, 60_000);
  });
});
