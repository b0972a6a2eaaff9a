import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineMarkdown, machineMermaid } from '../scripts/machineDiagram.js';

describe('the machine diagram (docs/machine.md)', () => {
  it('is up to date with the machine definition (run `npm run diagram` after changing the machine)', () => {
    expect(readFileSync(join(import.meta.dirname, '..', 'docs', 'machine.md'), 'utf8')).toBe(machineMarkdown());
  });

  it('draws every region, the dial guard, timers and the single way out', () => {
    const m = machineMermaid();
    for (const s of ['call_live_presence', 'call_live_dial_dialing', 'call_settlingDial', 'call_goodbye', 'call_closed']) expect(m).toContain(s);
    expect(m).toContain('call_live_dial_idle --> call_live_dial_dialing: DIAL_REQUESTED');
    expect(m).toMatch(/after dialMax/);
    expect(m).toContain('call_closed --> [*]');
  });
});
