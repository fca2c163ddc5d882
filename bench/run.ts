import { spawn } from 'node:child_process';

/**
 * `npm run bench [-- NAME ...]`: runs the named benchmarks (all by default) and prints their figures. Each runs in
 * a process of its own: chDB binds one data folder per process, and one benchmark's heap or threads must not
 * colour the next one's figures. Benchmarks measure speed; tests never do.
 */
const BENCHMARKS: Record<string, () => Promise<{ run: () => Promise<Record<string, unknown>> }>> = {
  'read-path': () => import('./read-path.ts'),
  'sdk-overhead': () => import('./sdk-overhead.ts'),
  rollout: () => import('./rollout.ts'),
  collector: () => import('./collector.ts'),
  'collector-auth': () => import('./collector-auth.ts'),
  analytics: () => import('./analytics.ts'),
  alerts: () => import('./alerts.ts'),
  diff: () => import('./diff.ts'),
  footprint: () => import('./footprint.ts'),
};

const ONE = '--one';
const args = process.argv.slice(2);

if (args[0] === ONE) {
  const name = args[1]!;
  const figures = await (await BENCHMARKS[name]!()).run();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(36)} ${v}\n`);
  process.exit(0);
}

const unknown = args.filter((n) => !(n in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`,
  );
  process.exit(2);
}
let failed = 0;
for (const name of args.length > 0 ? args : Object.keys(BENCHMARKS)) {
  process.stdout.write(`\n== ${name}\n`);
  const code = await new Promise<number | null>((resolve) =>
    spawn(process.execPath, [import.meta.filename, ONE, name], { stdio: 'inherit' }).once('exit', resolve),
  );
  if (code !== 0) {
    failed++;
    process.stderr.write(`benchmark ${name} failed (exit ${code})\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
