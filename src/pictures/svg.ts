/**
 * The machine as a standalone SVG (docs/machine.svg), laid out by ELK's layered algorithm (elkjs) from
 * `machineGraph()`. Compound states are containers with their name at the top left; the regions of a parallel state
 * are dashed containers side by side; an initial child is marked by a dot and an arrow; a final state has a double
 * border. Transitions between the same two states share one arrow, their labels stacked.
 *
 * The output is deterministic (ELK's layered algorithm is, for the same input and version), so a test can compare the
 * committed file with a fresh rendering. Text widths are estimated for a monospace font at 11px (0.6em per glyph),
 * which is why the SVG asks for a monospace font; a browser test checks every label fits its box.
 */
import elkModule from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { allStates, machineGraph, type DiagramState } from './machineGraph.js';
import { escapeXml as esc } from './xmlEscape.js';

// elkjs is CommonJS with `module.exports.default = ELK`: under NodeNext the default import is the whole module.
const ELK = elkModule.default;

const FONT_SIZE = 11;
const GLYPH = FONT_SIZE * 0.6;
const LINE = 14;
const LEAF_HEIGHT = 30;
const INIT = 10;

const textWidth = (s: string) => Math.ceil(s.length * GLYPH);
const n = (v: number | undefined) => Math.round((v ?? 0) * 10) / 10;
const initId = (id: string) => `${id}#initial`;

function elkNode(s: DiagramState): ElkNode {
  if (s.children.length === 0) return { id: s.id, width: textWidth(s.key) + 24, height: LEAF_HEIGHT };
  const children = s.children.map(elkNode);
  const edges: ElkExtendedEdge[] = [];
  if (s.initial) {
    children.unshift({ id: initId(s.id), width: INIT, height: INIT });
    edges.push({ id: `${initId(s.id)}->`, sources: [initId(s.id)], targets: [s.initial] });
  }
  return {
    id: s.id,
    children,
    edges,
    layoutOptions: {
      // Room for the state's name above its children.
      'elk.padding': `[top=${LINE + 14},left=12,bottom=12,right=12]`,
      'elk.nodeSize.constraints': 'MINIMUM_SIZE',
      'elk.nodeSize.minimum': `(${textWidth(s.key) + 24}, 40)`,
      ...(s.kind === 'parallel' ? { 'elk.direction': 'RIGHT' } : {}),
    },
  };
}

export async function machineSvg(): Promise<string> {
  const graph = machineGraph();
  // One arrow per (from, to) pair: the eight ways from `live` to `closing` read better as one stacked label.
  const grouped = new Map<string, { from: string; to: string; labels: string[] }>();
  for (const t of graph.transitions) {
    const key = `${t.from}\u0000${t.to}`;
    const g = grouped.get(key) ?? { from: t.from, to: t.to, labels: [] };
    g.labels.push(t.label);
    grouped.set(key, g);
  }
  const edges: ElkExtendedEdge[] = [...grouped.values()].map((g, i) => ({
    id: `t${i}`,
    sources: [g.from],
    targets: [g.to],
    labels: [{ text: g.labels.join('\n'), width: Math.max(...g.labels.map(textWidth)), height: g.labels.length * LINE }],
  }));
  const rootInit = initId('call');
  const input: ElkNode = {
    id: 'root',
    children: [{ id: rootInit, width: INIT, height: INIT }, ...graph.states.map(elkNode)],
    edges: [{ id: `${rootInit}->`, sources: [rootInit], targets: [graph.initial] }, ...edges],
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.edgeLabels.inline': 'false',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.nodeNode': '24',
      'elk.spacing.edgeLabel': '4',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
      // Every coordinate in the result is absolute, so drawing needs no parent offsets.
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
    },
  };
  const layout: ElkNode = await new ELK().layout(input);

  const byId = new Map(allStates(graph.states).map((s) => [s.id, s]));
  const parentKind = new Map<string, DiagramState['kind']>();
  for (const s of byId.values()) for (const c of s.children) parentKind.set(c.id, s.kind);

  const shapes: string[] = [];
  const drawNode = (node: ElkNode) => {
    const x = n(node.x), y = n(node.y), w = n(node.width), h = n(node.height);
    if (node.id.endsWith('#initial')) {
      shapes.push(`<circle class="initial" data-initial-of="${esc(node.id.slice(0, -'#initial'.length))}" cx="${n(x + INIT / 2)}" cy="${n(y + INIT / 2)}" r="${INIT / 2}"/>`);
      return;
    }
    const s = byId.get(node.id);
    if (!s) throw new Error(`machineSvg: ELK returned an unknown node "${node.id}"`);
    const region = parentKind.get(s.id) === 'parallel';
    const cls = s.children.length ? (region ? 'state region' : 'state compound') : s.kind === 'final' ? 'state final' : 'state';
    const labelY = s.children.length ? y + LINE + 2 : y + LEAF_HEIGHT / 2 + FONT_SIZE / 3;
    const labelX = s.children.length ? x + 10 : x + w / 2;
    const anchor = s.children.length ? 'start' : 'middle';
    shapes.push(
      `<g class="${cls}" data-state="${esc(s.id)}">` +
        `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6"/>` +
        (s.kind === 'final' ? `<rect class="inner" x="${n(x + 3)}" y="${n(y + 3)}" width="${n(w - 6)}" height="${n(h - 6)}" rx="4"/>` : '') +
        `<text x="${n(labelX)}" y="${n(labelY)}" text-anchor="${anchor}">${esc(s.key)}</text></g>`,
    );
    for (const c of node.children ?? []) drawNode(c);
  };
  for (const c of layout.children ?? []) drawNode(c);

  const arrows: string[] = [];
  const collectEdges = (node: ElkNode): ElkExtendedEdge[] => [...(node.edges ?? []), ...(node.children ?? []).flatMap(collectEdges)];
  for (const e of collectEdges(layout)) {
    const points = (e.sections ?? []).flatMap((sec) => [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint]);
    if (points.length < 2) throw new Error(`machineSvg: ELK did not route transition "${e.id}"`);
    const d = points.map((p, i) => `${i ? 'L' : 'M'}${n(p.x)},${n(p.y)}`).join(' ');
    const group = grouped.get(`${e.sources[0]}\u0000${e.targets[0]}`);
    const attrs = group ? ` data-from="${esc(group.from)}" data-to="${esc(group.to)}"` : ' data-initial="true"';
    let text = '';
    for (const l of e.labels ?? []) {
      const lines = (l.text ?? '').split('\n');
      text += `<text class="label" x="${n(l.x)}" y="${n(l.y)}">${lines
        .map((line, i) => `<tspan x="${n(l.x)}" dy="${i === 0 ? FONT_SIZE : LINE}">${esc(line)}</tspan>`)
        .join('')}</text>`;
    }
    arrows.push(`<g class="transition"${attrs}><path d="${d}" marker-end="url(#arrow)"/>${text}</g>`);
  }

  const width = n(layout.width), height = n(layout.height);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${FONT_SIZE}">`,
    '<title>The call machine (generated by npm run diagram from machines/call.machine.ts)</title>',
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    '<style>',
    '.state rect{fill:#fff;stroke:#37474f;stroke-width:1.2}',
    '.compound>rect{fill:#f5f7fa}',
    '.region>rect{fill:#fafbfc;stroke-dasharray:5 3}',
    '.final rect{fill:#eceff1}',
    '.state text{fill:#263238}',
    '.compound>text,.region>text{font-weight:bold}',
    '.initial{fill:#263238}',
    '.transition path{fill:none;stroke:#555;stroke-width:1}',
    '.transition .label{fill:#0d47a1}',
    '</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...shapes,
    ...arrows,
    '</svg>',
    '',
  ].join('\n');
}
