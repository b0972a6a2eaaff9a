/**
 * Process entry. With LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET (env or .env.local) it runs the real
 * worker (`npm run dev` / `npm start`); without them, `npm start` runs local mode: the real AgentSession, machine
 * and LiveKit API emulator in the terminal.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cli, ServerOptions } from '@livekit/agents';
import { loadRuntimeConfig } from '../config/runtime.js';

if (existsSync('.env.local')) process.loadEnvFile('.env.local');

const hasCredentials = Boolean(process.env.LIVEKIT_URL && process.env.LIVEKIT_API_KEY && process.env.LIVEKIT_API_SECRET);
const config = await loadRuntimeConfig(); // a bad config stops here, before any worker starts

if (hasCredentials) {
  cli.runApp(
    new ServerOptions({
      agent: fileURLToPath(new URL('./agent.ts', import.meta.url)),
      agentName: process.env.AGENT_NAME ?? '',
      // Set explicitly: config validation guarantees the whole close path fits inside it.
      shutdownProcessTimeout: config.shutdown.processTimeout * 1000,
    }),
  );
} else {
  const { runLocalMode } = await import('../local/localMode.js');
  process.exitCode = await runLocalMode(config);
}
