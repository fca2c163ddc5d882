import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../../../src/store/clickhouse.ts';
import { testClickHouse } from '../../../test/support/api.ts';
import {
  countSpans,
  eventually,
  exportSpans,
  migrateClickHouse,
  otlpExporter,
  rows,
  spanFactory,
  testCollector,
} from '../../../test/support/collector.ts';
import type { RunningCollector } from '../../collector.ts';
import { Spool } from '../../queue/spool.ts';
import { toRows } from '../../receiver/otlp/spans-to-rows.ts';
import { ExportTraceServiceRequest, RpcStatus } from '../../receiver/otlp/trace-proto.ts';
import { compactRow } from '../../span-row.ts';
import { chdbInsertOnWorker } from './chdb-insert.ts';
import { otelTracesInsert } from './otel-traces-insert.ts';

function validBody(service: string, spanId = 'eee19b7ec3c1b174') {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId,
                name: 'op',
                startTimeUnixNano: '1764064800000000000',
                endTimeUnixNano: '1764064800000001000',
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('collector under bad input and failing dependencies', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;
  const post = (body: string | Buffer, headers: Record<string, string>, url = collector.url) =>
    fetch(`${url}/v1/traces`, { method: 'POST', headers, body });

  beforeAll(async () => {
    client = (await testClickHouse()).client;
    await migrateClickHouse(client);
    collector = await testCollector(client, { maxBodyBytes: 64 * 1024 });
  });
  afterAll(() => collector.stop());

  it.each([
    [
      'malformed protobuf',
      400,
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
      { 'content-type': 'application/x-protobuf' },
    ],
    [
      'truncated protobuf',
      400,
      Buffer.from(
        ExportTraceServiceRequest.encode(
          ExportTraceServiceRequest.fromObject({
            resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x'.repeat(50) }] }] }],
          }),
        ).finish(),
      ).subarray(0, 20),
      { 'content-type': 'application/x-protobuf' },
    ],
    ['malformed JSON', 400, '{"resourceSpans": [', { 'content-type': 'application/json' }],
    ['wrong-typed JSON', 400, '{"resourceSpans": {"not": "a list"}}', { 'content-type': 'application/json' }],
    [
      'wrong-typed span fields',
      200,
      JSON.stringify({
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 5, spanId: {}, startTimeUnixNano: 'soon' }] }] }],
      }),
      { 'content-type': 'application/json' },
    ],
    ['an unknown content type', 415, 'hello', { 'content-type': 'text/plain' }],
    [
      'an unknown content encoding',
      415,
      'x',
      { 'content-type': 'application/json', 'content-encoding': 'br' },
    ],
    ['an oversized body', 413, Buffer.alloc(100 * 1024, 1), { 'content-type': 'application/x-protobuf' }],
    [
      'a gzip bomb',
      413,
      gzipSync(Buffer.alloc(50 * 1024 * 1024, 0)),
      { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
    ],
    [
      'broken gzip',
      400,
      Buffer.from('not gzip at all'),
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    ],
  ] as [string, number, string | Buffer, Record<string, string>][])(
    'answers %s with %i and stays healthy',
    async (_, status, body, headers) => {
      const res = await post(body, headers);
      expect(res.status).toBe(status);
      if (status !== 200) {
        const text = Buffer.from(await res.arrayBuffer());
        const message =
          headers['content-type'] === 'application/json'
            ? JSON.parse(text.toString()).message
            : RpcStatus.decode(text).toJSON().message;
        expect(message).toBeTruthy();
      }
      expect((await fetch(`${collector.url}/health`)).status).toBe(200);
      expect(
        (await post(JSON.stringify(validBody('after-bad-input')), { 'content-type': 'application/json' }))
          .status,
      ).toBe(200);
    },
  );

  it('reports spans with wrong-typed fields as rejected in partial_success', async () => {
    const res = await post(
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              { spans: [{ traceId: 'abc', spanId: 'eee19b7ec3c1b174', startTimeUnixNano: 'soon' }] },
            ],
          },
        ],
      }),
      { 'content-type': 'application/json' },
    );
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: expect.any(String) },
    });
  });

  it('answers 404 on other paths and 405 on other methods', async () => {
    expect(
      (
        await fetch(`${collector.url}/v1/metrics`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(404);
    expect((await fetch(`${collector.url}/v1/traces`)).status).toBe(405);
  });

  it('keeps acknowledged spans through a ClickHouse outage and writes each exactly once when it is back', async () => {
    let down = true;
    const realInsert = otelTracesInsert(client, 'outage-test');
    const flaky = await testCollector(client, {
      insert: async (batch) => {
        if (down)
          throw Object.assign(new Error('connect ECONNREFUSED clickhouse:8123'), { code: 'ECONNREFUSED' });
        await realInsert(batch);
      },
    });
    const factory = spanFactory('outage');
    const exporter = otlpExporter(flaky.url, 'protobuf', false);
    const acked: string[] = [];
    for (let i = 0; i < 5; i++) {
      const spans = [];
      for (let j = 0; j < 20; j++)
        spans.push(await factory.span({ name: `op-${i}-${j}`, startMs: Date.now(), durationMs: 1 }));
      if ((await exportSpans(exporter, spans)) === 0) acked.push(...spans.map((s) => s.spanContext().spanId));
    }
    expect(acked).toHaveLength(100);
    await eventually(async () => flaky.metrics.insertRetries >= 2, 'retries while ClickHouse is down');
    const [before] = await rows<{ n: string }>(
      client,
      "SELECT count() AS n FROM otel_traces WHERE ServiceName = 'outage'",
    );
    expect(before!.n).toBe('0');
    down = false;
    await eventually(async () => flaky.spool.unsentBytes === 0, 'the spool to drain');
    const [after] = await rows<{ n: string; distinct: string }>(
      client,
      "SELECT count() AS n, uniqExact(SpanId) AS distinct FROM otel_traces WHERE ServiceName = 'outage'",
    );
    expect(after).toEqual({ n: '100', distinct: '100' });
    await flaky.stop();
  });

  it('sheds load with 503 + Retry-After when the spool is full, and accepts again once it drains', async () => {
    let down = true;
    const realInsert = otelTracesInsert(client, 'full-test');
    const full = await testCollector(client, {
      maxSpoolBytes: 200,
      retryAfterSeconds: 3,
      insert: async (batch) => {
        if (down) throw new Error('ClickHouse unavailable');
        await realInsert(batch);
      },
    });
    const first = await post(
      JSON.stringify(validBody('spool-full', 'aaaaaaaaaaaaaaa1')),
      { 'content-type': 'application/json' },
      full.url,
    );
    expect(first.status).toBe(200);
    const second = await post(
      JSON.stringify(validBody('spool-full', 'aaaaaaaaaaaaaaa2')),
      { 'content-type': 'application/json' },
      full.url,
    );
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('3');
    expect(((await second.json()) as { message: string }).message).toContain('spool is full');
    down = false;
    await eventually(async () => full.spool.unsentBytes === 0, 'the spool to drain');
    expect(
      (
        await post(
          JSON.stringify(validBody('spool-full', 'aaaaaaaaaaaaaaa2')),
          { 'content-type': 'application/json' },
          full.url,
        )
      ).status,
    ).toBe(200);
    await full.stop();
    expect(await countSpans(client)).toBeGreaterThan(0);
  });

  it('stores a batch replayed with the same token once, in otel_traces and in the tables fed from it', async () => {
    const store = await testClickHouse();
    // The insert the collector uses against this ClickHouse: chDB's raw insert on a worker thread when embedded.
    const insert = store.embedded
      ? await chdbInsertOnWorker(store.location, store.database, 'replay-test')
      : otelTracesInsert(client, 'replay-test');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-replay-'));
    const spool = new Spool({ dir });
    const spans = Array.from({ length: 3 }, (_, i) => ({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: `abcdef000000000${i}`,
      name: 'generate_content gemini-2.5-flash',
      startTimeUnixNano: '1764064800000000000',
      endTimeUnixNano: '1764064800250000000',
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'generate_content' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gemini-2.5-flash' } },
        { key: 'gen_ai.prompt.name', value: { stringValue: 'replay-template' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: '100' } },
      ],
    }));
    const { rows: spanRows } = toRows({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'replay' } }] },
          scopeSpans: [{ spans }],
        },
      ],
    });
    await spool.append(spanRows.map(compactRow));
    // The first attempt lands but its confirmation is lost (a crash before the spool commit): after the restart the
    // same batch is read again and inserted again.
    await insert((await spool.read(1024 * 1024))!);
    await spool.close();
    const restarted = new Spool({ dir });
    await insert((await restarted.read(1024 * 1024))!);
    await restarted.close();
    await fs.rm(dir, { recursive: true, force: true });
    const counts = await rows<{ traces: string; calls: string }>(
      client,
      `SELECT
         (SELECT count() FROM otel_traces WHERE ServiceName = 'replay') AS traces,
         (SELECT count() FROM llm_calls WHERE prompt_name = 'replay-template') AS calls`,
    );
    expect(counts[0]).toEqual({ traces: '3', calls: '3' });
  });
});
