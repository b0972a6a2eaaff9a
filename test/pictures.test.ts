/**
 * The pictures, rendered in headless Chromium (driven by playwright-core; scripts/chromium.ts picks it: the one inside
 * the @sparticuz/chromium package on Linux x64, a system one elsewhere, or CHROMIUM_PATH): the call timeline of real
 * simulator runs and the machine diagram. Checks what a reader would see: every lane drawn and labelled, every span
 * and mark where the time axis says its moment is, nothing fetched from anywhere, and every state's name inside its
 * box.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import agentConfig from '../agent.config.js';
import { launchChromium, offlinePage } from '../scripts/chromium.js';
import { allStates, machineGraph } from '../src/pictures/machineGraph.js';
import { runModel, type RunResult } from '../src/simulator/runModel.js';
import { loadScenario } from '../src/simulator/scenario.js';
import { LANES, timelineHtml } from '../src/pictures/timelineHtml.js';

const scenario = (file: string) => runModel(loadScenario(join(import.meta.dirname, '..', 'scenarios', file)), agentConfig);

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Drawn {
  lanes: { id: string; bg: Box; label: Box; text: string }[];
  ticks: { t: number; x: number }[];
  spans: { lane: string; kind: string; cls: string; t0: number; t1: number; box: Box; text: string | null }[];
  marks: { lane: string; kind: string; t: number; box: Box }[];
  labels: { lane: string; text: string }[];
}

/** What Chromium drew for one scenario section, in page pixels. */
async function drawn(page: Page, name: string): Promise<Drawn> {
  return page.evaluate((scenarioName) => {
    const section = [...document.querySelectorAll('section')].find((s) => s.dataset.scenario === scenarioName);
    if (!section) throw new Error(`no section for ${scenarioName}`);
    const box = (el: Element | null) => {
      if (!el) throw new Error('missing element');
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    };
    const num = (el: Element, attr: string) => Number(el.getAttribute(attr));
    const lanes = [...section.querySelectorAll('g.lane')];
    return {
      lanes: lanes.map((l) => ({
        id: l.getAttribute('data-lane') ?? '',
        bg: box(l.querySelector('.lane-bg')),
        label: box(l.querySelector('.lane-label')),
        text: l.querySelector('.lane-label')?.textContent ?? '',
      })),
      ticks: [...section.querySelectorAll('g.tick')].map((g) => ({ t: num(g, 'data-t'), x: box(g.querySelector('line')).x })),
      spans: lanes.flatMap((l) =>
        [...l.querySelectorAll('g.span')].map((g) => ({
          lane: l.getAttribute('data-lane') ?? '',
          kind: g.getAttribute('data-kind') ?? '',
          cls: g.getAttribute('class') ?? '',
          t0: num(g, 'data-t0'),
          t1: num(g, 'data-t1'),
          box: box(g.querySelector('rect')),
          text: g.querySelector('text')?.textContent ?? null,
        })),
      ),
      marks: lanes.flatMap((l) =>
        [...l.querySelectorAll('g.mark')].map((g) => ({
          lane: l.getAttribute('data-lane') ?? '',
          kind: g.getAttribute('data-kind') ?? '',
          t: num(g, 'data-t'),
          box: box(g.querySelector('path')),
        })),
      ),
      labels: lanes.flatMap((l) => [...l.querySelectorAll('.mark-label')].map((t) => ({ lane: l.getAttribute('data-lane') ?? '', text: t.textContent ?? '' }))),
    };
  }, name);
}

/** Pixel x of simulated second t, read off the drawn axis (first and last tick). */
function axis(d: Drawn): (t: number) => number {
  const first = d.ticks[0]!;
  const last = d.ticks.at(-1)!;
  const perSecond = (last.x - first.x) / (last.t - first.t);
  return (t) => first.x + (t - first.t) * perSecond;
}

const near = (actual: number, expected: number, what: string) => expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThan(1.5);

describe('the call timeline in Chromium (npm run simulate -- <scenario> --html out.html)', () => {
  let browser: Browser;
  let page: Page;
  let requests: string[];
  let html: string;
  const runs: Record<string, RunResult> = {};

  beforeAll(async () => {
    runs.hold = scenario('15-caller-on-hold-while-dialing.json');
    runs.tool = scenario('03-tool-pauses-presence.json');
    runs.cancel = scenario('07-caller-hangs-up-mid-dial.json');
    runs.refusals = scenario('10-dial-refusals.json');
    runs.jobShutdown = scenario('16-job-shutdown-mid-dial.json');
    runs.disconnect = scenario('17-network-lost-mid-dial.json');
    runs.voicemail = scenario('20-voicemail.json');
    html = timelineHtml(Object.values(runs).map((r) => ({ name: r.scenario.name, mode: 'model', timeline: r.timeline, summary: r.summary })));
    browser = await launchChromium();
    ({ page, requests } = await offlinePage(browser, html, { width: 1280, height: 900 }));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('is one self-contained page: no scripts, no external resources, nothing requested', () => {
    expect(html).not.toMatch(/<script|<link|<img|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(requests).toEqual([]);
  });

  it('draws every lane, labelled, one under the other, with a time axis under them', async () => {
    for (const run of Object.values(runs)) {
      const d = await drawn(page, run.scenario.name);
      expect(d.lanes.map((l) => l.id)).toEqual(LANES.map((l) => l.id));
      expect(d.lanes.map((l) => l.text)).toEqual(LANES.map((l) => l.label));
      d.lanes.forEach((l, i) => {
        expect(l.bg.width).toBeGreaterThan(800);
        expect(l.bg.height).toBeGreaterThan(20);
        expect(l.label.width).toBeGreaterThan(10);
        expect(l.label.x + l.label.width).toBeLessThanOrEqual(l.bg.x);
        if (i > 0) expect(l.bg.y).toBeGreaterThanOrEqual(d.lanes[i - 1]!.bg.y + d.lanes[i - 1]!.bg.height);
      });
      expect(d.ticks.length).toBeGreaterThanOrEqual(4);
      expect(d.ticks[0]!.t).toBe(0);
      near(d.ticks[0]!.x, d.lanes[0]!.bg.x, 'the axis starts where the lanes do');
      // The axis is linear: every tick sits where the first and last say it should.
      const x = axis(d);
      for (const tick of d.ticks) near(tick.x, x(tick.t), `tick ${tick.t}s`);
    }
  });

  it('draws every span and mark inside its lane, at the moment the axis gives for its time', async () => {
    for (const run of Object.values(runs)) {
      const d = await drawn(page, run.scenario.name);
      const x = axis(d);
      const lane = new Map(d.lanes.map((l) => [l.id, l.bg]));
      for (const s of d.spans) {
        const bg = lane.get(s.lane)!;
        near(s.box.x, x(s.t0), `${s.kind} span start`);
        if (s.t1 > s.t0 + 0.05) near(s.box.x + s.box.width, x(s.t1), `${s.kind} span end`);
        expect(s.box.y).toBeGreaterThanOrEqual(bg.y);
        expect(s.box.y + s.box.height).toBeLessThanOrEqual(bg.y + bg.height);
      }
      for (const m of d.marks) {
        const bg = lane.get(m.lane)!;
        near(m.box.x + m.box.width / 2, x(m.t), `${m.kind} mark`);
        expect(m.box.y).toBeGreaterThanOrEqual(bg.y);
        expect(m.box.y + m.box.height).toBeLessThanOrEqual(bg.y + bg.height);
      }
      // The state lanes tile the call from its first to its last second: no gap, no overlap.
      for (const id of ['user', 'presence', 'agent']) {
        const spans = d.spans.filter((s) => s.lane === id && s.cls.split(' ').includes('state')).sort((a, b) => a.t0 - b.t0);
        expect(spans.length, id).toBeGreaterThan(0);
        expect(spans.reduce((sum, s) => sum + (s.t1 - s.t0), 0), id).toBeCloseTo(spans.at(-1)!.t1 - spans[0]!.t0, 2);
        spans.slice(1).forEach((s, i) => expect(s.t0, id).toBeCloseTo(spans[i]!.t1, 3));
      }
    }
  });

  it('draws what happened: every check-in, dial, hold, tool run, close and shutdown of the run has its shape', async () => {
    for (const run of Object.values(runs)) {
      const d = await drawn(page, run.scenario.name);
      const spanAt = (kind: string, t0: number) => d.spans.find((s) => s.kind === kind && Math.abs(s.t0 - t0) < 0.01);
      const markAt = (kind: string, t: number) => d.marks.find((m) => m.kind === kind && Math.abs(m.t - t) < 0.01);
      for (const e of run.timeline) {
        const what = `${run.scenario.name}: ${e.type} at ${e.t}s`;
        if (e.type === 'checkIn' || e.type === 'goodbye' || e.type === 'warning' || e.type === 'voicemailMessage') expect(spanAt(e.type, e.t), what).toBeDefined();
        if (e.type === 'dialStart') expect(spanAt('dial', e.t), what).toBeDefined();
        if (e.type === 'dialEnd') expect(d.spans.find((s) => s.kind === 'dial' && Math.abs(s.t1 - e.t) < 0.01)?.cls, what).toContain(`o-${e.outcome}`);
        if (e.type === 'holdCaller') expect(spanAt('hold', e.t), what).toBeDefined();
        if (e.type === 'toolStart') expect(spanAt('tool', e.t), what).toBeDefined();
        if (e.type === 'userState') expect(spanAt('userState', e.t)?.cls, what).toContain(`v-${e.state}`);
        for (const kind of ['transcript', 'dialRequest', 'amd', 'legRemoved', 'dialRefused', 'dialCancel', 'callerHangup', 'roomDeleted', 'jobShutdown', 'disconnect', 'sessionClose', 'shutdown', 'deleteRoom'] as const)
          if (e.type === kind) expect(markAt(kind, e.t), what).toBeDefined();
      }
    }
  });

  it('reads as the call: the manager is dialed with the caller on hold, answered, then a check-in, goodbye and shutdown', async () => {
    const d = await drawn(page, runs.hold!.scenario.name);
    const dial = d.spans.find((s) => s.kind === 'dial')!;
    // Answered at 13 s; answering-machine detection hears a hello and settles it (a person) at 14.9 s.
    expect([dial.t0, dial.t1, dial.text]).toEqual([3, 14.9, '+15550001111 answered']);
    expect(d.marks.find((m) => m.kind === 'amd')?.t).toBe(14.9);
    const hold = d.spans.find((s) => s.kind === 'hold')!;
    expect([hold.t0, hold.t1]).toEqual([3, 14.9]);
    expect(d.spans.filter((s) => s.lane === 'prompts').map((s) => s.kind)).toEqual(['checkIn', 'goodbye']);
    expect(d.labels).toEqual(
      expect.arrayContaining([
        { lane: 'close', text: 'close: user_unresponsive' },
        { lane: 'shutdown', text: 'shutdown: user_unresponsive' },
      ]),
    );
    // A voicemail: the verdict, the message until the leg is removed, the dial ended as voicemail; then a person.
    const vm = await drawn(page, runs.voicemail!.scenario.name);
    // (The second span is too narrow for its label; its outcome is its class.)
    expect(vm.spans.filter((s) => s.kind === 'dial').map((s) => [s.t0, s.t1, s.cls.match(/o-[a-z-]+/)?.[0]])).toEqual([
      [3, 30.1, 'o-voicemail'],
      [36, 45.1, 'o-answered'],
    ]);
    expect(vm.spans.find((s) => s.kind === 'voicemailMessage')).toMatchObject({ t0: 23.7, t1: 30.1 });
    expect(vm.marks.filter((m) => m.kind === 'amd' || m.kind === 'legRemoved').map((m) => [m.kind, m.t])).toEqual([
      ['amd', 23.7],
      ['legRemoved', 30.1],
      ['amd', 45.1],
    ]);
    const cancel = await drawn(page, runs.cancel!.scenario.name);
    expect(cancel.labels).toContainEqual({ lane: 'close', text: 'caller hung up · close: caller_left' });
    expect(cancel.spans.find((s) => s.kind === 'dial')?.cls).toContain('o-cancelled');
  });

  it('shows a framework close and a lost connection as close marks, the dial cancelled at that instant', async () => {
    const job = await drawn(page, runs.jobShutdown!.scenario.name);
    expect(job.marks.filter((m) => m.lane === 'close').map((m) => [m.kind, m.t])).toEqual([['jobShutdown', 10], ['sessionClose', 10]]);
    expect(job.labels).toContainEqual({ lane: 'close', text: 'job shutdown (framework) · close: job_shutdown' });
    expect(job.marks.find((m) => m.kind === 'dialCancel')?.t).toBe(10);
    expect(job.spans.find((s) => s.kind === 'dial')).toMatchObject({ t0: 3, t1: 10, cls: expect.stringContaining('o-cancelled') });
    const lost = await drawn(page, runs.disconnect!.scenario.name);
    expect(lost.marks.filter((m) => m.lane === 'close').map((m) => [m.kind, m.t])).toEqual([['disconnect', 10], ['sessionClose', 10]]);
    expect(lost.labels).toContainEqual({ lane: 'close', text: 'disconnected (SIGNAL_CLOSE) · close: disconnected' });
    // Only the agent's connection ended: the agent still deletes the room (closeAction).
    expect(lost.marks.filter((m) => m.lane === 'shutdown').map((m) => m.kind)).toEqual(['shutdown', 'deleteRoom']);
  });

  it('shows the tool run pausing presence', async () => {
    const d = await drawn(page, runs.tool!.scenario.name);
    const tool = d.spans.find((s) => s.kind === 'tool')!;
    expect(tool.text).toBe('lookup_order');
    const paused = d.spans.find((s) => s.lane === 'presence' && s.cls.includes('v-paused'))!;
    expect([paused.t0, paused.t1]).toEqual([tool.t0, tool.t1]);
  });
});

describe('the machine diagram in Chromium (docs/machine.svg)', () => {
  it('puts every state in its own box with its name inside it, children inside their parents', async () => {
    const browser = await launchChromium();
    try {
      const svg = readFileSync(join(import.meta.dirname, '..', 'docs', 'machine.svg'), 'utf8');
      const { page, requests } = await offlinePage(browser, `<!doctype html><body style="margin:0">${svg}</body>`, { width: 2600, height: 1800 });
      const boxes = await page.evaluate(() =>
        [...document.querySelectorAll('g.state')].map((g) => {
          const r = g.querySelector('rect')!.getBoundingClientRect();
          const t = g.querySelector('text')!.getBoundingClientRect();
          return { id: g.getAttribute('data-state') ?? '', rect: [r.left, r.top, r.right, r.bottom], text: [t.left, t.top, t.right, t.bottom] };
        }),
      );
      expect(requests).toEqual([]);
      const states = allStates(machineGraph().states);
      expect(boxes.map((b) => b.id).sort()).toEqual(states.map((s) => s.id).sort());
      const byId = new Map(boxes.map((b) => [b.id, b]));
      const inside = (inner: number[], outer: number[]) => inner[0]! >= outer[0]! - 0.5 && inner[1]! >= outer[1]! - 0.5 && inner[2]! <= outer[2]! + 0.5 && inner[3]! <= outer[3]! + 0.5;
      for (const s of states) {
        const b = byId.get(s.id)!;
        expect(inside(b.text, b.rect), `${s.id}: its name fits its box`).toBe(true);
        for (const c of s.children) expect(inside(byId.get(c.id)!.rect, b.rect), `${c.id} inside ${s.id}`).toBe(true);
      }
      // Siblings never overlap.
      for (const s of [{ children: machineGraph().states }, ...states]) {
        const kids = s.children.map((c) => byId.get(c.id)!.rect);
        kids.forEach((a, i) =>
          kids.slice(i + 1).forEach((b) => expect(a[2]! <= b[0]! || b[2]! <= a[0]! || a[3]! <= b[1]! || b[3]! <= a[1]!).toBe(true)),
        );
      }
    } finally {
      await browser.close();
    }
  }, 60_000);
});
