/**
 * Benchmark: the memory of `promptscope start` (API, collector, scheduler and the embedded ClickHouse in one process;
 * the embedded PostgreSQL is a process of its own, not counted) idle, then while it serves prompt reads and an
 * analytics query in a loop for 10 s. For the sizing guide's smallest row.
 *
 *   npm run bench -- footprint
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startPromptscope } from '../src/testing/promptscope-process.ts';

async function rssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

export async function run(): Promise<Record<string, string | number>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-footprint-'));
  await fs.chmod(dir, 0o755); // the embedded Postgres runs as its own user when we are root
  const ps = await startPromptscope(path.join(dir, 'data'));
  try {
    await new Promise((r) => setTimeout(r, 15_000));
    const idle = await rssMb(ps.child.pid!);
    await ps.call('POST', '/api/v1/admin/prompts', {
      name: 'footprint',
      template_text: 'hi',
      is_active: true,
    });
    let peak = idle;
    let reads = 0;
    const started = Date.now();
    while (Date.now() - started < 10_000) {
      await Promise.all(Array.from({ length: 50 }, () => ps.call('GET', '/api/v1/prompts/footprint')));
      await ps.call('GET', `/api/v1/analytics/usage?from=0&to=${Date.now()}`);
      reads += 50;
      peak = Math.max(peak, await rssMb(ps.child.pid!));
    }
    return {
      'promptscope start, idle 15 s: RSS MB': Math.round(idle),
      'serving reads + analytics 10 s: peak RSS MB': Math.round(peak),
      'prompt reads served in those 10 s': reads,
    };
  } finally {
    await ps.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
