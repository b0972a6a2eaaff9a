/** `npm run diagram`: writes docs/machine.md (Mermaid) and docs/machine.svg, both generated from the machine definition. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineMarkdown } from '../src/pictures/mermaid.js';
import { machineSvg } from '../src/pictures/svg.js';

const docs = join(import.meta.dirname, '..', 'docs');
writeFileSync(join(docs, 'machine.md'), machineMarkdown());
writeFileSync(join(docs, 'machine.svg'), await machineSvg());
console.log(`wrote ${join(docs, 'machine.md')} and ${join(docs, 'machine.svg')}`);
