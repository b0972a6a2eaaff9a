/**
 * The presence layer as an adopter gets it: `npm run pack:presence` packs it (`livekit-presence`), the tarball is
 * installed into a scratch copy of `examples/starter-agent` (an agent shaped like LiveKit's agent-starter-node, with
 * its own instructions and tool, and the layer added in a few lines), and then:
 * - the example type-checks under `tsc --strict` against the package's published types;
 * - the package loads, as ES module and as CommonJS, and holds nothing of the application;
 * - a call runs with the example's own `Assistant` against the API emulator: the adopter's tool answers, then the
 *   caller goes quiet and presence takes the call to its end (check-ins, goodbye, close, `ctx.shutdown()`, the room
 *   deleted), within the shutdown budget.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtPath } from '../scripts/build.js';
import { PACKAGE_NAME } from '../scripts/pack-presence.js';
import { installExample, type InstalledExample } from './support/adopter/install.js';
import { TEST_BUILD } from './support/cli.js';

let example: InstalledExample;
let scratch: string;
let tarball: string;
const inScratch = (cmd: string, args: string[], env: Record<string, string> = {}) => example.run(cmd, args, env);

beforeAll(async () => {
  example = await installExample();
  ({ dir: scratch, tarball } = example);
}, 180_000);

afterAll(() => example?.remove());

describe('an adopter installs the packed presence layer into their agent', () => {
  it('the package holds the layer and nothing of the application', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/dist/index.js', 'package/dist/index.cjs', 'package/types/src/presence/index.d.ts', 'package/package.json']));
    const appFiles = files.filter((f) => /\/(src\/(agent|cli|local|simulator|emulator|pictures|models)|bench|scripts)\//.test(f) || f.endsWith('agent.config.d.ts'));
    expect(appFiles).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(scratch, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['@livekit/agents', '@livekit/rtc-node']);
  });

  it('loads as an ES module and as CommonJS, with attachPresence', () => {
    const esm = inScratch(process.execPath, ['--input-type=module', '-e', `import('${PACKAGE_NAME}').then((m) => console.log(typeof m.attachPresence))`]);
    expect(esm.stderr).toBe('');
    expect(esm.stdout.trim()).toBe('function');
    const cjs = inScratch(process.execPath, ['-e', `console.log(typeof require('${PACKAGE_NAME}').attachPresence)`]);
    expect(cjs.stdout.trim()).toBe('function');
  });

  it("the example's code, the layer's public types included, compiles under tsc --strict", () => {
    const tsconfig = JSON.parse(readFileSync(join(scratch, 'tsconfig.json'), 'utf8')) as { compilerOptions: { strict: boolean } };
    expect(tsconfig.compilerOptions.strict).toBe(true);
    const tsc = inScratch(process.execPath, [join(scratch, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', '.']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it("a call with the example's agent against the emulator: its own tool answers; silence ends in check-ins, goodbye, shutdown, room deleted", () => {
    const run = inScratch(process.execPath, [example.tsx, 'src/emulatedCall.ts'], {
      ADOPTER_EMULATOR: builtPath(TEST_BUILD, 'src/emulator/server.ts'),
    });
    const last = run.stdout.trim().split('\n').at(-1) ?? '';
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const out = JSON.parse(last) as { toolOutput: string; reason: string; timeline: string[]; api: string[]; report: { reason: string; withinBudget: boolean } };
    expect(out.toolOutput).toBe(JSON.stringify('Open 9 to 18 on Monday.'));
    expect(out.reason).toBe('user_unresponsive');
    const actions = out.timeline.filter((t) => ['checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom'].includes(t));
    expect(actions).toEqual(['checkIn', 'checkIn', 'goodbye', 'sessionClose', 'shutdown', 'deleteRoom']);
    expect(out.api).toContain('livekit.RoomService/DeleteRoom');
    expect(out.report).toEqual({ reason: 'user_unresponsive', withinBudget: true });
  });
});
