/**
 * The build every process of this project runs from: each TypeScript file transpiled on its own (esbuild, no
 * bundling, `isolatedModules` guarantees that is sound) to JavaScript with its source map, the tree kept as it is
 * (`src/agent/main.ts` → `<outdir>/src/agent/main.js`), so relative imports, `import.meta.url` and the package's
 * node_modules resolve exactly as from the sources. Type checking is `npm run typecheck`'s job.
 *
 * Why a build at all: the framework forks a job process per call, and each one loads @livekit/agents and its plugins
 * before it can take the call. Through tsx's module hooks that load costs about twice the CPU it costs from
 * JavaScript (3.6 s vs 1.9 s measured here for the framework, the plugins and their dependencies), on every job
 * process of a worker, while the pool warms up and while calls wait for it. LiveKit's agent-starter-node builds too.
 *
 * Why CommonJS: the framework and its plugins publish both builds (`exports.require`: `dist/*.cjs`), and the
 * framework forks its job process from the build it was loaded as (`job_proc_lazy_main.cjs` when the worker
 * required it; `job_proc_lazy_main.ts` imports a CJS agent's `default.default`, as it documents). Node 20 loads the
 * CommonJS graph (about 1,800 files: the framework, OpenTelemetry, openai, protobuf, ...) for about 1.2 s of CPU
 * where the ES module loader takes about 2.1 s (measured here, `node -e` on the built agent file), and every job
 * process, worker and command pays it. The sources stay ES modules (`tsx src/agent/main.ts` still runs them);
 * `import.meta.url` becomes the file's own URL, so `main.ts` forks its sibling as before.
 *
 * `npm run build` writes `dist/` (what the Dockerfile runs); the tests build the same sources, plus the harnesses
 * their worker forks, into a directory of their own (test/support/globalSetup.ts).
 */
import { readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build as esbuild } from 'esbuild';

export const ROOT = join(import.meta.dirname, '..');
/** What a deployed agent runs: the config, the machines and the source. */
export const PRODUCTION_SOURCES = ['agent.config.ts', 'machines', 'src'] as const;

function typescriptFiles(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  return readdirSync(path).flatMap((name) => typescriptFiles(join(path, name)));
}

/** Transpiles `sources` (files or folders, relative to the project root) into `outdir`, replacing what was there. */
export async function build(outdir: string, sources: readonly string[] = PRODUCTION_SOURCES): Promise<{ files: number }> {
  const entryPoints = sources.flatMap((s) => typescriptFiles(join(ROOT, s)));
  if (entryPoints.length === 0) throw new Error(`build: no TypeScript files under sources ${JSON.stringify(sources)}`);
  // Built aside, then swapped in: a worker running from `outdir` (npm run dev) while another command rebuilds it
  // (npm run simulate) never finds it half written; and a source deleted since the last build leaves no stale module.
  const staging = `${outdir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  await esbuild({
    entryPoints,
    outdir: staging,
    outbase: ROOT,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    // import() as require(), as the rest: a native import() would load a package's ES build beside its CommonJS one.
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': '__importMetaUrl', 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' },
    // "use strict" first: esbuild's own directive comes after the banner, where it no longer counts.
    banner: { js: '"use strict"; const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
  // The project is `"type": "module"`; this marks the built `.js` files as the CommonJS they are.
  writeFileSync(join(staging, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  rmSync(outdir, { recursive: true, force: true });
  renameSync(staging, outdir);
  return { files: entryPoints.length };
}

/** The built counterpart of a source file (absolute, or relative to the root): `src/cli/simulate.ts` → `<outdir>/src/cli/simulate.js`. */
export function builtPath(outdir: string, source: string): string {
  return join(outdir, relative(ROOT, resolve(ROOT, source)).replace(/\.ts$/, '.js'));
}

/** Whether the module at `url` (its `import.meta.url`) is the script node was started with (argv[1] may be a symlink). */
export function isMainModule(url: string): boolean {
  return Boolean(process.argv[1]) && url === pathToFileURL(realpathSync(process.argv[1]!)).href;
}

if (isMainModule(import.meta.url)) {
  const outdir = join(ROOT, 'dist');
  const { files } = await build(outdir);
  // --quiet: before another script (prestart, presimulate, ...), whose own output is what the user asked for.
  if (!process.argv.includes('--quiet')) process.stderr.write(`built ${files} files into ${relative(process.cwd(), outdir) || '.'}\n`);
}
