/**
 * Stack traces that point at this project's TypeScript (the build's `.js.map` files), without `--enable-source-maps`'
 * cost. With the flag, Node 20 reads and parses the source map of every module as it loads it: about 1,800 files for
 * the framework, OpenTelemetry, openai and the plugins, 0.3 s of CPU in every job process the worker forks for a call
 * (measured: the worker test files took 8 s less CPU without it). Only modules loaded after this runs get their maps,
 * so an entry imports this module after the packages it loads and before its own modules. The framework's frames
 * then show its published JavaScript (`NODE_OPTIONS=--enable-source-maps` maps those too, at that cost).
 *
 * Importing it has the effect; there is nothing to call.
 */
import { extname } from 'node:path';

// From the sources (tsx, vitest) the runner maps the TypeScript itself; the build is what needs its maps turned on.
if (extname(import.meta.url) === '.js') process.setSourceMapsEnabled(true);
