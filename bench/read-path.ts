/**
 * Benchmark: the services' read path `GET /api/v1/prompts/{name}?label=production` under concurrent load.
 * Runs `promptscope start` in-process on a throwaway data dir and drives it from a worker thread with autocannon,
 * moving the production label in the middle of the run to check the in-memory path stays correct. In the same run,
 * the same body is served by a bare @hono/node-server app (one route, the bytes in memory, no key, no lookup) under
 * the same load: our read path is reported as a ratio of it, which holds across machines where requests/s do not.
 *
 *   npm run bench -- read-path            (BENCH_SECONDS=10 BENCH_CONNECTIONS=10 by default; a 2 s warm-up is not counted)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { loadConfig } from '../src/config.ts';
import { freePort } from '../src/platform/listen.ts';
import { createLogger } from '../src/platform/log.ts';
import { startSystem } from '../src/server.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

export async function run(): Promise<Record<string, number | string | boolean>> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-bench-'));
  await fs.chmod(dataDir, 0o755);
  const config = loadConfig({
    PORT: String(await freePort()),
    PROMPTSCOPE_OTLP_PORT: String(await freePort()),
    PROMPTSCOPE_DATA_DIR: dataDir,
    PROMPTSCOPE_EMBEDDED_PG_PORT: String(await freePort()),
  });
  const system = await startSystem(config, createLogger('warn'));
  try {
    const key = system.bootstrapKey!.key;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    for (const version of ['1.0.0', '1.1.0']) {
      const res = await fetch(`${system.apiUrl}/api/v1/admin/prompts`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name: 'support-answer',
          version,
          template_text: `You are a support agent (v${version}). Answer: {{query}}`,
          variables: ['query'],
          is_active: version === '1.0.0',
          model_config: { provider: 'vertex_ai', model_name: 'gemini-2.5-flash', temperature: 0.7 },
        }),
      });
      if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
    }
    const url = `${system.apiUrl}/api/v1/prompts/support-answer?label=production`;
    await load(url, key, connections, 2);
    const result = load(url, key, connections, seconds);
    // Halfway through, promote 1.1.0; every read after the move must see it.
    await new Promise((r) => setTimeout(r, (seconds * 1000) / 2));
    const move = await fetch(`${system.apiUrl}/api/v1/admin/templates/support-answer/labels/production`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ version: '1.1.0', reason: 'bench' }),
    });
    const afterMove = (await (await fetch(url, { headers })).json()) as { version: string };
    const r = await result;
    // The bare app in alternating rounds with ours (ABBA), so a noisy neighbour on the machine weighs on both alike.
    const bare = await bareHono(await (await fetch(url, { headers })).text());
    let bareRate: number;
    let oursRate: number;
    let b: LoadResult;
    try {
      await load(bare.url, key, connections, 2);
      const rate = (x: LoadResult) => x.requests.total / x.duration;
      b = await load(bare.url, key, connections, seconds);
      const ours2 = await load(url, key, connections, seconds);
      const bare2 = await load(bare.url, key, connections, seconds);
      bareRate = (rate(b) + rate(bare2)) / 2;
      oursRate = (rate(r) + rate(ours2)) / 2;
    } finally {
      await bare.close();
    }

    if (!r.latency) throw new Error(`load worker returned ${JSON.stringify(r).slice(0, 500)}`);
    return {
      'requests/s': Math.round(oursRate),
      'p50 ms': r.latency.p50,
      'p99 ms': r.latency.p99,
      'bare @hono/node-server, requests/s': Math.round(bareRate),
      '  its p99 ms': b.latency.p99,
      'read path / bare hono (ABBA rounds)': (oursRate / bareRate).toFixed(2),
      'non-2xx': r.non2xx,
      errors: r.errors,
      'label move answered': move.status,
      'read after move sees new version': afterMove.version === '1.1.0',
      connections,
      seconds,
    };
  } finally {
    await system.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** One route answering the same bytes: what serving this body costs with nothing of ours in the way. */
async function bareHono(body: string): Promise<{ url: string; close: () => Promise<void> }> {
  const app = new Hono();
  app.get('/api/v1/prompts/:name', (c) => c.body(body, 200, { 'content-type': 'application/json' }));
  const server = createAdaptorServer({ fetch: app.fetch });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/api/v1/prompts/support-answer?label=production`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface LoadResult {
  requests: { total: number };
  duration: number;
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

/** autocannon on its own thread, so the load generator does not share the server's event loop. */
async function load(url: string, key: string, connections: number, seconds: number): Promise<LoadResult> {
  const worker = new Worker(new URL('./load-worker.ts', import.meta.url), {
    workerData: { url, connections, seconds, headers: { authorization: `Bearer ${key}` } },
  });
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}
