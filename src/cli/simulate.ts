/** The process entry of `npm run simulate` (see simulateCommand.ts): stdout, stderr and the exit code. */
import { simulate } from './simulateCommand.js';

process.exit(await simulate(process.argv.slice(2), { out: (text) => console.log(text), err: (text) => console.error(text) }));
