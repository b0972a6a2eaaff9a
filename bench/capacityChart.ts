/**
 * docs/capacity.svg from bench/results.json: concurrent calls against check-in timing error (p50, p99, the 50 ms
 * line) and CPU (the calls' share of the worker, the framework's load reading, its 0.7 threshold). Plain SVG text,
 * written by `npm run bench` after each run, or on its own: `npx tsx bench/capacityChart.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { escapeXml } from '../src/pictures/xmlEscape.js';

interface Step {
  calls: number;
  samples: number;
  p50Ms: number | null;
  p99Ms: number | null;
  callsCores: number;
  machineCores: number;
  frameworkLoad: number;
  ok: boolean;
}

interface Results {
  capacity: {
    steps: Step[];
    maxCalls: number;
    p99AtMaxMs: number | null;
    p99LimitMs: number;
    stepSeconds: number;
    brokeAt: { calls: number; why: string } | null;
    loadThreshold: { production: number; monitorCpus: number };
    machine: { cpus: number };
  };
  meta: { cpuModel: string; cpus: number; date: string; quick: boolean };
}

const W = 760;
const H = 400;
const M = { left: 64, right: 70, top: 58, bottom: 100 };
const f = (x: number) => (Math.round(x * 10) / 10).toString();

export function capacitySvg(r: Results): string {
  const c = r.capacity;
  const steps = c.steps;
  const xMin = Math.max(0, Math.min(...steps.map((s) => s.calls)) - 1);
  const xMax = Math.max(...steps.map((s) => s.calls)) + 1;
  const errMax = Math.max(100, ...steps.map((s) => Math.min(400, (s.p99Ms ?? 0) * 1.1)));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (calls: number) => M.left + ((calls - xMin) / (xMax - xMin)) * plotW;
  const yErr = (ms: number) => M.top + plotH - (Math.min(ms, errMax) / errMax) * plotH;
  const yShare = (share: number) => M.top + plotH - Math.min(1, share) * plotH;
  const out: string[] = [];
  const text = (tx: number, ty: number, s: string, attrs = '') => out.push(`<text x="${f(tx)}" y="${f(ty)}" ${attrs}>${escapeXml(s)}</text>`);
  const line = (x1: number, y1: number, x2: number, y2: number, attrs: string) => out.push(`<line x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}" ${attrs}/>`);
  const path = (pts: [number, number][], attrs: string) => pts.length && out.push(`<polyline points="${pts.map(([a, b]) => `${f(a)},${f(b)}`).join(' ')}" fill="none" ${attrs}/>`);

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  text(M.left, 22, `Calls per worker: one job process per call, real Silero VAD on real speech`, 'font-size="15" font-weight="bold"');
  text(M.left, 40, `${r.meta.cpus} vCPU ${r.meta.cpuModel}, ${r.meta.date.slice(0, 10)}${r.meta.quick ? ' (--quick)' : ''}, ${c.stepSeconds} s per step; shared machine, see results.json`, 'fill="#555"');

  // Axes and grid.
  line(M.left, M.top + plotH, M.left + plotW, M.top + plotH, 'stroke="#333"');
  line(M.left, M.top, M.left, M.top + plotH, 'stroke="#333"');
  line(M.left + plotW, M.top, M.left + plotW, M.top + plotH, 'stroke="#333"');
  const errTick = errMax > 200 ? 100 : 25;
  for (let v = 0; v <= errMax; v += errTick) {
    line(M.left, yErr(v), M.left + plotW, yErr(v), 'stroke="#eee"');
    text(M.left - 6, yErr(v) + 4, `${v}`, 'text-anchor="end"');
  }
  for (let p = 0; p <= 100; p += 25) text(M.left + plotW + 6, yShare(p / 100) + 4, `${p}%`);
  for (const s of steps) {
    line(x(s.calls), M.top + plotH, x(s.calls), M.top + plotH + 4, 'stroke="#333"');
    text(x(s.calls), M.top + plotH + 17, `${s.calls}`, 'text-anchor="middle"');
    text(x(s.calls), M.top + plotH + 30, `n=${s.samples}`, 'text-anchor="middle" fill="#777" font-size="10"');
  }
  text(M.left + plotW / 2, M.top + plotH + 46, 'concurrent calls (one process each); n = check-ins timed in the step', 'text-anchor="middle"');
  text(16, M.top + plotH / 2, 'check-in timing error, ms', `text-anchor="middle" transform="rotate(-90 16 ${f(M.top + plotH / 2)})"`);
  text(W - 14, M.top + plotH / 2, 'CPU, share of the worker', `text-anchor="middle" transform="rotate(90 ${W - 14} ${f(M.top + plotH / 2)})"`);

  // Limits: 50 ms, loadThreshold 0.7, maxCalls.
  line(M.left, yErr(c.p99LimitMs), M.left + plotW, yErr(c.p99LimitMs), 'stroke="#c62828" stroke-dasharray="6 4"');
  text(M.left + 4, yErr(c.p99LimitMs) - 4, `p99 limit ${c.p99LimitMs} ms`, 'fill="#c62828"');
  const thr = c.loadThreshold.production;
  line(M.left, yShare(thr), M.left + plotW, yShare(thr), 'stroke="#6a1b9a" stroke-dasharray="2 3"');
  text(M.left + plotW - 4, yShare(thr) - 4, `loadThreshold ${thr}`, 'text-anchor="end" fill="#6a1b9a"');
  if (c.maxCalls > 0) {
    line(x(c.maxCalls), M.top, x(c.maxCalls), M.top + plotH, 'stroke="#2e7d32" stroke-dasharray="4 3"');
    text(x(c.maxCalls) + 4, M.top + 12, `maxCalls ${c.maxCalls}${c.brokeAt ? '' : ' (not broken in range)'}`, 'fill="#2e7d32"');
  }

  // Series.
  const cpus = c.loadThreshold.monitorCpus || c.machine.cpus;
  path(steps.map((s) => [x(s.calls), yShare(s.callsCores / cpus)]), 'stroke="#ef6c00" stroke-width="2"');
  path(steps.map((s) => [x(s.calls), yShare(s.frameworkLoad)]), 'stroke="#6a1b9a" stroke-width="1.5" stroke-dasharray="5 3"');
  path(steps.filter((s) => s.p50Ms !== null).map((s) => [x(s.calls), yErr(s.p50Ms!)]), 'stroke="#90caf9" stroke-width="2"');
  path(steps.filter((s) => s.p99Ms !== null).map((s) => [x(s.calls), yErr(s.p99Ms!)]), 'stroke="#1565c0" stroke-width="2.5"');
  for (const s of steps) {
    if (s.p99Ms === null) continue;
    const cx = x(s.calls);
    const cy = yErr(s.p99Ms);
    if (s.ok) out.push(`<circle cx="${f(cx)}" cy="${f(cy)}" r="4" fill="#1565c0"/>`);
    else out.push(`<path d="M${f(cx - 5)},${f(cy - 5)} L${f(cx + 5)},${f(cy + 5)} M${f(cx - 5)},${f(cy + 5)} L${f(cx + 5)},${f(cy - 5)}" stroke="#c62828" stroke-width="2.5"/>`);
    text(cx + 6, cy - 6, `${Math.round(s.p99Ms)}${s.p99Ms > errMax ? '↑' : ''}`, 'fill="#1565c0" font-size="11"');
  }

  // Legend.
  const ly = H - 22;
  const items: [string, string][] = [
    ['stroke="#1565c0" stroke-width="2.5"', 'p99 timing error (× = step failed)'],
    ['stroke="#90caf9" stroke-width="2"', 'p50'],
    ['stroke="#ef6c00" stroke-width="2"', 'calls\u2019 CPU / worker'],
    ['stroke="#6a1b9a" stroke-width="1.5" stroke-dasharray="5 3"', 'framework load reading'],
  ];
  let lx = M.left;
  for (const [attrs, label] of items) {
    line(lx, ly, lx + 22, ly, attrs);
    text(lx + 27, ly + 4, label);
    lx += 36 + label.length * 6.3;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export function writeCapacityChart(root = join(import.meta.dirname, '..')): string {
  const results = JSON.parse(readFileSync(join(root, 'bench', 'results.json'), 'utf8')) as Results;
  const file = join(root, 'docs', 'capacity.svg');
  writeFileSync(file, capacitySvg(results));
  return file;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(`wrote ${writeCapacityChart()}`);
