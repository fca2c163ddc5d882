import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../../src/store/clickhouse.ts';
import {
  collectorOnTestClickHouse,
  eventually,
  exportSpans,
  otlpExporter,
  rows,
  serviceSpans,
  testCollector,
} from '../../test/support/collector.ts';
import type { RunningCollector } from '../collector.ts';
import { otelTracesInsert } from '../exporter/clickhouse/otel-traces-insert.ts';
import { RpcStatus } from './otlp/trace-proto.ts';

/** What OTLP/HTTP asks of an error answer: a Status whose code is the google.rpc.Code matching the HTTP status. */
describe('OTLP error answers carry a real google.rpc.Code, and what should be retried is', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;

  beforeAll(async () => {
    ({ client, collector } = await collectorOnTestClickHouse({ maxBodyBytes: 2048 }));
  });
  afterAll(() => collector.stop());

  const request = (path: string, init: RequestInit) => fetch(`${collector.url}${path}`, init);
  it.each([
    ['an undecodable JSON body', 400, 3, '/v1/traces', 'POST', 'application/json', '{"resourceSpans": ['],
    ['an undecodable protobuf body', 400, 3, '/v1/traces', 'POST', 'application/x-protobuf', '\u00ff\u00ff'],
    ['another path', 404, 5, '/v1/metrics', 'POST', 'application/json', '{}'],
    ['another method', 405, 12, '/v1/traces', 'PUT', 'application/json', '{}'],
    ['a body over the limit', 413, 3, '/v1/traces', 'POST', 'application/json', 'x'.repeat(4096)],
    ['another content type', 415, 3, '/v1/traces', 'POST', 'text/plain', 'hello'],
  ])('%s: HTTP %i, code %i', async (_, status, code, path, method, type, payload) => {
    const response = await request(path, { method, headers: { 'content-type': type }, body: payload });
    expect(response.status).toBe(status);
    if (type === 'application/json') {
      const json = (await response.json()) as { code: number; message: string };
      expect(json.code).toBe(code);
      expect(json.message.length).toBeGreaterThan(0);
    } else {
      const decoded = RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await response.arrayBuffer())));
      expect(decoded.code).toBe(code);
    }
  });

  it('a stalled body and slow headers get 503 + Retry-After with code 14 (OTLP exporters retry 503, not 408)', async () => {
    const slow = await testCollector(client, {
      bodyIdleTimeoutMs: 500,
      headersTimeoutMs: 500,
      requestTimeoutMs: 2_000,
    });
    const { hostname, port } = new URL(slow.url);
    const raw = async (text: string) => {
      const socket = net.connect(Number(port), hostname);
      const chunks: Buffer[] = [];
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.on('error', () => {});
      socket.write(text);
      await new Promise<void>((resolve) => socket.on('close', () => resolve()));
      return Buffer.concat(chunks);
    };
    const stalled = await raw(
      'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100\r\n\r\n\n',
    );
    const headers = await raw('POST /v1/traces HTTP/1.1\r\nHost: x\r\n');
    for (const answer of [stalled, headers]) {
      const split = answer.indexOf('\r\n\r\n');
      const head = answer.subarray(0, split).toString();
      expect(head).toMatch(/^HTTP\/1\.1 503 /);
      expect(head.toLowerCase()).toContain('retry-after: 1');
      const decoded = RpcStatus.toObject(RpcStatus.decode(answer.subarray(split + 4)));
      expect(decoded.code).toBe(14);
    }
    await slow.stop();
  });

  it('a batch refused with 503 while the spool is full is retried by the real OTLP exporter and arrives once', async () => {
    let down = true;
    const realInsert = otelTracesInsert(client, 'retry-test');
    const full = await testCollector(client, {
      maxSpoolBytes: 200,
      retryAfterSeconds: 1,
      insert: async (batch) => {
        if (down) throw new Error('ClickHouse unavailable');
        await realInsert(batch);
      },
    });
    const spanOf = serviceSpans('retried');
    const exporter = otlpExporter(full.url, 'protobuf', false);
    expect(await exportSpans(exporter, [spanOf({ n: 'first' })])).toBe(0);
    const refusedBefore = full.metrics.requests.get('503') ?? 0;
    const second = exportSpans(exporter, [spanOf({ n: 'second' })]);
    await eventually(
      async () => (full.metrics.requests.get('503') ?? 0) > refusedBefore,
      'the collector to refuse the second batch with 503',
    );
    down = false;
    expect(await second).toBe(0);
    await eventually(async () => full.spool.unsentBytes === 0, 'the spool to drain');
    const [r] = await rows<{ n: string; distinct: string }>(
      client,
      "SELECT toString(count()) AS n, toString(uniqExact(SpanId)) AS distinct FROM otel_traces WHERE ServiceName = 'retried'",
    );
    expect(r).toEqual({ n: '2', distinct: '2' });
    await full.stop();
  });
});
