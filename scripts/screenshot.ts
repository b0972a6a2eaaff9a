/**
 * `npm run screenshot`: docs/timeline.png, the README's picture of a call timeline: the shipped scenarios with a
 * dial on hold and a tool run, simulated in model mode, drawn by the same code as `simulate --html`, photographed
 * by headless Chromium. (Pixels depend on fonts, so no test compares it; test/pictures.test.ts checks the drawing.)
 */
import { join } from 'node:path';
import agentConfig from '../agent.config.js';
import { runModel } from '../src/simulator/runModel.js';
import { loadScenario } from '../src/simulator/scenario.js';
import { timelineHtml } from '../src/pictures/timelineHtml.js';
import { launchChromium, offlinePage } from './chromium.js';

const root = join(import.meta.dirname, '..');
const files = ['15-caller-on-hold-while-dialing.json', '03-tool-pauses-presence.json'];
const sections = files.map((f) => {
  const r = runModel(loadScenario(join(root, 'scenarios', f)), agentConfig);
  return { name: r.scenario.name, mode: 'model' as const, timeline: r.timeline, summary: r.summary };
});
const browser = await launchChromium();
try {
  const { page } = await offlinePage(browser, timelineHtml(sections), { width: 1250, height: 700 });
  // The event lists stay folded; the picture is the lanes.
  const out = join(root, 'docs', 'timeline.png');
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
