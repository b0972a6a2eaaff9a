/**
 * The call timeline as one self-contained HTML page (`npm run simulate -- <scenario> --html out.html`): per scenario an
 * SVG with a lane per concern and a time axis, then the event list. No scripts, no external resources: it opens from
 * disk, in a mail attachment or in CI artifacts alike.
 *
 * Lanes: the user (LiveKit's user state, transcripts, noise), the machine's presence view, the agent's state,
 * prompts (check-ins, the max-duration warning, goodbye: from the command until the playout ends; a message left on a
 * voicemail, until its leg is removed), tool runs, dials (spans from start to outcome, answering-machine detection's
 * verdict, refusals, cancels, a machine's leg removed, and the caller on hold), the close (what asked for the end: a hang-up,
 * the room deleted, the framework ending the job, the connection lost, an end request, SIGTERM, an error; and the
 * session close) and the shutdown (the job's shutdown and the room deletion).
 *
 * Every drawn element carries `data-kind` and its time(s) (`data-t`, or `data-t0`/`data-t1` for spans), so a browser
 * test can check each is drawn where the axis says it should be.
 */
import { formatEvent, roundMs, type Summary, type TimelineEvent } from '../timeline/timeline.js';
import { escapeXml as esc } from './xmlEscape.js';

export interface TimelineSection {
  name: string;
  mode: 'model' | 'agent';
  timeline: readonly TimelineEvent[];
  summary: Summary;
}

export const LANES = [
  { id: 'user', label: 'user' },
  { id: 'presence', label: 'presence (machine)' },
  { id: 'agent', label: 'agent' },
  { id: 'prompts', label: 'check-ins' },
  { id: 'tools', label: 'tools' },
  { id: 'dial', label: 'dials' },
  { id: 'close', label: 'close' },
  { id: 'shutdown', label: 'shutdown' },
] as const;
export type LaneId = (typeof LANES)[number]['id'];

const WIDTH = 1200;
const GUTTER = 140;
const RIGHT = 24;
const TOP = 12;
const LANE_H = 30;
const LANE_GAP = 6;
const AXIS_H = 34;
/** Axis steps in seconds: the first that gives at most 12 ticks is used. */
const STEPS = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];

interface Span {
  lane: LaneId;
  kind: string;
  cls: string;
  t0: number;
  t1: number;
  label: string;
  title: string;
  /** A thin band at the bottom of the lane (the caller on hold) instead of a full-height bar. */
  band?: boolean;
}
interface Mark {
  lane: LaneId;
  kind: string;
  cls: string;
  t: number;
  label: string;
  title: string;
}

/** Width of one glyph of the lanes' 11px monospace font (0.6em), to tell whether a label fits. */
const GLYPH = 11 * 0.6;

const num = (v: number) => String(Math.round(v * 100) / 100);
const secs = (t: number) => `${roundMs(t)}s`;

/** Spans and marks of one timeline; spans still open at the end run to the end. */
export function timelineShapes(timeline: readonly TimelineEvent[]): { spans: Span[]; marks: Mark[]; end: number } {
  const end = timeline.reduce((m, e) => Math.max(m, e.t), 1);
  const spans: Span[] = [];
  const marks: Mark[] = [];
  // A lane whose value is a state: one span per run of the same value.
  const states = new Map<LaneId, { value: string; t0: number; kind: string }>();
  const setState = (lane: LaneId, kind: string, value: string, t: number) => {
    const open = states.get(lane);
    if (open?.value === value) return;
    if (open && t > open.t0) spans.push(stateSpan(lane, open.kind, open.value, open.t0, t));
    states.set(lane, { value, t0: t, kind });
  };
  // LiveKit starts every user in `listening`; the first user-state event is the first change.
  setState('user', 'userState', 'listening', 0);
  const openPrompts: { kind: string; t0: number; label: string }[] = [];
  const openTools = new Map<string, number[]>();
  const openDials = new Map<string, number>();
  let holdFrom: number | null = null;

  for (const e of timeline) {
    switch (e.type) {
      case 'userState':
        setState('user', 'userState', e.state, e.t);
        break;
      case 'presence':
        setState('presence', 'presence', e.state, e.t);
        break;
      case 'agentState':
        setState('agent', 'agentState', e.state, e.t);
        break;
      case 'transcript':
        marks.push({ lane: 'user', kind: 'transcript', cls: 'transcript', t: e.t, label: '', title: `${secs(e.t)} transcript: "${e.text}"` });
        break;
      case 'noise':
        spans.push({ lane: 'user', kind: 'noise', cls: 'noise', t0: e.t, t1: e.t + e.seconds, label: 'noise', title: `${secs(e.t)} noise for ${e.seconds}s` });
        break;
      case 'checkIn':
        openPrompts.push({ kind: 'checkIn', t0: e.t, label: `check-in ${e.attempt}` });
        break;
      case 'warning':
        openPrompts.push({ kind: 'warning', t0: e.t, label: 'warning' });
        break;
      case 'goodbye':
        openPrompts.push({ kind: 'goodbye', t0: e.t, label: 'goodbye' });
        break;
      case 'playoutEnd': {
        const i = openPrompts.findIndex((p) => p.kind === e.prompt);
        if (i < 0) break;
        const [p] = openPrompts.splice(i, 1);
        if (p) spans.push(promptSpan(p, e.t, e.interrupted === true));
        break;
      }
      case 'toolStart':
        openTools.set(e.name, [...(openTools.get(e.name) ?? []), e.t]);
        break;
      case 'toolEnd': {
        const t0 = openTools.get(e.name)?.shift();
        if (t0 !== undefined) spans.push({ lane: 'tools', kind: 'tool', cls: 'tool', t0, t1: e.t, label: e.name, title: `${secs(t0)}–${secs(e.t)} tool ${e.name}` });
        break;
      }
      case 'dialRequest':
        marks.push({ lane: 'dial', kind: 'dialRequest', cls: 'request', t: e.t, label: '', title: `${secs(e.t)} dial requested: ${e.number}` });
        break;
      case 'dialStart':
        openDials.set(e.number, e.t);
        break;
      case 'dialEnd': {
        const t0 = openDials.get(e.number) ?? e.t;
        openDials.delete(e.number);
        const sip = e.sipStatus === undefined ? '' : ` (SIP ${e.sipStatus})`;
        spans.push({
          lane: 'dial',
          kind: 'dial',
          cls: `dial o-${e.outcome}`,
          t0,
          t1: e.t,
          label: `${e.number} ${e.outcome}${sip}`,
          title: `${secs(t0)}–${secs(e.t)} dial ${e.number}: ${e.outcome}${sip}`,
        });
        break;
      }
      case 'amd':
        marks.push({ lane: 'dial', kind: 'amd', cls: `amd a-${e.category}`, t: e.t, label: e.category, title: `${secs(e.t)} answering-machine detection on ${e.number}: ${e.category}` });
        break;
      case 'voicemailMessage':
        openPrompts.push({ kind: 'voicemailMessage', t0: e.t, label: 'voicemail message' });
        break;
      case 'legRemoved': {
        const i = openPrompts.findIndex((p) => p.kind === 'voicemailMessage');
        if (i >= 0) spans.push(promptSpan(openPrompts.splice(i, 1)[0]!, e.t, false));
        marks.push({ lane: 'dial', kind: 'legRemoved', cls: 'cancel', t: e.t, label: 'hung up', title: `${secs(e.t)} leg removed (a machine answered): ${e.number}` });
        break;
      }
      case 'dialCancel':
        marks.push({ lane: 'dial', kind: 'dialCancel', cls: 'cancel', t: e.t, label: 'cancel', title: `${secs(e.t)} dial cancelled: ${e.number}` });
        break;
      case 'dialRefused':
        marks.push({ lane: 'dial', kind: 'dialRefused', cls: 'refused', t: e.t, label: `refused: ${e.reason}`, title: `${secs(e.t)} dial refused (${e.reason}): ${e.number}` });
        break;
      case 'holdCaller':
        holdFrom ??= e.t;
        break;
      case 'releaseCaller':
        if (holdFrom !== null) spans.push(holdSpan(holdFrom, e.t));
        holdFrom = null;
        break;
      case 'callerHangup':
        marks.push(closeMark('callerHangup', e.t, 'caller hung up'));
        break;
      case 'roomDeleted':
        marks.push(closeMark('roomDeleted', e.t, 'room deleted'));
        break;
      case 'jobShutdown':
        marks.push(closeMark('jobShutdown', e.t, 'job shutdown (framework)'));
        break;
      case 'disconnect':
        marks.push(closeMark('disconnect', e.t, `disconnected (${e.reason})`));
        break;
      case 'endRequest':
        marks.push(closeMark('endRequest', e.t, `end requested (${e.source})`));
        break;
      case 'sigterm':
        marks.push(closeMark('sigterm', e.t, 'SIGTERM'));
        break;
      case 'error':
        marks.push(closeMark('error', e.t, `error: ${e.message}`));
        break;
      case 'sessionClose':
        marks.push({ lane: 'close', kind: 'sessionClose', cls: 'close', t: e.t, label: `close: ${e.reason}`, title: `${secs(e.t)} session closed: ${e.reason}` });
        break;
      case 'shutdown':
        marks.push({ lane: 'shutdown', kind: 'shutdown', cls: 'shutdown', t: e.t, label: `shutdown: ${e.reason}`, title: `${secs(e.t)} ctx.shutdown(${e.reason})` });
        break;
      case 'deleteRoom':
        marks.push({ lane: 'shutdown', kind: 'deleteRoom', cls: 'delete', t: e.t, label: '', title: `${secs(e.t)} room deleted by the agent` });
        break;
    }
  }
  for (const [lane, open] of states) if (end > open.t0) spans.push(stateSpan(lane, open.kind, open.value, open.t0, end));
  for (const p of openPrompts) spans.push({ ...promptSpan(p, end, false), cls: `prompt p-${p.kind} unfinished`, title: `${secs(p.t0)}– ${p.label} (still playing at the end)` });
  for (const [name, starts] of openTools) for (const t0 of starts) spans.push({ lane: 'tools', kind: 'tool', cls: 'tool unfinished', t0, t1: end, label: name, title: `${secs(t0)}– tool ${name} (unfinished)` });
  for (const [number, t0] of openDials) spans.push({ lane: 'dial', kind: 'dial', cls: 'dial unfinished', t0, t1: end, label: `${number} …`, title: `${secs(t0)}– dial ${number} (no outcome)` });
  if (holdFrom !== null) spans.push(holdSpan(holdFrom, end));
  return { spans, marks, end };
}

function stateSpan(lane: LaneId, kind: string, value: string, t0: number, t1: number): Span {
  return { lane, kind, cls: `state v-${value}`, t0, t1, label: value, title: `${secs(t0)}–${secs(t1)} ${kind} ${value}` };
}
function promptSpan(p: { kind: string; t0: number; label: string }, t1: number, interrupted: boolean): Span {
  return {
    lane: 'prompts',
    kind: p.kind,
    cls: `prompt p-${p.kind}${interrupted ? ' interrupted' : ''}`,
    t0: p.t0,
    t1,
    label: interrupted ? `${p.label} (interrupted)` : p.label,
    title: `${secs(p.t0)}–${secs(t1)} ${p.label}${interrupted ? ', interrupted' : ''}`,
  };
}
function holdSpan(t0: number, t1: number): Span {
  return { lane: 'dial', kind: 'hold', cls: 'hold', t0, t1, label: 'caller on hold', title: `${secs(t0)}–${secs(t1)} caller on hold`, band: true };
}
function closeMark(kind: string, t: number, label: string): Mark {
  return { lane: 'close', kind, cls: 'trigger', t, label, title: `${secs(t)} ${label}` };
}

/** The SVG of one timeline. */
export function timelineSvg(timeline: readonly TimelineEvent[]): string {
  const { spans, marks, end } = timelineShapes(timeline);
  const plot = WIDTH - GUTTER - RIGHT;
  const x = (t: number) => GUTTER + (t / end) * plot;
  const laneY = new Map<LaneId, number>(LANES.map((l, i) => [l.id, TOP + i * (LANE_H + LANE_GAP)]));
  const axisY = TOP + LANES.length * (LANE_H + LANE_GAP);
  const height = axisY + AXIS_H;
  const out: string[] = [];
  out.push(`<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" data-end="${num(end)}">`);

  const step = STEPS.find((s) => end / s <= 12) ?? STEPS[STEPS.length - 1]!;
  out.push('<g class="axis">');
  for (let t = 0; t <= end + 1e-9; t += step) {
    const tx = num(x(t));
    out.push(
      `<g class="tick" data-t="${num(t)}"><line x1="${tx}" x2="${tx}" y1="${TOP - 4}" y2="${axisY + 4}"/>` +
        `<text x="${tx}" y="${axisY + 18}" text-anchor="middle">${tickLabel(t)}</text></g>`,
    );
  }
  out.push(`<text class="axis-title" x="${GUTTER - 24}" y="${axisY + 18}" text-anchor="end">time</text></g>`);

  for (const lane of LANES) {
    const y = laneY.get(lane.id)!;
    out.push(`<g class="lane" data-lane="${lane.id}">`);
    out.push(`<rect class="lane-bg" x="${GUTTER}" y="${y}" width="${plot}" height="${LANE_H}"/>`);
    out.push(`<text class="lane-label" x="${GUTTER - 8}" y="${y + LANE_H / 2 + 4}" text-anchor="end">${esc(lane.label)}</text>`);
    // State runs first, so what happens on top of them (noise on the line) stays visible.
    const laneSpans = spans.filter((s) => s.lane === lane.id);
    const isState = (s: Span) => s.cls.startsWith('state ');
    for (const s of [...laneSpans.filter(isState), ...laneSpans.filter((s) => !isState(s))]) {
      const x0 = x(s.t0);
      const w = Math.max(1.5, x(s.t1) - x0);
      const sy = s.band ? y + LANE_H - 7 : y + 3;
      const sh = s.band ? 6 : LANE_H - 6;
      const fits = s.label.length * GLYPH + 8 < w;
      out.push(
        `<g class="span ${s.cls}" data-kind="${s.kind}" data-t0="${num(s.t0)}" data-t1="${num(s.t1)}">` +
          `<rect x="${num(x0)}" y="${sy}" width="${num(w)}" height="${sh}" rx="3"/>` +
          (fits && !s.band ? `<text x="${num(x0 + 4)}" y="${y + LANE_H / 2 + 4}">${esc(s.label)}</text>` : '') +
          `<title>${esc(s.title)}</title></g>`,
      );
    }
    const laneMarks = marks.filter((m) => m.lane === lane.id);
    for (const m of laneMarks) {
      const mx = x(m.t);
      const my = y + LANE_H / 2;
      out.push(
        `<g class="mark ${m.cls}" data-kind="${m.kind}" data-t="${num(m.t)}">` +
          `<path d="M${num(mx)},${num(my - 7)} L${num(mx + 6)},${num(my)} L${num(mx)},${num(my + 7)} L${num(mx - 6)},${num(my)} Z"/>` +
          `<title>${esc(m.title)}</title></g>`,
      );
    }
    out.push(...markLabels(laneMarks, x, y));
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}

/**
 * The labels of one lane's marks. Marks a few pixels apart share one label ("caller hung up · close: caller_left");
 * labels near the right edge end at their mark. When no two labels collide they sit mid-lane; otherwise the lane
 * uses two rows, and a label that fits in neither is left to its tooltip.
 */
function markLabels(marks: readonly Mark[], x: (t: number) => number, y: number): string[] {
  const clusters: { x: number; label: string }[] = [];
  for (const m of marks) {
    const last = clusters.at(-1);
    if (last && x(m.t) - last.x < 4) {
      if (m.label) last.label = last.label ? `${last.label} · ${m.label}` : m.label;
    } else clusters.push({ x: x(m.t), label: m.label });
  }
  const placed = clusters
    .filter((c) => c.label)
    .map((c) => {
      const width = c.label.length * GLYPH;
      const right = c.x + 8 + width > WIDTH;
      return { ...c, right, from: right ? c.x - 8 - width : c.x + 8, to: right ? c.x - 8 : c.x + 8 + width };
    });
  const collide = (a: { from: number; to: number }, b: { from: number; to: number }) => a.from < b.to + 4 && b.from < a.to + 4;
  const crowded = placed.some((a, i) => placed.slice(i + 1).some((b) => collide(a, b)));
  const rows: number[] = crowded ? [y + 12, y + LANE_H - 3] : [y + LANE_H / 2 + 4];
  const taken: { from: number; to: number }[][] = rows.map(() => []);
  const out: string[] = [];
  for (const p of placed) {
    const row = taken.findIndex((r) => !r.some((q) => collide(p, q)));
    if (row < 0) continue;
    taken[row]!.push(p);
    out.push(`<text class="mark-label" x="${num(p.right ? p.to : p.from)}" y="${num(rows[row]!)}" text-anchor="${p.right ? 'end' : 'start'}">${esc(p.label)}</text>`);
  }
  return out;
}

function tickLabel(t: number): string {
  if (t >= 120 && t % 60 === 0) return `${t / 60} min`;
  return `${num(t)} s`;
}

const STYLE = `
body{font:14px/1.4 "DejaVu Sans",system-ui,sans-serif;color:#1c2833;margin:24px;background:#fff}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:28px 0 4px}
.summary{margin:0 0 8px;color:#455a64}.violations{color:#b71c1c;font-weight:bold}
svg.timeline{font:11px "DejaVu Sans Mono",Menlo,Consolas,monospace;display:block}
.lane-bg{fill:#f7f9fb;stroke:#e3e8ee}.lane-label{fill:#37474f;font:12px "DejaVu Sans",system-ui,sans-serif}
.tick line{stroke:#cfd8dc;stroke-dasharray:2 3}.tick text,.axis-title{fill:#607d8b}
.span text{fill:#102027;pointer-events:none}
.v-speaking rect{fill:#66bb6a}.v-listening rect{fill:#cfd8dc}.v-thinking rect{fill:#ffd54f}.v-away rect{fill:#ffa726}
.v-idle rect,.v-initializing rect{fill:#eceff1}.v-present rect{fill:#a5d6a7}.v-paused rect{fill:#90caf9}
.v-closing rect{fill:#ef9a9a}.v-closed rect{fill:#78909c}
.noise rect{fill:#546e7a;fill-opacity:.35;stroke:#37474f;stroke-dasharray:3 2}
.prompt rect{fill:#ce93d8}.p-goodbye rect{fill:#f48fb1}.p-warning rect{fill:#ffcc80}.p-voicemailMessage rect{fill:#bcaaa4}
.interrupted rect{stroke:#6a1b9a;stroke-width:2;stroke-dasharray:4 2}.unfinished rect{fill-opacity:.45}
.tool rect{fill:#80deea}
.dial rect{fill:#9fa8da}.o-answered rect{fill:#81c784}.o-busy rect,.o-no-answer rect{fill:#ffb74d}
.o-failed rect{fill:#e57373}.o-cancelled rect{fill:#bdbdbd}.o-voicemail rect{fill:#a1887f}
.hold rect{fill:#5c6bc0}
.mark path{fill:#546e7a}.mark-label{fill:#263238}
.transcript path{fill:#2e7d32}.request path{fill:#3949ab}.amd path{fill:#4e342e}.refused path,.cancel path{fill:#c62828}
.trigger path{fill:#e65100}.close path{fill:#b71c1c}.shutdown path{fill:#212121}.delete path{fill:#6d4c41}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:8px 0 0;padding:0;list-style:none;font-size:12px;color:#455a64}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-2px}
pre{font:12px "DejaVu Sans Mono",Menlo,Consolas,monospace;background:#f7f9fb;padding:8px;overflow:auto}
`;

const LEGEND: [string, string][] = [
  ['#66bb6a', 'speaking'],
  ['#cfd8dc', 'listening'],
  ['#ffd54f', 'thinking'],
  ['#ffa726', 'away'],
  ['#90caf9', 'presence paused'],
  ['#ef9a9a', 'closing'],
  ['#ce93d8', 'check-in'],
  ['#f48fb1', 'goodbye'],
  ['#bcaaa4', 'voicemail message'],
  ['#80deea', 'tool run'],
  ['#81c784', 'dial answered'],
  ['#ffb74d', 'busy / no answer'],
  ['#e57373', 'dial failed'],
  ['#a1887f', 'voicemail (a machine answered)'],
  ['#5c6bc0', 'caller on hold'],
];

/** The whole page: one section per scenario. */
export function timelineHtml(sections: readonly TimelineSection[]): string {
  const title = sections.length === 1 ? `Call timeline: ${sections[0]!.name}` : `Call timelines (${sections.length} scenarios)`;
  const body = sections.map((s) => {
    const { summary } = s;
    const line =
      `${s.mode} mode · ${summary.checkIns} check-in(s) · ${summary.dials} dial(s) · close: ${summary.closeReason ?? '–'} · ` +
      `shutdown: ${summary.shutdownReason ?? '–'}`;
    return [
      `<section data-scenario="${esc(s.name)}">`,
      `<h2>${esc(s.name)}</h2>`,
      `<p class="summary">${esc(line)}</p>`,
      summary.violations.length ? `<p class="violations">${summary.violations.map(esc).join('<br>')}</p>` : '',
      timelineSvg(s.timeline),
      `<details><summary>events</summary><pre>${esc(s.timeline.map(formatEvent).join('\n'))}</pre></details>`,
      '</section>',
    ].join('\n');
  });
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<h1>${esc(title)}</h1>`,
    `<ul class="legend">${LEGEND.map(([c, l]) => `<li><i style="background:${c}"></i>${esc(l)}</li>`).join('')}</ul>`,
    ...body,
    '</body></html>',
    '',
  ].join('\n');
}
