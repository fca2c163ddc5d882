#!/usr/bin/env node
// Entry point for `npx promptscope` / the installed bin; needs Node.js >= 22.18 (TypeScript type stripping).
import { main } from '../src/cli/main.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`promptscope: ${error.message}\n`);
    process.exit(1);
  },
);
