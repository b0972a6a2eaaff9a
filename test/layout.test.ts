/**
 * The tree shows the flow: LiveKit events → machines/ (pure) → commands → adapters in src/ → LiveKit, with the
 * simulator, the pictures and the CLI on top. Each folder may import only from itself and the folders before it in
 * LAYERS, so a production file reaching up into the simulator (or two folders importing each other) fails here with
 * the offending import named.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_BUILD_SOURCES } from './support/cli.js';

const root = resolve(import.meta.dirname, '..');

/** Lowest first; docs/architecture.md's layout table lists them in this order. */
const LAYERS = [
  'src/config',
  'machines',
  'src/timeline',
  'src/sip',
  'src/record',
  'src/lifecycle',
  'src/commands.ts',
  'src/dialer',
  'src/bridge',
  'src/observability',
  // The presence layer's public entry (attachPresence): what an adopter imports, the package's `exports`.
  'src/presence',
  'src/models',
  'src/agent',
  'src/emulator',
  'src/local',
  'src/simulator',
  'src/pictures',
  'src/cli',
  // The process entry: `npm start` picks the framework's worker or, with no credentials, local mode.
  'src/agent/main.ts',
] as const;

/** What a deployed call runs: none of it may import the tools built on top. */
const PRODUCTION = ['src/config', 'machines', 'src/timeline', 'src/sip', 'src/record', 'src/lifecycle', 'src/commands.ts', 'src/dialer', 'src/bridge', 'src/observability', 'src/presence', 'src/models', 'src/agent'];

function layerOf(file: string): number {
  // The user's agent.config.ts belongs to the config layer: it calls defineConfig and runtime.ts loads it.
  if (file === 'agent.config.ts') return LAYERS.indexOf('src/config');
  const exact = LAYERS.indexOf(file as (typeof LAYERS)[number]);
  const i = exact >= 0 ? exact : LAYERS.findIndex((l) => file.startsWith(`${l}/`));
  if (i < 0) throw new Error(`${file} is in no layer: add its folder to LAYERS and to docs/architecture.md's layout table`);
  return i;
}

function sources(dir: string): string[] {
  if (statSync(join(root, dir)).isFile()) return [dir];
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f}`);
}

const imports = [...sources('src'), ...sources('machines')].flatMap((file) =>
  [...readFileSync(join(root, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => ({
    file,
    target: relative(root, resolve(dirname(join(root, file)), m[1]!)).replace(/\.js$/, '.ts'),
  })),
);

describe('layout', () => {
  it('finds the imports it checks', () => {
    expect(imports.length).toBeGreaterThan(100);
  });

  it('this agent reaches the presence layer only through its public entry, as an adopter does', () => {
    // src/agent may use the config, its models and the layer's index; never the layer's parts (bridge, dialer, ...).
    const parts = ['src/bridge/', 'src/dialer/', 'src/lifecycle/', 'src/record/', 'src/observability/', 'src/timeline/', 'src/commands.ts', 'machines/'];
    const reaches = imports
      .filter(({ file }) => file.startsWith('src/agent/'))
      // (sourceMaps.ts is the process's, not the call's: it turns source maps on once the packages have loaded.)
      .filter(({ target }) => target !== 'src/observability/sourceMaps.ts')
      .filter(({ target }) => parts.some((p) => target.startsWith(p)) || (target.startsWith('src/presence/') && target !== 'src/presence/index.ts'))
      .map(({ file, target }) => `${file} → ${target}`);
    expect(reaches).toEqual([]);
  });

  it('every import points down the layers (or within its own folder)', () => {
    const upward = imports.filter(({ file, target }) => layerOf(target) > layerOf(file)).map(({ file, target }) => `${file} → ${target}`);
    expect(upward).toEqual([]);
  });

  it('nothing a deployed call runs imports the simulator, the pictures, the CLI, local mode or test support', () => {
    const banned = /^(src\/simulator|src\/pictures|src\/cli|src\/local|src\/emulator|test)\//;
    const bad = imports
      .filter(({ file }) => PRODUCTION.includes(LAYERS[layerOf(file)]!))
      .filter(({ target }) => banned.test(target))
      .map(({ file, target }) => `${file} → ${target}`);
    expect(bad).toEqual([]);
  });

  // The build is CommonJS (scripts/build.ts), whose interop gives a default import of a built file its whole exports
  // object ({ default: value }), where tsx and vitest give the value: the test would pass and production break.
  // (agent.config.ts is loaded through agentConfigFile() in src/config/runtime.ts, which unwraps it.)
  it('nothing built default-imports, or re-exports the default of, a file of this project', () => {
    const defaultImport = /^import\s+(?!type\b)[\w$]+\s*(?:,\s*\{[^}]*\})?\s*from\s*'(\.{1,2}\/[^']+)'/gm;
    // `export { default } from`, `export { default as x } from` (but not `export { x as default } from`).
    const defaultReexport = /^export\s*\{[^}]*(?<!\bas\s+)\bdefault\b[^}]*\}\s*from\s*'(\.{1,2}\/[^']+)'/gm;
    const built = TEST_BUILD_SOURCES.flatMap((s) => sources(s));
    expect(built.length).toBeGreaterThan(50);
    const bad = built.flatMap((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      return [...text.matchAll(defaultImport), ...text.matchAll(defaultReexport)].map((m) => `${file}: ${m[0]}`);
    });
    expect(bad).toEqual([]);
  });
});
