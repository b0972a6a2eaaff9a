/**
 * Headless Chromium for the picture tests and the README screenshot, driven by playwright-core (which downloads no
 * browser of its own). Which browser, first found wins:
 *   1. CHROMIUM_PATH, when set: that executable, nothing else.
 *   2. On Linux x64, the one inside the `@sparticuz/chromium` devDependency: a brotli-packed chrome-headless-shell
 *      with its NSS libraries and a font (Open Sans), so `npm ci && npm test` needs nothing else on the machine and
 *      every Linux machine draws with the same browser and font. Unpacked once per installed version into
 *      node_modules/.cache (see npmChromium), never downloaded: nothing here touches the network.
 *   3. A system Chromium or Chrome (macOS, Linux arm64): see SYSTEM_CANDIDATES. Debian's comes from
 *      `bash scripts/install-chromium.sh`, which is optional now.
 * Pages are offline: every request is refused, so a picture that needs the network fails its test.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';

const SYSTEM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** An executable Chromium to launch, and the environment it needs on top of ours. */
export interface ChromiumBinary {
  path: string;
  source: 'CHROMIUM_PATH' | 'npm' | 'system';
  env: Record<string, string>;
}

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export async function findChromium(): Promise<ChromiumBinary> {
  const wanted = process.env.CHROMIUM_PATH;
  if (wanted) {
    if (!executable(wanted)) throw new Error(`CHROMIUM_PATH=${wanted} is not an executable`);
    return { path: wanted, source: 'CHROMIUM_PATH', env: {} };
  }
  const npm = await npmChromium();
  if (npm) return npm;
  const system = SYSTEM_CANDIDATES.find(executable);
  if (system) return { path: system, source: 'system', env: {} };
  throw new Error(
    `no Chromium: @sparticuz/chromium (a devDependency: run npm ci) only runs on Linux x64, and there is none at ${SYSTEM_CANDIDATES.join(', ')}; ` +
      'install Chromium or Chrome, or set CHROMIUM_PATH',
  );
}

let unpacked: Promise<ChromiumBinary | undefined> | undefined;

/**
 * The browser of `@sparticuz/chromium`, unpacked (once per process, and once per installed version on the disk) into
 * node_modules/.cache/sparticuz-chromium-<version>/; undefined off Linux x64 or when the package is not installed.
 *
 * The package's own unpacking writes into os.tmpdir() and reuses whatever `chromium` it finds there, even one half
 * written by a concurrent test file or left by another version. So it runs here in a child process whose TMPDIR is a
 * fresh staging directory, and the finished directory is renamed into place: rename is atomic, so a reader sees a
 * complete browser or none; when two processes unpack at once, the first rename wins and the other's copy is dropped.
 */
export function npmChromium(): Promise<ChromiumBinary | undefined> {
  unpacked ??= unpack().catch((err: unknown) => {
    unpacked = undefined;
    throw err;
  });
  return unpacked;
}

async function unpack(): Promise<ChromiumBinary | undefined> {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  } catch {
    return undefined;
  }
  const pkg = join(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  // <project>/node_modules/@sparticuz/chromium -> <project>/node_modules/.cache
  const cache = join(pkg, '..', '..', '.cache');
  const dir = join(cache, `sparticuz-chromium-${version}`);
  const binary = (): ChromiumBinary => ({
    path: join(dir, 'chromium'),
    source: 'npm',
    env: {
      // Only the packaged font, so text is measured alike on every machine (and found on one with no fonts at all).
      FONTCONFIG_FILE: join(dir, 'fonts.conf'),
      // The packaged NSS and expat (built for Amazon Linux 2023, glibc 2.34), for a machine without them; an older
      // glibc cannot load those, so there the system's own must do.
      ...(glibcAtLeast(2, 34) ? { LD_LIBRARY_PATH: [join(dir, 'al2023', 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : {}),
    },
  });
  if (existsSync(join(dir, 'chromium'))) return binary();

  await mkdir(cache, { recursive: true });
  await removeAbandonedStaging(cache);
  const staging = await mkdtemp(join(cache, `.staging-${process.pid}-`));
  try {
    const script = [
      `import Chromium, { inflate } from ${JSON.stringify(pathToFileURL(entry).href)};`,
      'await Chromium.executablePath();', // chromium, fonts/, the SwiftShader libraries: into TMPDIR
      `await inflate(${JSON.stringify(join(pkg, 'bin', 'al2023.tar.br'))});`, // al2023/lib/
    ].join('\n');
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: staging },
      timeout: 120_000,
    });
    if (!existsSync(join(staging, 'chromium'))) throw new Error(`@sparticuz/chromium ${version} unpacked no chromium into ${staging}`);
    const fonts = join(dir, 'fonts', 'fonts');
    await writeFile(
      join(staging, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${fonts}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    try {
      await rename(staging, dir);
    } catch (err) {
      // Another process renamed its copy first: use that one.
      if (!existsSync(join(dir, 'chromium'))) throw err;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return binary();
}

/** Staging directories of processes that died while unpacking (each is ~220 MB). */
async function removeAbandonedStaging(cache: string): Promise<void> {
  for (const name of await readdir(cache)) {
    const pid = /^\.staging-(\d+)-/.exec(name)?.[1];
    if (pid && !alive(Number(pid))) await rm(join(cache, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function glibcAtLeast(major: number, minor: number): boolean {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  const [a, b] = (header?.glibcVersionRuntime ?? '0.0').split('.').map(Number);
  return a! > major || (a === major && b! >= minor);
}

export async function launchChromium(): Promise<Browser> {
  const { path, env } = await findChromium();
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: path, args: ['--no-sandbox'], env: { ...process.env, ...env } });
}

/** A page that has `html` as its content and cannot reach anything: records every request it tried. */
export async function offlinePage(browser: Browser, html: string, viewport = { width: 1280, height: 800 }): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport });
  const requests: string[] = [];
  await page.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  await page.setContent(html, { waitUntil: 'load' });
  return { page, requests };
}
