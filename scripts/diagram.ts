/** `npm run diagram`: writes docs/machine.md (a Mermaid state diagram generated from the machine definition). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineMarkdown } from './machineDiagram.js';

const out = join(import.meta.dirname, '..', 'docs', 'machine.md');
writeFileSync(out, machineMarkdown());
console.log(`wrote ${out}`);
