import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allStates, machineGraph } from '../src/pictures/machineGraph.js';
import { machineMarkdown, machineMermaid } from '../src/pictures/mermaid.js';
import { machineSvg } from '../src/pictures/svg.js';

const docs = join(import.meta.dirname, '..', 'docs');

describe('the machine diagram (docs/machine.md, docs/machine.svg)', () => {
  it('is up to date with the machine definition (run `npm run diagram` after changing the machine)', async () => {
    expect(readFileSync(join(docs, 'machine.md'), 'utf8')).toBe(machineMarkdown());
    expect(readFileSync(join(docs, 'machine.svg'), 'utf8')).toBe(await machineSvg());
  });

  it('draws every region, the dial guard, timers and the single way out', () => {
    const m = machineMermaid();
    for (const s of ['call_live_presence', 'call_live_dial_dialing', 'call_settlingDial', 'call_goodbye', 'call_closed']) expect(m).toContain(s);
    expect(m).toContain('call_live_dial_idle --> call_live_dial_dialing: DIAL_REQUESTED');
    expect(m).toMatch(/after dialMax/);
    expect(m).toContain('call_closed --> [*]');
  });

  it('the SVG has a box for every state and an arrow, with its labels, for every transition', async () => {
    const svg = await machineSvg();
    const graph = machineGraph();
    const states = allStates(graph.states);
    expect(states.length).toBeGreaterThan(20);
    for (const s of states) expect(svg).toContain(`data-state="${s.id}"`);
    for (const t of graph.transitions) {
      const arrow = new RegExp(`<g class="transition" data-from="${t.from}" data-to="${t.to}"><path d="M[^"]+"[^>]*/>(.*?)</g>`).exec(svg);
      expect(arrow, `${t.from} -> ${t.to}`).not.toBeNull();
      expect(arrow![1]).toContain(`>${t.label.replace(/&/g, '&amp;')}</tspan>`);
    }
    // An initial marker in every compound state, and one for the machine.
    const compound = states.filter((s) => s.kind === 'compound' && s.children.length);
    expect(svg.match(/class="initial"/g)).toHaveLength(compound.length + 1);
  });
});
