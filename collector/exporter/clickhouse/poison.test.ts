import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/platform/log.ts';
import type { ClickHouseClient, ClickHouseStore } from '../../../src/store/clickhouse.ts';
import { eventually, productionLikeCollector, rows } from '../../../test/support/collector.ts';
import type { RunningCollector } from '../../collector.ts';
import { Spool } from '../../queue/spool.ts';
import { toRows } from '../../receiver/otlp/spans-to-rows.ts';
import { ExportTraceServiceRequest, ExportTraceServiceResponse } from '../../receiver/otlp/trace-proto.ts';
import { compactRow } from '../../span-row.ts';
import { CollectorMetrics } from '../../telemetry/metrics.ts';
import { chdbInsertOnWorker } from './chdb-insert.ts';
import { ClickHouseExporter } from './exporter.ts';
import { otelTracesInsert } from './otel-traces-insert.ts';

const TRACE = '5b8efff798038103d269b633813fc60c';
const START = '1764064800000000000';

function span(spanId: string, extra: Record<string, unknown> = {}) {
  return {
    traceId: TRACE,
    spanId,
    name: 'op',
    startTimeUnixNano: START,
    endTimeUnixNano: '1764064800000001000',
    ...extra,
  };
}

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

function request(service: string, spans: unknown[]) {
  return {
    resourceSpans: [{ resource: { attributes: [str('service.name', service)] }, scopeSpans: [{ spans }] }],
  };
}

async function storedBySpanId(
  client: ClickHouseClient,
  service: string,
): Promise<Map<string, { SpanName: string; SpanAttributes: Record<string, string>; n: string }>> {
  const found = await rows<{
    SpanId: string;
    SpanName: string;
    SpanAttributes: Record<string, string>;
    n: string;
  }>(
    client,
    `SELECT SpanId, any(SpanName) AS SpanName, any(SpanAttributes) AS SpanAttributes, toString(count()) AS n
     FROM otel_traces WHERE ServiceName = '${service}' GROUP BY SpanId`,
  );
  return new Map(found.map((r) => [r.SpanId, r]));
}

describe('poison input', () => {
  let store: ClickHouseStore;
  let client: ClickHouseClient;
  let collector: RunningCollector & { dataDir: string };

  beforeAll(async () => {
    ({ store, collector } = await productionLikeCollector());
    client = store.client;
  });
  afterAll(() => collector.stop());

  it('stores every valid span of a mixed OTLP/JSON request, sanitises what can be stored and rejects the rest by name', async () => {
    const hugeValue = 'x'.repeat(2 * 1024 * 1024);
    const spans = [
      span('a000000000000001', { attributes: [str('note', 'plain')] }),
      // A lone surrogate, spelled as JSON allows: stored as U+FFFD (as Go's decoder does), in values, keys and names.
      span('a000000000000002', {
        name: 'op-\ud800',
        attributes: [str('note', '\ud800'), str('k\udfff', 'v')],
      }),
      span('a000000000000003', {
        attributes: [{ key: 'arr', value: { arrayValue: { values: [{ stringValue: '\udc00' }] } } }],
      }),
      // NUL bytes are valid UTF-8 and ClickHouse strings hold them.
      span('a000000000000004', { name: 'nul\u0000name', attributes: [str('note', 'a\u0000b')] }),
      // Bytes that are not UTF-8 at all (patched into the body below).
      span('a000000000000005', { attributes: [str('note', 'INVALID-UTF8-HERE')] }),
      // A value of 2 MB.
      span('a000000000000006', { attributes: [str('huge', hugeValue)] }),
      // A cost past what cost_amount can hold, and token counts past any model: stored, without a cost.
      span('a000000000000007', {
        attributes: [
          str('gen_ai.operation.name', 'chat'),
          str('gen_ai.request.model', 'gemini-2.5-flash'),
          str('gen_ai.prompt.name', 'poison-cost'),
          str('gen_ai.usage.cost.amount', '99999999999999999999.5'),
        ],
      }),
      span('a000000000000008', {
        attributes: [
          str('gen_ai.operation.name', 'chat'),
          str('gen_ai.request.model', 'gemini-2.5-flash'),
          str('gen_ai.prompt.name', 'poison-tokens'),
          { key: 'gen_ai.usage.input_tokens', value: { intValue: '99999999999999999999999' } },
        ],
      }),
      // Kinds and status codes nobody defined.
      span('a000000000000009', { kind: 99, status: { code: 42 } }),
      // Times before 2001-09-09 (fewer than 10 digits of seconds), found by the fuzz test: ClickHouse read them
      // as dates in another format and refused the whole batch.
      span('a00000000000000a', { startTimeUnixNano: '0', endTimeUnixNano: '11' }),
      span('a00000000000000b', {
        startTimeUnixNano: '620603012292595125',
        endTimeUnixNano: '620603012292595126',
        events: [{ timeUnixNano: '1', name: 'early' }],
      }),
      // Rejected, each with its reason in partial_success:
      span('b000000000000001', { startTimeUnixNano: '18446744073709551615' }),
      span('b000000000000002', { startTimeUnixNano: '-5' }),
      span('b000000000000003', { endTimeUnixNano: '1e30' }),
      span('b000000000000004', { events: [{ timeUnixNano: '99999999999999999999', name: 'e' }] }),
      { ...span('b000000000000005'), traceId: '0'.repeat(32) },
      span('0000000000000000'),
      span('b000000000000007', { attributes: [{ key: 'bad', value: { intValue: { toString: 1 } } }] }),
    ];
    const json = JSON.stringify(request('poison-json', spans)).replace(/\\u0000/g, '\\u0000');
    const body = Buffer.from(json, 'utf8');
    const marker = body.indexOf('INVALID-UTF8-HERE');
    Buffer.from([0x41, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0xc3, 0x28, 0x41]).copy(body, marker);
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string };
    };
    expect(answer.partialSuccess.rejectedSpans).toBe('7');
    for (const reason of [
      'startTimeUnixNano is outside 1970-01-01 .. 2262-04-11',
      'endTimeUnixNano must be a whole number of nanoseconds',
      'events.timeUnixNano is outside',
      'a span without a valid traceId (missing or all zero)',
      'a span without a valid spanId (missing or all zero)',
      'a malformed span',
    ])
      expect(answer.partialSuccess.errorMessage).toContain(reason);

    const stored = await eventually(async () => {
      const found = await storedBySpanId(client, 'poison-json');
      return found.size >= 11 && found;
    }, 'the valid spans to land');
    expect([...stored.keys()].sort()).toEqual(
      Array.from({ length: 11 }, (_, i) => `a00000000000000${(i + 1).toString(16)}`),
    );
    expect([...stored.values()].every((r) => r.n === '1')).toBe(true);
    expect(stored.get('a000000000000002')).toMatchObject({
      SpanName: 'op-\ufffd',
      SpanAttributes: { note: '\ufffd', 'k\ufffd': 'v' },
    });
    expect(stored.get('a000000000000003')!.SpanAttributes.arr).toBe('["\ufffd"]');
    expect(stored.get('a000000000000004')).toMatchObject({
      SpanName: 'nul\u0000name',
      SpanAttributes: { note: 'a\u0000b' },
    });
    expect(stored.get('a000000000000005')!.SpanAttributes.note).toBe(
      'A\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd(ATF8-HERE',
    );
    expect(stored.get('a000000000000006')!.SpanAttributes.huge).toHaveLength(hugeValue.length);
    // The view writes llm_calls in the same insert, but its part can become visible a moment after otel_traces'.
    const calls = await eventually(async () => {
      const found = await rows<{ prompt_name: string; cost: string | null; cost_status: string }>(
        client,
        `SELECT prompt_name, toString(cost_amount) AS cost, cost_status FROM llm_calls
         WHERE prompt_name IN ('poison-cost', 'poison-tokens') ORDER BY prompt_name`,
      );
      return found.length >= 2 && found;
    }, 'the priced-or-not calls in llm_calls');
    expect(calls).toEqual([
      { prompt_name: 'poison-cost', cost: null, cost_status: 'unpriced' },
      { prompt_name: 'poison-tokens', cost: null, cost_status: 'unpriced' },
    ]);
    await eventually(async () => collector.spool.unsentBytes === 0, 'the spool to drain');
    expect(collector.metrics.rowsDeadLettered).toBe(0);
  });

  it('stores every valid span of a protobuf request whose strings are not UTF-8', async () => {
    const spans = [span('c000000000000001', { name: 'BAD-UTF8' }), span('c000000000000002')].map((s) => ({
      ...s,
      traceId: Buffer.from(s.traceId, 'hex'),
      spanId: Buffer.from(s.spanId, 'hex'),
    }));
    const body = Buffer.from(
      ExportTraceServiceRequest.encode(
        ExportTraceServiceRequest.fromObject(request('poison-proto', spans)),
      ).finish(),
    );
    // Same length, so every length prefix stays right: invalid bytes and a UTF-8-encoded lone surrogate.
    Buffer.from([0xff, 0xed, 0xa0, 0x80, 0x41, 0xc3, 0x28, 0x42]).copy(body, body.indexOf('BAD-UTF8'));
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    expect(response.status).toBe(200);
    expect(ExportTraceServiceResponse.decode(Buffer.from(await response.arrayBuffer())).toJSON()).toEqual({});
    const stored = await eventually(async () => {
      const found = await storedBySpanId(client, 'poison-proto');
      return found.size >= 2 && found;
    }, 'both spans to land');
    expect(stored.get('c000000000000001')!.SpanName).toMatch(/^\ufffd+A\ufffd+\(B$/);
  });

  it('accepts AnyValue arrays nested 50 levels deep over protobuf, refuses only a span nested past 1,000, and refuses all-zero ids per span', async () => {
    const nested = (depth: number) => {
      let value: Record<string, unknown> = { stringValue: 'bottom' };
      for (let i = 0; i < depth; i++) value = { arrayValue: { values: [value] } };
      return value;
    };
    const bytes = (hex: string) => Buffer.from(hex, 'hex');
    const protoSpan = (spanId: string, extra: Record<string, unknown> = {}) => ({
      ...span(spanId),
      traceId: bytes(TRACE),
      spanId: bytes(spanId),
      ...extra,
    });
    const body = Buffer.from(
      ExportTraceServiceRequest.encode(
        ExportTraceServiceRequest.fromObject(
          request('deep-proto', [
            protoSpan('f000000000000001', { attributes: [{ key: 'deep', value: nested(50) }] }),
            protoSpan('f000000000000002', { attributes: [{ key: 'deeper', value: nested(1_000) }] }),
            protoSpan('f000000000000003', { attributes: [{ key: 'too-deep', value: nested(1_001) }] }),
            protoSpan('f000000000000004', { traceId: bytes('0'.repeat(32)) }),
            protoSpan('0000000000000000'),
            protoSpan('f000000000000006', { parentSpanId: bytes('0'.repeat(16)) }),
          ]),
        ),
      ).finish(),
    );
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    expect(response.status).toBe(200);
    const answer = ExportTraceServiceResponse.decode(Buffer.from(await response.arrayBuffer())).toJSON();
    expect(answer.partialSuccess.rejectedSpans).toBe('3');
    expect(answer.partialSuccess.errorMessage).toContain('nested more than 1000 levels deep');
    expect(answer.partialSuccess.errorMessage).toContain(
      'a span without a valid traceId (missing or all zero)',
    );
    expect(answer.partialSuccess.errorMessage).toContain(
      'a span without a valid spanId (missing or all zero)',
    );
    const stored = await eventually(async () => {
      const found = await storedBySpanId(client, 'deep-proto');
      return found.size >= 3 && found;
    }, 'the three valid spans to land');
    expect([...stored.keys()].sort()).toEqual(['f000000000000001', 'f000000000000002', 'f000000000000006']);
    expect(stored.get('f000000000000001')!.SpanAttributes.deep).toBe(
      `${'['.repeat(50)}"bottom"${']'.repeat(50)}`,
    );
    const [parent] = await rows<{ ParentSpanId: string }>(
      client,
      "SELECT ParentSpanId FROM otel_traces WHERE SpanId = 'f000000000000006'",
    );
    expect(parent).toEqual({ ParentSpanId: '' });
  });

  it.each(['worker', 'client'] as const)(
    'isolates rows ClickHouse refuses (%s insert): good rows land, each bad row is dead-lettered with its reason',
    async (path_) => {
      if (path_ === 'worker' && !store.embedded) return;
      const service = `isolate-${path_}`;
      const good = toRows(
        request(
          service,
          Array.from({ length: 12 }, (_, i) => span(`d00000000000000${i.toString(16)}`)),
        ) as never,
      ).rows.map(compactRow);
      // Rows that never come from our receiver but could from an older version's spool or a bug: each kind that
      // ClickHouse refuses.
      const row = good[0]!;
      const bad = [
        row.replace('"op"', '"\\ud800"').replace(/d000000000000000/, 'e000000000000001'),
        row
          .replace(/"1764064800\.000000000"/, '"99999999999.0"')
          .replace(/d000000000000000/, 'e000000000000002'),
        row.replace(/,"1000",/, ',"-1",').replace(/d000000000000000/, 'e000000000000003'),
        'this is not JSON',
      ];
      expect(bad.every((b, i) => b !== row || i === 3)).toBe(true);
      const lines = [
        ...good.slice(0, 3),
        bad[0]!,
        ...good.slice(3, 7),
        bad[1]!,
        bad[2]!,
        ...good.slice(7),
        bad[3]!,
      ];
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'promptscope-isolate-'));
      const spool = new Spool({ dir });
      await spool.append(lines);
      const metrics = new CollectorMetrics();
      const writer = new ClickHouseExporter({
        spool,
        insert:
          path_ === 'worker'
            ? await chdbInsertOnWorker(store.location, store.database, `isolate-${path_}`)
            : otelTracesInsert(client, `isolate-${path_}`),
        metrics,
        log: silentLogger,
        deadLetterDir: path.join(dir, 'dead-letter'),
        flushIntervalMs: 10,
      });
      writer.start();
      await eventually(async () => spool.unsentBytes === 0, 'the batch to be delivered', 30_000);
      await writer.stop();
      await spool.close();

      const stored = await storedBySpanId(client, service);
      expect([...stored.keys()].sort()).toEqual(
        Array.from({ length: 12 }, (_, i) => `d00000000000000${i.toString(16)}`),
      );
      expect([...stored.values()].every((r) => r.n === '1')).toBe(true);
      expect(metrics.rowsDeadLettered).toBe(4);
      const files = (await fs.readdir(path.join(dir, 'dead-letter'))).sort();
      const errors = files.filter((f) => f.endsWith('.error.json'));
      expect(errors).toHaveLength(4);
      const dead = await Promise.all(
        files
          .filter((f) => f.endsWith('.jsonl'))
          .map((f) => fs.readFile(path.join(dir, 'dead-letter', f), 'utf8')),
      );
      expect(dead.map((d) => d.trim()).sort()).toEqual([...bad].sort());
      for (const f of errors) {
        const reason = JSON.parse(await fs.readFile(path.join(dir, 'dead-letter', f), 'utf8'));
        expect(reason).toMatchObject({ rows: 1, code: expect.any(Number), reason: expect.any(String) });
        expect(reason.reason.length).toBeGreaterThan(10);
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  );
});
