/**
 * Writes alerts/notifications.schema.json from the notification file's schema (src/alerts/notifications/schema.ts),
 * for editors (yaml-language-server). `npm run schemas`; a test fails when the committed file is out of date.
 */
import fs from 'node:fs';
import { notificationJsonSchema } from '../src/alerts/notifications/schema.ts';

const file = new URL('../alerts/notifications.schema.json', import.meta.url);
fs.writeFileSync(file, `${JSON.stringify(notificationJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file.pathname}\n`);
