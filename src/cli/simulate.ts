/** The process entry of `npm run simulate` (see simulateCommand.ts): stdout, stderr and the exit code. */
// The packages first, then source maps for this project's modules only (see sourceMaps.ts).
import '@livekit/agents';
import '../observability/sourceMaps.js';
import { simulate } from './simulateCommand.js';

// A promise chain rather than top-level await: the build is CommonJS (scripts/build.ts). Until it settles the exit
// code is 13, Node's own for a top-level await that never settled: a run that stalls must not look like a pass.
process.exitCode = 13;
void simulate(process.argv.slice(2), { out: (text) => console.log(text), err: (text) => console.error(text) }).then((code) => process.exit(code));
