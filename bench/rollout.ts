import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startPromptscope } from '../src/testing/promptscope-process.ts';
import { startSampleService } from '../src/testing/sample-service.ts';

/**
 * `npm run bench -- rollout`: from the moment a candidate version starts failing to its label back at the control,
 * at the shipped defaults (rollouts advanced every 10 s; steps from 10 %; guards over 5 minutes, 30 calls each, the
 * error rate at most 2 points worse where significant). `promptscope start` as a user runs it; a sample service with
 * the real sdk and @google/genai (the model played by the local wire server) sends 20 calls a second; its candidate
 * fails a third of its calls and is slower. Several runs, each on a template of its own.
 */
const RUNS = Number(process.env.BENCH_ROLLOUT_RUNS ?? 3);
const RATE = 20;

export async function run(): Promise<Record<string, unknown>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-rollout-'));
  await fs.chmod(dir, 0o755); // embedded Postgres runs as its own user when we are root
  const ps = await startPromptscope(path.join(dir, 'data'));
  const call = async (method: string, url: string, body?: unknown) => {
    const answer = await ps.call(method, url, body);
    if (answer.status >= 300)
      throw new Error(`${method} ${url}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  try {
    const latencies: number[] = [];
    const details: string[] = [];
    const templates = Array.from(
      { length: RUNS },
      (_, i) => `bench-rollout-${i}-${randomBytes(3).toString('hex')}`,
    );
    for (const template of templates)
      for (const [version, active] of [
        ['1.0.0', true],
        ['2.0.0', false],
      ] as const)
        await call('POST', '/api/v1/admin/prompts', {
          name: template,
          version,
          template_text: `Answer {{question}} [v=${version}]`,
          variables: ['question'],
          is_active: active,
        });
    // One service (one OpenTelemetry setup per process), moved from template to template.
    const service = await startSampleService({
      serviceName: 'bench-rollout',
      api: ps.api,
      apiKey: ps.adminKey,
      otlp: ps.otlp,
      template: templates[0]!,
      callsPerSecond: RATE,
      cacheTtlSeconds: 5,
      behaviour: (v) =>
        v === '2.0.0' ? { errorShare: 0.33, delayMs: 150 } : { errorShare: 0.01, delayMs: 50 },
    });
    try {
      for (const template of templates) {
        service.setTemplate(template);
        // The control's traffic first, then the rollout with every default.
        await new Promise((r) => setTimeout(r, 15_000));
        const { id } = (await call('POST', '/api/v1/admin/rollouts', { template, candidate: '2.0.0' })) as {
          id: string;
        };
        const deadline = Date.now() + 300_000;
        let rollout: Record<string, unknown>;
        for (;;) {
          rollout = await call('GET', `/api/v1/admin/rollouts/${id}`);
          if (rollout.state !== 'running') break;
          if (Date.now() > deadline) throw new Error(`rollout ${id} still running after 300 s`);
          await new Promise((r) => setTimeout(r, 250));
        }
        if (rollout.state !== 'rolled_back')
          throw new Error(`rollout ${id} ended ${rollout.state}: ${rollout.reason}`);
        const candidate = service.stats().get(`${template}@2.0.0`);
        if (!candidate?.firstFailureAt) throw new Error('the candidate never failed');
        const latency = (Date.parse(String(rollout.ended_at)) - candidate.firstFailureAt) / 1000;
        latencies.push(latency);
        details.push(`${latency.toFixed(1)} s (${String(rollout.reason).split(' (')[0]})`);
      }
    } finally {
      await service.stop();
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      runs: RUNS,
      'calls per second': RATE,
      'first failing candidate call → label back at control, each': details.join(' | '),
      'min (s)': sorted[0]!.toFixed(1),
      'median (s)': sorted[Math.floor(sorted.length / 2)]!.toFixed(1),
      'max (s)': sorted.at(-1)!.toFixed(1),
      'target (s)': '< 60',
    };
  } finally {
    await ps.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
