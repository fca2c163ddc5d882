/**
 * Benchmark: what a required key costs the collector. `promptscope collector` on the embedded defaults, driven as in
 * the collector benchmark (12 s at 5,000 spans/s, then as fast as the exporters go), with PROMPTSCOPE_OTLP_AUTH=off
 * and =required (a telemetry:write key from OTEL_EXPORTER_OTLP_HEADERS, checked through the bounded key cache),
 * in the order off, required, required, off so a table that grows between runs favours neither.
 *
 *   npm run bench -- collector-auth        (BENCH_SPANS=150000)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/platform/listen.ts';
import { runCli } from '../test/support/cli.ts';
import { drive, migrated, TOTAL } from './collector.ts';
import { makeSpans } from './llm-spans.ts';

export async function run(): Promise<Record<string, string | number>> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-auth-'));
  await fs.chmod(dataDir, 0o755);
  const env = {
    CLICKHOUSE_URL: '',
    DATABASE_URL: '',
    PROMPTSCOPE_DATA_DIR: dataDir,
    PROMPTSCOPE_EMBEDDED_PG_PORT: String(await freePort()),
    LOG_LEVEL: 'error',
  };
  const children: import('node:child_process').ChildProcess[] = [];
  try {
    await migrated(dataDir);
    const migrate = await runCli(['migrate', 'up'], { ...process.env, ...env });
    if (migrate.code !== 0) throw new Error(`migrate up failed: ${migrate.out}`);
    const created = await runCli(['keys', 'create', '--name', 'bench', '--scopes', 'telemetry:write'], {
      ...process.env,
      ...env,
    });
    const key = /psk_\S+/.exec(created.out)?.[0];
    if (!key) throw new Error(`keys create printed no key: ${created.out}`);
    const spans = makeSpans(TOTAL);
    const runs: Record<'off' | 'required', Awaited<ReturnType<typeof drive>>[]> = { off: [], required: [] };
    for (const mode of ['off', 'required', 'required', 'off'] as const) {
      // The exporters (this thread's and the paced worker's) read the key from the standard variable.
      if (mode === 'required') process.env.OTEL_EXPORTER_OTLP_HEADERS = `Authorization=Bearer%20${key}`;
      else delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
      runs[mode].push(await drive(spans, { ...env, PROMPTSCOPE_OTLP_AUTH: mode }, children));
    }
    const mean = (mode: 'off' | 'required', pick: (r: Awaited<ReturnType<typeof drive>>) => number) =>
      runs[mode].reduce((sum, r) => sum + pick(r), 0) / runs[mode].length;
    const figures: Record<string, string | number> = { 'spans per run (throughput phase)': TOTAL };
    for (const [label, pick] of [
      ['acknowledged spans/s', (r: Awaited<ReturnType<typeof drive>>) => r.acknowledged],
      ['end-to-end spans/s', (r: Awaited<ReturnType<typeof drive>>) => r.endToEnd],
      ['p50 ack ms at 5,000 spans/s', (r: Awaited<ReturnType<typeof drive>>) => r.p50Paced],
      ['p99 ack ms at 5,000 spans/s', (r: Awaited<ReturnType<typeof drive>>) => r.p99Paced],
    ] as const) {
      const off = mean('off', pick);
      const on = mean('required', pick);
      figures[`${label}: off / required (each run)`] =
        `${runs.off.map((r) => pick(r).toFixed(1)).join(', ')} / ${runs.required.map((r) => pick(r).toFixed(1)).join(', ')}`;
      figures[`${label}: required vs off (means)`] = `${(((on - off) / off) * 100).toFixed(1)} %`;
    }
    return figures;
  } finally {
    delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    for (const child of children) child.kill('SIGKILL');
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}
