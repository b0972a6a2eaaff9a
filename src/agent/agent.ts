/**
 * The agent file: what the worker's job processes load for each call (`ServerOptions.agent`, see main.ts and
 * server.ts). The agent itself is entry.ts; this file orders the loading. The job process has loaded the framework
 * before it loads this file; then the plugins, then source maps for this project's modules only (sourceMaps.ts: the
 * job process does without `--enable-source-maps` and its 0.3 s of CPU), then the agent, whose stack traces then
 * name the TypeScript. This file's own frames would not: it was compiled before the maps were turned on, and it
 * holds no code.
 */
import '@livekit/agents-plugin-openai';
import '@livekit/agents-plugin-silero';
import '../observability/sourceMaps.js';

// By name: re-exporting entry.ts's `default` would, in the CommonJS build, export its whole module object
// (test/layout.test.ts refuses that).
export { agent as default, callEntry, prewarm, type JoinCall } from './entry.js';
