/**
 * Benchmark: the template diff on long versions. Two 20,000-line versions with an edit every 50 lines (exact), and
 * two 100,000-line versions that share nothing (the worst case: falls back to replacing every line after its 1 s
 * budget). Time and growth of heap + array buffers, median of 5 runs.
 *
 *   npm run bench -- diff
 */
import { diffText } from '../src/prompts/diff.ts';

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n');

export async function run(): Promise<Record<string, string | number>> {
  const similar = [
    lines(20_000, (i) => `Step ${i}: answer the question about {{topic}} carefully.`),
    lines(20_000, (i) =>
      i % 50 === 0
        ? `Step ${i}: answer briefly.`
        : `Step ${i}: answer the question about {{topic}} carefully.`,
    ),
  ] as const;
  const disjoint = [lines(100_000, (i) => `old ${i}`), lines(100_000, (i) => `new ${i}`)] as const;
  const figures: Record<string, string | number> = {};
  for (const [name, [a, b]] of [
    ['20k lines, edit every 50', similar],
    ['100k lines, nothing shared', disjoint],
  ] as const) {
    const times: number[] = [];
    const growth: number[] = [];
    let approximate = false;
    for (let i = 0; i < 5; i++) {
      global.gc?.();
      const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
      const before = used();
      const t = performance.now();
      approximate = diffText(a, b).approximate;
      times.push(performance.now() - t);
      growth.push((used() - before) / 1024 / 1024);
    }
    const median = (v: number[]) => v.sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
    figures[`${name}: ms (median of 5)`] = median(times).toFixed(0);
    figures[`${name}: heap + buffers MB grown`] = median(growth).toFixed(0);
    figures[`${name}: approximate`] = String(approximate);
  }
  return figures;
}
