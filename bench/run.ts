/**
 * `npm run bench [-- NAME ...]`: runs the named benchmarks (all by default) and prints their figures.
 * Benchmarks measure speed; tests never do.
 */
const BENCHMARKS: Record<string, () => Promise<{ run: () => Promise<Record<string, unknown>> }>> = {
  'read-path': () => import('./read-path.ts'),
  'sdk-overhead': () => import('./sdk-overhead.ts'),
  collector: () => import('./collector.ts'),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !(n in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`,
  );
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHMARKS)) {
  process.stdout.write(`\n== ${name}\n`);
  const figures = await (await BENCHMARKS[name]!()).run();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(36)} ${v}\n`);
}
process.exit(0);
