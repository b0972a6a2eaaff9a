/**
 * `npm run pack:presence`: the presence layer as an npm package, `livekit-presence`, built from the same sources as
 * this agent (src/presence/index.ts and what it imports of this project, nothing else):
 * - `dist/index.js` (ES module) and `dist/index.cjs` (CommonJS): one bundle each, every package left external, so the
 *   adopter's own `@livekit/agents` and `@livekit/rtc-node` (peer dependencies) are the ones the layer uses;
 * - `types/`: declarations from tsc, `types/src/presence/index.d.ts` the entry;
 * - `package.json` with `exports`; then `npm pack` writes the tarball into `build/`.
 *
 * What a user loads is the import closure of the public entry. It is computed here (esbuild's metafile) and refused if
 * it reaches the application (CLI, local mode, simulator, emulator, pictures, this agent) or its config file.
 * Prints the tarball's path.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build as esbuild } from 'esbuild';
import { isMainModule, ROOT } from './build.js';

export const PRESENCE_ENTRY = 'src/presence/index.ts';
export const PACKAGE_NAME = 'livekit-presence';
/** Where the package is assembled, and where its tarball goes. */
export const PACK_DIR = join(ROOT, 'build', 'presence');
export const TARBALL_DIR = join(ROOT, 'build');

/** Folders of this project no adopter may load. */
const APPLICATION = ['src/agent/', 'src/cli/', 'src/local/', 'src/simulator/', 'src/emulator/', 'src/pictures/', 'src/models/', 'bench/', 'scripts/', 'test/', 'agent.config.ts'];
/** The framework and the room SDK: the adopter's own copies (peer dependencies). */
const PEERS = ['@livekit/agents', '@livekit/rtc-node'];

interface RootPackage {
  version: string;
  dependencies: Record<string, string>;
}

/** The project files the public entry loads, and the packages they import. */
export async function presenceClosure(): Promise<{ files: string[]; packages: string[] }> {
  const r = await esbuild({ entryPoints: [join(ROOT, PRESENCE_ENTRY)], bundle: true, packages: 'external', platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'error', absWorkingDir: ROOT });
  const files = Object.keys(r.metafile.inputs);
  const packages = new Set<string>();
  for (const input of Object.values(r.metafile.inputs)) {
    for (const imp of input.imports) if (imp.external && !imp.path.startsWith('node:')) packages.add(packageOf(imp.path));
  }
  return { files, packages: [...packages].sort() };
}

const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

export async function packPresence(): Promise<string> {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as RootPackage;
  const { files, packages } = await presenceClosure();
  const leaked = files.filter((f) => APPLICATION.some((a) => f === a || f.startsWith(a)));
  if (leaked.length) throw new Error(`${PRESENCE_ENTRY} reaches the application: ${leaked.join(', ')}`);
  const unknown = packages.filter((p) => root.dependencies[p] === undefined);
  if (unknown.length) throw new Error(`${PRESENCE_ENTRY} imports packages that are not dependencies of this project: ${unknown.join(', ')}`);

  rmSync(PACK_DIR, { recursive: true, force: true });
  mkdirSync(join(PACK_DIR, 'dist'), { recursive: true });
  const bundle = { entryPoints: [join(ROOT, PRESENCE_ENTRY)], bundle: true, packages: 'external' as const, platform: 'node' as const, target: 'node20', sourcemap: true, logLevel: 'warning' as const, absWorkingDir: ROOT };
  await esbuild({ ...bundle, format: 'esm', outfile: join(PACK_DIR, 'dist', 'index.js') });
  await esbuild({ ...bundle, format: 'cjs', outfile: join(PACK_DIR, 'dist', 'index.cjs') });

  // Declarations only, for the entry and what its types reach, with the project's own compiler settings.
  const tsconfig = {
    extends: relative(PACK_DIR, join(ROOT, 'tsconfig.json')),
    compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, declarationMap: false, outDir: 'types', rootDir: relative(PACK_DIR, ROOT) },
    include: [],
    files: [relative(PACK_DIR, join(ROOT, PRESENCE_ENTRY))],
  };
  writeFileSync(join(PACK_DIR, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PACK_DIR, 'tsconfig.json')], { cwd: PACK_DIR, stdio: 'inherit' });
  rmSync(join(PACK_DIR, 'tsconfig.json'));

  const types = './types/src/presence/index.d.ts';
  const pick = (names: string[]) => Object.fromEntries(names.map((n) => [n, root.dependencies[n]!]));
  const pkg = {
    name: PACKAGE_NAME,
    version: root.version,
    description: 'User presence, a guarded outbound SIP dial and one bounded ending for every exit path, for any LiveKit Node agent (@livekit/agents 1.9).',
    type: 'module',
    main: './dist/index.cjs',
    module: './dist/index.js',
    types,
    exports: { '.': { types, import: './dist/index.js', require: './dist/index.cjs' }, './package.json': './package.json' },
    files: ['dist', 'types', 'README.md'],
    engines: { node: '>=20' },
    dependencies: pick(packages.filter((p) => !PEERS.includes(p))),
    peerDependencies: Object.fromEntries(PEERS.map((p) => [p, p === '@livekit/agents' ? `~${root.dependencies[p]}` : root.dependencies[p]!])),
  };
  writeFileSync(join(PACK_DIR, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  copyFileSync(join(ROOT, 'docs', 'presence-api.md'), join(PACK_DIR, 'README.md'));
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', TARBALL_DIR], { cwd: PACK_DIR, encoding: 'utf8' }).trim().split('\n').at(-1)!;
  return join(TARBALL_DIR, out);
}

if (isMainModule(import.meta.url)) {
  process.stdout.write(`${await packPresence()}\n`);
}
