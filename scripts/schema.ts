/** npm run schema — write schema/knowledge-base.schema.json from the runtime schema (a test checks it is current). */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { kbJsonSchema } from '../src/knowledge/schema';

const file = resolve(__dirname, '..', 'schema', 'knowledge-base.schema.json');
writeFileSync(file, JSON.stringify(kbJsonSchema(), null, 2) + '\n');
console.log(`wrote ${file}`);
