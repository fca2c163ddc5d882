/**
 * Writes the JSON Schemas of the alerting files, for editors (yaml-language-server, VS Code's YAML extension), from
 * the zod schemas the code validates with: alerts/notifications.schema.json (src/alerts/notifications/schema.ts) and
 * alerts/rules.schema.json (src/alerts/rule-file-schema.ts). `npm run schemas`; tests fail when a committed file is
 * out of date.
 */
import fs from 'node:fs';
import { notificationJsonSchema } from '../src/alerts/notifications/schema.ts';
import { ruleFileJsonSchema } from '../src/alerts/rule-file-schema.ts';

for (const [name, schema] of [
  ['notifications.schema.json', notificationJsonSchema()],
  ['rules.schema.json', ruleFileJsonSchema()],
] as const) {
  const file = new URL(`../alerts/${name}`, import.meta.url);
  fs.writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote ${file.pathname}\n`);
}
