import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@clickhouse/client';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth/key-store.ts';
import { freePort } from '../src/platform/listen.ts';
import { startClickHouseServer } from '../src/testing/clickhouse-server.ts';
import { exited, runCli, startCli } from './support/cli.ts';
import { eventually, exportSpans, otlpExporter, rows, spanFactory } from './support/collector.ts';
import { createTestDatabase } from './support/databases.ts';

/**
 * promptscope past one process, as deployed at scale: one ClickHouse server process (chDB behind an HTTP front), one
 * Postgres, three `promptscope collector` processes and two `promptscope api` processes, each started as users start
 * them. (Two `promptscope scheduler` processes, one evaluating and the other taking over: test/scheduler.test.ts.)
 */
describe('many processes, one store', () => {
  const dir = { root: '' };
  const children: ChildProcess[] = [];
  let env: NodeJS.ProcessEnv;
  let clickhouse: ReturnType<typeof createClient>;
  let pg: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    dir.root = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-many-'));
    const server = await startClickHouseServer(path.join(dir.root, 'clickhouse'));
    children.push(server.child);
    pg = await createTestDatabase();
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CLICKHOUSE_URL: server.url,
      DATABASE_URL: pg.url,
      LOG_LEVEL: 'error',
    };
    const migrated = await runCli(['migrate', 'up'], env);
    expect(migrated.code, migrated.out).toBe(0);
    clickhouse = createClient({ url: server.url });
  }, 120_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await clickhouse?.close();
    await pg?.drop();
    await fs.rm(dir.root, { recursive: true, force: true });
  });

  it('three collectors, one SIGKILLed mid-stream and restarted: every acknowledged span once in otel_traces and llm_calls', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const collectorEnv = (i: number) => ({
      ...env,
      PROMPTSCOPE_DATA_DIR: path.join(dir.root, `collector-${i}`),
      PROMPTSCOPE_OTLP_PORT: String(ports[i]),
    });
    const start = async (i: number) => {
      const { child } = await startCli(['collector'], collectorEnv(i));
      children.push(child);
      return child;
    };
    const collectors = await Promise.all([0, 1, 2].map(start));
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);

    const factory = spanFactory('many-collectors');
    const acked = new Set<string>();
    const unacked: { spans: ReadableSpan[]; to: number }[] = [];
    const batch = async () => {
      const spans: ReadableSpan[] = [];
      for (let j = 0; j < 20; j++)
        spans.push(
          await factory.span({
            name: 'generate_content gemini-2.5-flash',
            startMs: Date.now(),
            durationMs: 5,
            attributes: {
              'gen_ai.operation.name': 'generate_content',
              'gen_ai.request.model': 'gemini-2.5-flash',
              'gen_ai.prompt.name': 'many',
              'gen_ai.usage.input_tokens': 10,
              'gen_ai.usage.output_tokens': 5,
            },
          }),
        );
      return spans;
    };
    // An exporter per batch, as an OTLP client that keeps what it was not answered and sends it again.
    const send = async (spans: ReadableSpan[], to: number) => {
      const code = await exportSpans(otlpExporter(urls[to]!, 'protobuf', false), spans);
      if (code === 0) for (const s of spans) acked.add(s.spanContext().spanId);
      else unacked.push({ spans, to });
    };

    for (let i = 0; i < 9; i++) await send(await batch(), i % 3);
    // Requests in flight on all three while collector 1 is killed.
    const batches: ReadableSpan[][] = [];
    for (let i = 0; i < 6; i++) batches.push(await batch());
    const inFlight = Promise.all(batches.map((spans, i) => send(spans, i % 3)));
    await new Promise((r) => setTimeout(r, 5));
    collectors[1]!.kill('SIGKILL');
    await inFlight;
    await exited(collectors[1]!);
    expect(collectors[1]!.signalCode).toBe('SIGKILL');

    collectors[1] = await start(1);
    for (const { spans, to } of unacked.splice(0)) await send(spans, to);
    for (let i = 0; i < 3; i++) await send(await batch(), i % 3);
    expect(unacked).toEqual([]);
    expect(acked.size).toBeGreaterThanOrEqual(9 * 20);
    for (const url of urls)
      await eventually(
        async () =>
          /^promptscope_collector_spool_bytes 0$/m.test(await (await fetch(`${url}/metrics`)).text()),
        `${url}'s spool to drain`,
        30_000,
      );

    const stored = await rows<{ SpanId: string; n: string }>(
      clickhouse,
      "SELECT SpanId, toString(count()) AS n FROM otel_traces WHERE ServiceName = 'many-collectors' GROUP BY SpanId",
    );
    const calls = await rows<{ span_id: string; n: string }>(
      clickhouse,
      "SELECT span_id, toString(count()) AS n FROM llm_calls WHERE service_name = 'many-collectors' GROUP BY span_id",
    );
    for (const [what, got] of [
      ['otel_traces', new Map(stored.map((r) => [r.SpanId, r.n]))],
      ['llm_calls', new Map(calls.map((r) => [r.span_id, r.n]))],
    ] as const) {
      const missing = [...acked].filter((id) => !got.has(id));
      const twice = [...got].filter(([, count]) => count !== '1');
      expect({ what, missing, twice }).toEqual({ what, missing: [], twice: [] });
    }
  }, 120_000);

  it('two API processes: a label moved through one is served by the other', async () => {
    const key = (await createApiKey(pg.sql, { name: 'many-admin', scopes: ['admin'], createdBy: 'test' }))
      .key;
    const apis = await Promise.all(
      [0, 1].map(async (i) => {
        const port = await freePort();
        const { child } = await startCli(['api'], {
          ...env,
          PORT: String(port),
          PROMPTSCOPE_DATA_DIR: path.join(dir.root, `api-${i}`),
        });
        children.push(child);
        return `http://127.0.0.1:${port}`;
      }),
    );
    const call = async (base: string, method: string, url: string, body?: unknown) => {
      const res = await fetch(`${base}${url}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    for (const text of ['v1 {{x}}', 'v2 {{x}}'])
      expect(
        (
          await call(apis[0]!, 'POST', '/api/v1/admin/prompts', {
            name: 'many-api',
            template_text: text,
            variables: ['x'],
            is_active: text.startsWith('v1'),
          })
        ).status,
      ).toBe(201);
    // The second instance reads production, and holds it in memory.
    expect((await call(apis[1]!, 'GET', '/api/v1/prompts/many-api')).body.version).toBe('1');
    expect(
      (await call(apis[0]!, 'PUT', '/api/v1/admin/templates/many-api/labels/production', { version: '2' }))
        .status,
    ).toBe(200);
    const served = await eventually(
      async () => {
        const res = await call(apis[1]!, 'GET', '/api/v1/prompts/many-api');
        return res.body.version === '2' && res.body;
      },
      'the other instance to serve the moved label',
      5_000,
    );
    expect(served.template_text).toBe('v2 {{x}}');
  }, 60_000);
});
