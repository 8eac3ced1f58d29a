/** npm run schema — write the JSON Schemas for editors from the runtime schemas (a test checks they are current). */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dialogJsonSchema } from '../src/dialogs/schema';
import { kbJsonSchema } from '../src/knowledge/schema';

for (const [name, schema] of [
  ['knowledge-base.schema.json', kbJsonSchema()],
  ['dialog.schema.json', dialogJsonSchema()],
] as const) {
  const file = resolve(__dirname, '..', 'schema', name);
  writeFileSync(file, JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote ${file}`);
}
