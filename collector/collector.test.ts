import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '../src/store/clickhouse.ts';
import {
  collectorOnTestClickHouse,
  countSpans,
  eventually,
  exportSpans,
  otlpExporter,
  type Protocol,
  productionLikeCollector,
  rows,
  spanFactory,
  testCollector,
} from '../test/support/collector.ts';
import type { RunningCollector } from './collector.ts';

const T0 = Date.parse('2026-11-25T10:00:00.123Z');

/** What the clickhouseexporter writes for the golden span (values from its contract, written by hand). */
const GOLDEN = {
  ts_ns: String(BigInt(T0) * 1_000_000n),
  TraceId: '0af7651916cd43dd8448eb211c803191',
  SpanId: '0000000000000001',
  ParentSpanId: '',
  TraceState: '',
  SpanName: 'generate_content gemini-2.5-flash',
  SpanKind: 'Client',
  ScopeName: 'golden-scope',
  ScopeVersion: '1.2.3',
  SpanAttributes: {
    'gen_ai.operation.name': 'generate_content',
    'gen_ai.provider.name': 'gcp.gemini',
    'gen_ai.request.model': 'gemini-2.5-flash',
    'gen_ai.request.temperature': '0.2',
    'gen_ai.usage.input_tokens': '1200',
    'gen_ai.usage.output_tokens': '400',
    'gen_ai.request.stream': 'true',
    'gen_ai.response.finish_reasons': '["stop","length"]',
    'gen_ai.usage.cost.amount': '0.001306',
    'gen_ai.usage.cost.currency': 'USD',
    'list.ints': '[1,2,3]',
    'list.doubles': '[0.5,1.25]',
    'list.bools': '[true,false]',
  },
  Duration: '250000000',
  StatusCode: 'Error',
  StatusMessage: 'upstream 429',
  'Events.Name': ['promptscope.guardrail'],
  'Events.Attributes': [{ 'promptscope.guardrail.rule': 'pii', 'promptscope.guardrail.matches': '2' }],
  events_ns: [String(BigInt(T0 + 10) * 1_000_000n)],
  'Links.TraceId': ['4bf92f3577b34da6a3ce929d0e0e4736'],
  'Links.SpanId': ['00f067aa0ba902b7'],
  'Links.TraceState': [''],
  'Links.Attributes': [{ 'link.kind': 'retry-of' }],
};

async function goldenSpan(service: string) {
  return spanFactory(service).span({
    name: 'generate_content gemini-2.5-flash',
    startMs: T0,
    durationMs: 250,
    error: 'upstream 429',
    attributes: {
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 400,
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['stop', 'length'],
      'gen_ai.usage.cost.amount': '0.001306',
      'gen_ai.usage.cost.currency': 'USD',
      'list.ints': [1, 2, 3],
      'list.doubles': [0.5, 1.25],
      'list.bools': [true, false],
    },
    events: [
      {
        name: 'promptscope.guardrail',
        attributes: { 'promptscope.guardrail.rule': 'pii', 'promptscope.guardrail.matches': 2 },
        atMs: T0 + 10,
      },
    ],
    links: [
      {
        context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 },
        attributes: { 'link.kind': 'retry-of' },
      },
    ],
  });
}

describe('collector: OTLP/HTTP in, otel_traces rows out', () => {
  let client: ClickHouseClient;
  let collector: RunningCollector;

  beforeAll(async () => {
    ({ client, collector } = await collectorOnTestClickHouse());
  });
  afterAll(() => collector.stop());

  it.each([
    ['protobuf', false],
    ['protobuf', true],
    ['json', false],
    ['json', true],
  ] as [Protocol, boolean][])(
    'writes every otel_traces column as the clickhouseexporter would (%s, gzip %s)',
    async (protocol, gzip) => {
      const service = `golden-${protocol}-${gzip}`;
      // Its own collector: the same golden span ids arrive four times, and one collector drops repeats.
      const own = await testCollector(client);
      const code = await exportSpans(otlpExporter(own.url, protocol, gzip), [await goldenSpan(service)]);
      await eventually(async () => own.spool.unsentBytes === 0, 'the spool to drain');
      await own.stop();
      expect(code).toBe(0);
      const [row] = await eventually(
        () =>
          rows<Record<string, unknown>>(
            client,
            `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ts_ns, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind,
             ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, toString(Duration) AS Duration, StatusCode,
             StatusMessage, arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS events_ns, Events.Name,
             Events.Attributes, Links.TraceId, Links.SpanId, Links.TraceState, Links.Attributes
           FROM otel_traces WHERE ServiceName = '${service}'`,
          ).then((r) => (r.length > 0 ? r : undefined)),
        `the ${service} span`,
      );
      const { ServiceName, ResourceAttributes, ...rest } = row!;
      expect(rest).toEqual(GOLDEN);
      expect(ServiceName).toBe(service);
      expect(ResourceAttributes).toMatchObject({
        'service.name': service,
        'deployment.environment.name': 'test',
      });
    },
  );

  it('answers success in the request encoding and reports invalid spans in partial_success', async () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'partial' } }] },
          scopeSpans: [
            {
              scope: { name: 's' },
              spans: [
                {
                  traceId: '5B8EFFF798038103D269B633813FC60C',
                  spanId: 'EEE19B7EC3C1B174',
                  name: 'ok',
                  kind: 3,
                  startTimeUnixNano: '1764064800000000000',
                  endTimeUnixNano: '1764064800500000000',
                },
                {
                  traceId: 'xyz',
                  spanId: 'EEE19B7EC3C1B175',
                  name: 'bad id',
                  startTimeUnixNano: '1',
                  endTimeUnixNano: '2',
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: 'traceId must be 32 hex characters' },
    });
    const [row] = await eventually(
      () =>
        rows<{ TraceId: string; SpanId: string }>(
          client,
          "SELECT TraceId, SpanId FROM otel_traces WHERE ServiceName = 'partial'",
        ).then((r) => (r.length ? r : undefined)),
      'the valid span',
    );
    expect(row).toEqual({ TraceId: '5b8efff798038103d269b633813fc60c', SpanId: 'eee19b7ec3c1b174' });
  });

  it('prices an LLM span that arrives without cost from the shared catalog', async () => {
    const span = await spanFactory('unpriced-sender').span({
      name: 'chat gemini-2.5-pro',
      startMs: T0,
      durationMs: 100,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'vertex_ai',
        'gen_ai.request.model': 'gemini-2.5-pro',
        'gen_ai.usage.prompt_tokens': 1000,
        'gen_ai.usage.completion_tokens': 100,
      },
    });
    expect(await exportSpans(otlpExporter(collector.url, 'protobuf', false), [span])).toBe(0);
    const [call] = await eventually(
      () =>
        rows<{ cost: string; cost_status: string; provider: string; input_tokens: string }>(
          client,
          "SELECT toString(cost_amount) AS cost, cost_status, provider, input_tokens FROM llm_calls WHERE service_name = 'unpriced-sender'",
        ).then((r) => (r.length ? r : undefined)),
      'the priced call',
    );
    // 1000 × 1.25 + 100 × 10, per 1M tokens
    expect(call).toEqual({
      cost: '0.00225',
      cost_status: 'priced',
      provider: 'gcp.vertex_ai', // the older name, mapped
      input_tokens: '1000',
    });
  });

  it('exposes self-metrics in the Prometheus text format', async () => {
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    expect(text).toMatch(/^promptscope_collector_spans_accepted_total \d+$/m);
    expect(text).toMatch(/^promptscope_collector_spans_written_total \d+$/m);
    expect(text).toMatch(/^promptscope_collector_spool_bytes \d+$/m);
    expect(text).toContain('promptscope_collector_requests_total{status="200"}');
    expect(
      Number(/^promptscope_collector_spans_rejected_total (\d+)$/m.exec(text)![1]),
    ).toBeGreaterThanOrEqual(1);
    // Every acknowledged request waited for one group commit, so the fsync histogram has counted some.
    expect(
      Number(/^promptscope_collector_spool_fsync_duration_seconds_count (\d+)$/m.exec(text)![1]),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^promptscope_collector_spool_fsync_duration_seconds_bucket\{le="\+Inf"\} \d+$/m);
    // The process metrics Prometheus users expect from any exporter.
    expect(Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)![1])).toBeGreaterThan(10 * 1024 * 1024);
    expect(text).toMatch(/^process_cpu_seconds_total [\d.]+$/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+$/m);
  });

  it.each([
    ['through the client', false],
    ['through chDB’s raw insert', true],
  ])('stores a batch whose spans lie on more than 100 different days (%s)', async (_, raw) => {
    // otel_traces has one partition per day; ClickHouse refuses a block over 100 partitions unless told otherwise.
    const service = `spread-days-${raw}`;
    const factory = spanFactory(service);
    const spans = [];
    for (let day = 0; day < 150; day++)
      spans.push(
        await factory.span({
          name: 'replayed',
          startMs: Date.now() - day * 86_400_000,
          durationMs: 5,
          // Calls too, so the views below otel_traces take the spread as well.
          attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.prompt.name': service },
        }),
      );
    // Its own collector: the factory's span ids repeat other tests' ones, which this file's collector drops.
    const own = raw ? (await productionLikeCollector()).collector : await testCollector(client);
    const code = await exportSpans(otlpExporter(own.url, 'protobuf', false), spans);
    expect(code).toBe(0);
    await eventually(async () => own.spool.unsentBytes === 0, 'the spool to drain');
    await own.stop();
    const [stored] = await rows<{ spans: string; days: string; calls: string }>(
      client,
      `SELECT toString(count()) AS spans, toString(uniqExact(toDate(Timestamp))) AS days,
         (SELECT toString(count()) FROM llm_calls WHERE prompt_name = '${service}') AS calls
       FROM otel_traces WHERE ServiceName = '${service}'`,
    );
    expect(stored).toEqual({ spans: '150', days: '150', calls: '150' });
  });

  it('keeps every acknowledged span exactly once', async () => {
    expect(await countSpans(client)).toBe(
      Number(
        (await rows<{ n: string }>(client, 'SELECT uniqExact(ServiceName, SpanId) AS n FROM otel_traces'))[0]!
          .n,
      ),
    );
  });
});
