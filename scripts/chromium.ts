/**
 * Headless Chromium for the picture tests and the README screenshot: Debian's `chromium` (apt-get install chromium,
 * which `.ci/run` does) driven by playwright-core, which downloads no browser of its own. CHROMIUM_PATH overrides
 * the lookup. Pages are offline: every request is refused, so a picture that needs the network fails its test.
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export function chromiumPath(): string {
  const wanted = process.env.CHROMIUM_PATH;
  const candidates = wanted ? [wanted] : CANDIDATES;
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next candidate
    }
  }
  throw new Error(
    wanted
      ? `CHROMIUM_PATH=${wanted} is not an executable`
      : `no Chromium found at ${CANDIDATES.join(', ')}: install Debian's (apt-get install chromium fonts-dejavu-core) or set CHROMIUM_PATH`,
  );
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
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
